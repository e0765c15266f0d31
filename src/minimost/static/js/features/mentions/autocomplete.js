// Mention autocomplete in the composer: `@` plus letters opens a listbox of the open
// conversation's members (and @everyone / @here in channels). ↑/↓ move, Enter or Tab
// accept, Esc closes; while it is open Enter picks instead of sending.
//
// ARIA: the textarea keeps its textbox role (the composer is found by it) and points at
// the listbox with aria-controls / aria-expanded / aria-activedescendant, as in the
// APG combobox pattern. Keys are caught in the capture phase on the form, so they never
// reach the composer's own handlers while the list is open.

import { el } from "../../core/dom.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { activeConversation } from "../channels/index.js";
import { applyMention, mentionQuery, suggestions } from "./data.js";
import { membersOf } from "./members.js";

/** `presenceDot`: the presence feature's dot for a suggested person (from main.js). */
export function mountMentionAutocomplete(store, { form, input, presenceDot }) {
  const listbox = el("div", { class: "mention-list", id: "mention-list", role: "listbox", "aria-label": "People to mention", hidden: true });
  form.prepend(listbox);
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listbox.id);
  input.setAttribute("aria-expanded", "false");

  let items = [];
  let active = 0;
  let query = null; // { start, end, query } while a mention is being typed
  let dismissedAt = null; // Esc closed the list for the mention starting here
  let prevMembers = null;
  let prevConv = null;

  const isOpen = () => !listbox.hidden;

  function refresh() {
    const state = store.get();
    const caret = input.selectionStart === input.selectionEnd ? input.selectionStart : null;
    query = document.activeElement === input ? mentionQuery(input.value, caret) : null;
    if (!query) dismissedAt = null;
    if (!query || query.start === dismissedAt) return close();
    const conv = activeConversation(state.channels);
    const me = state.session.user;
    const next = suggestions(membersOf(state.members, state.channels.activeId), query.query, {
      meId: me && me.id,
      allowAll: Boolean(conv) && conv.kind !== "dm",
    });
    if (next.length === 0) return close();
    const keep = isOpen() && items[active] ? next.findIndex((i) => i.value === items[active].value) : -1;
    items = next;
    active = keep === -1 ? 0 : keep;
    render();
  }

  function render() {
    listbox.replaceChildren(...items.map((item, i) => option(item, i)));
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight();
  }

  function option(item, i) {
    const selected = i === active;
    const node = el("div", {
      class: ["mention-option", item.kind === "special" && "special"],
      id: `mention-opt-${i}`,
      role: "option",
      "aria-selected": String(selected),
      dataset: { value: item.value, index: i },
    });
    if (item.kind === "user") {
      const face = el("span", { class: "mention-face" }, avatar(item.user), presenceDot(item.user.id, { fallback: item.user.presence }));
      node.append(face, el("span", { class: "mention-name", text: authorName(item.user) }), el("span", { class: "mention-handle", text: `@${item.user.username}` }));
    } else {
      node.append(el("span", { class: "mention-face mention-all-icon", "aria-hidden": "true", text: "@" }),
        el("span", { class: "mention-name", text: `@${item.value}` }), el("span", { class: "mention-handle", text: item.description }));
    }
    return node;
  }

  function highlight() {
    for (const node of listbox.children) {
      const on = Number(node.dataset.index) === active;
      node.setAttribute("aria-selected", String(on));
      node.classList.toggle("active", on);
      if (on) node.scrollIntoView({ block: "nearest" });
    }
    input.setAttribute("aria-activedescendant", `mention-opt-${active}`);
  }

  function close() {
    items = [];
    if (!isOpen()) return;
    listbox.hidden = true;
    listbox.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function accept(index = active) {
    const item = items[index];
    if (!item || !query) return;
    const { text, caret } = applyMention(input.value, query, item.value);
    input.value = text;
    input.setSelectionRange(caret, caret);
    close();
    query = null;
    // The composer (counter, draft) and the typing notifier listen for input.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.addEventListener("keydown", (event) => {
    if (event.target !== input || !isOpen() || event.isComposing) return;
    const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
    let handled = true;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      highlight();
    } else if ((event.key === "Enter" && plain) || (event.key === "Tab" && !event.shiftKey)) {
      accept();
    } else if (event.key === "Escape") {
      dismissedAt = query ? query.start : null;
      close();
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  input.addEventListener("input", refresh);
  input.addEventListener("click", refresh);
  input.addEventListener("keyup", (event) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) refresh();
  });
  input.addEventListener("blur", close);
  // Keep the focus in the textarea when an option is clicked.
  listbox.addEventListener("mousedown", (event) => event.preventDefault());
  listbox.addEventListener("click", (event) => {
    const node = event.target.closest(".mention-option");
    if (node) accept(Number(node.dataset.index));
  });

  store.subscribe((state) => {
    const convId = state.channels.activeId;
    if (convId !== prevConv) {
      prevConv = convId;
      dismissedAt = null;
      close();
    }
    // Members arrived (or changed) while a mention is being typed: show them.
    const members = membersOf(state.members, convId);
    if (members !== prevMembers) {
      prevMembers = members;
      if (document.activeElement === input) refresh();
    }
  });

  return { isOpen, close };
}
