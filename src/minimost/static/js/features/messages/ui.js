// The message list: renders rows keyed by message (reusing DOM nodes whose message
// did not change), keeps the view pinned to the newest message unless you scrolled
// up, loads older pages near the top without jumping, and hosts the inline editor.

import { clear, el, hashIndex, initials } from "../../core/dom.js";
import { dayKey, dayLabel, formatFull, formatTime } from "../../core/time.js";
import { activeConversation } from "../channels/data.js";
import { deleteMessage, editMessage, loadNewest, loadOlder, retrySend } from "./actions.js";
import { buildRows, messageKey } from "./data.js";

const AVATAR_COLOURS = 8;
const NEAR_BOTTOM_PX = 64;
const LOAD_OLDER_PX = 480;

export function authorName(author) {
  return (author && (author.display_name || author.username)) || "Unknown";
}

export function avatar(author, extra = "") {
  const name = authorName(author);
  const seed = (author && (author.username || author.id)) || name;
  return el("span", { class: ["avatar", `av-${hashIndex(seed, AVATAR_COLOURS)}`, extra], "aria-hidden": "true", text: initials(name) });
}

export function mountMessages(store, { scroller, list, jumpButton, ask, toast, focusComposer }) {
  let shownConv = null;
  let rows = new Map(); // key -> { node, sig }
  let editor = null; // { id, node, textarea, errorNode, saveButton, cancelButton }
  let stick = true;
  let prev = {};

  function conversation(state = store.get()) {
    return state.messages.byConv[state.channels.activeId] ?? null;
  }

  function findByKey(key) {
    const conv = conversation();
    return conv ? conv.items.find((m) => messageKey(m) === key) ?? null : null;
  }

  // ---- rendering ----------------------------------------------------------

  function render(state) {
    const { channels, messages, session } = state;
    if (channels === prev.channels && messages === prev.messages && session === prev.session) return;
    prev = { channels, messages, session };
    const convId = channels.activeId;
    if (convId !== shownConv) {
      shownConv = convId;
      clear(list);
      rows = new Map();
      stick = true;
    }
    if (convId === null) return;
    const conv = messages.byConv[convId];
    const me = session.user;
    const editing = messages.editing && messages.editing.convId === convId ? messages.editing : null;
    syncEditor(editing, conv);

    const atBottom = isNearBottom();
    const prevHeight = scroller.scrollHeight;
    const prevTop = scroller.scrollTop;
    const prevFirst = firstMessageKey();
    const prevLast = lastMessageKey();

    const wanted = desiredRows(conv, activeConversation(channels), me, editing);
    const next = new Map();
    for (const row of wanted) {
      const old = rows.get(row.key);
      const node = old && sameSig(old.sig, row.sig) ? old.node : row.build();
      next.set(row.key, { node, sig: row.sig });
    }
    for (const [key, { node }] of rows) {
      if (!next.has(key) || next.get(key).node !== node) node.remove();
    }
    let cursor = list.firstChild;
    for (const { node } of next.values()) {
      if (node === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(node, cursor);
    }
    rows = next;

    const last = conv && conv.items[conv.items.length - 1];
    if (last && last.pending && messageKey(last) !== prevLast) stick = true; // we just sent it
    if (stick || atBottom) {
      scroller.scrollTop = scroller.scrollHeight;
      if (conv && conv.loaded) stick = false;
    } else if (prevFirst && firstMessageKey() !== prevFirst) {
      scroller.scrollTop = prevTop + (scroller.scrollHeight - prevHeight); // older page above: stay put
    }
    if (editor && editor.justOpened) {
      editor.justOpened = false;
      editor.textarea.focus();
      editor.textarea.setSelectionRange(editor.textarea.value.length, editor.textarea.value.length);
      editor.node.scrollIntoView({ block: "nearest" });
    }
    updateJump();
    maybeLoadOlder();
  }

  function desiredRows(conv, channel, me, editing) {
    const out = [];
    if (!conv || (!conv.loaded && !conv.error)) {
      out.push({ key: "loading", sig: ["loading"], build: skeleton });
      return out;
    }
    if (!conv.loaded) {
      out.push({ key: "error", sig: ["error", conv.error], build: () => loadError(conv.error) });
      return out;
    }
    if (conv.hasMore) {
      const sig = ["older", conv.loadingOlder, conv.error];
      out.push({ key: "older", sig, build: () => olderRow(conv) });
    } else {
      const sig = ["intro", channel && channel.name, channel && channel.topic];
      out.push({ key: "intro", sig, build: () => intro(channel) });
    }
    const now = new Date();
    for (const row of buildRows(conv.items, dayKey)) {
      if (row.kind === "day") {
        const label = dayLabel(row.at, now);
        out.push({ key: row.key, sig: ["day", label], build: () => dayDivider(label) });
      } else {
        const m = row.message;
        const own = Boolean(me && m.author && m.author.id === me.id);
        const isEditing = Boolean(editing && !m.pending && editing.id === m.id);
        out.push({ key: row.key, sig: [m, row.grouped, own, isEditing], build: () => messageRow(m, row.grouped, own, isEditing) });
      }
    }
    return out;
  }

  function sameSig(a, b) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  function firstMessageKey() {
    const node = list.querySelector(".msg");
    return node ? node.dataset.key : null;
  }

  function lastMessageKey() {
    const nodes = list.querySelectorAll(".msg");
    return nodes.length ? nodes[nodes.length - 1].dataset.key : null;
  }

  function skeleton() {
    const node = el("div", { class: "skeleton", "aria-busy": "true" }, el("span", { class: "visually-hidden", text: "Loading messages…" }));
    for (let i = 0; i < 6; i++) {
      node.append(el("div", { class: "skeleton-row" }, el("span", { class: "skeleton-avatar" }),
        el("span", { class: "skeleton-lines" }, el("span", { class: "skeleton-line short" }), el("span", { class: "skeleton-line" }))));
    }
    return node;
  }

  function loadError(message) {
    return el("div", { class: "timeline-error", role: "alert" },
      el("p", { text: `Couldn't load messages: ${message}` }),
      el("button", { type: "button", class: "btn btn-secondary", dataset: { action: "reload" }, text: "Try again" }));
  }

  function olderRow(conv) {
    if (conv.error) {
      return el("div", { class: "older-row", role: "alert" }, el("span", { text: `Couldn't load older messages. ` }),
        el("button", { type: "button", class: "link-btn", dataset: { action: "older" }, text: "Try again" }));
    }
    return el("div", { class: ["older-row", conv.loadingOlder && "loading"] },
      conv.loadingOlder
        ? [el("span", { class: "spinner", "aria-hidden": "true" }), el("span", { text: "Loading older messages…" })]
        : el("button", { type: "button", class: "link-btn", dataset: { action: "older" }, text: "Load older messages" }));
  }

  function intro(channel) {
    const name = channel ? channel.name : "";
    return el("div", { class: "conv-intro" },
      el("div", { class: "conv-intro-icon", "aria-hidden": "true", text: "#" }),
      el("h2", { text: `Welcome to #${name}` }),
      el("p", { text: `This is the very beginning of #${name}.${channel && channel.topic ? ` ${channel.topic}` : ""}` }));
  }

  function dayDivider(label) {
    return el("div", { class: "day-divider", role: "separator", "aria-label": label }, el("span", { text: label }));
  }

  function messageRow(m, grouped, own, isEditing) {
    const time = (cls) => el("time", { class: cls, datetime: m.created_at, title: formatFull(m.created_at), text: formatTime(m.created_at) });
    const row = el("article", {
      class: ["msg", grouped && "grouped", own && "own", m.pending && "pending", m.failed && "failed", m.deleted_at && "deleted", isEditing && "editing"],
      dataset: { key: messageKey(m), id: m.id ?? "", author: (m.author && m.author.username) || "" },
    });
    row.append(el("div", { class: "msg-gutter" }, grouped ? time("msg-time-hover") : avatar(m.author)));
    const main = el("div", { class: "msg-main" });
    if (!grouped) {
      main.append(el("div", { class: "msg-head" },
        el("span", { class: "msg-author", title: m.author ? `@${m.author.username}` : null, text: authorName(m.author) }),
        time("msg-time")));
    } else {
      main.append(el("span", { class: "visually-hidden", text: `${authorName(m.author)}, ${formatTime(m.created_at)}: ` }));
    }
    if (isEditing && editor) {
      main.append(editor.node);
    } else if (m.deleted_at) {
      main.append(el("p", { class: "msg-body msg-tombstone" }, el("em", { text: "message deleted" })));
    } else {
      const body = el("div", { class: "msg-body", html: m.html });
      if (m.edited_at) {
        const marker = el("span", { class: "msg-edited", title: `Edited ${formatFull(m.edited_at)}`, text: "(edited)" });
        const lastBlock = body.lastElementChild;
        (lastBlock && lastBlock.tagName === "P" ? lastBlock : body).append(" ", marker);
      }
      main.append(body);
    }
    if (m.pending && !m.failed) main.append(el("span", { class: "msg-sending", text: "Sending…" }));
    if (m.failed) {
      main.append(el("div", { class: "msg-failed", role: "alert" },
        el("span", { text: `Not sent${m.error ? `: ${m.error}` : "."}` }),
        el("button", { type: "button", class: "link-btn", dataset: { action: "retry" }, text: "Retry" }),
        el("button", { type: "button", class: "link-btn", dataset: { action: "discard" }, text: "Discard" })));
    }
    row.append(main);
    if (own && !m.pending && !m.deleted_at && !isEditing) {
      row.append(el("div", { class: "msg-actions", role: "group", "aria-label": "Message actions" },
        iconButton("edit", "Edit message", "M4 20h4l10-10-4-4L4 16v4zM14 6l4 4"),
        iconButton("delete", "Delete message", "M5 7h14M10 11v6M14 11v6M6 7l1 12h10l1-12M9 7V4h6v3")));
    }
    return row;
  }

  function iconButton(action, label, path) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
    p.setAttribute("d", path);
    svg.append(p);
    return el("button", { type: "button", class: "icon-btn", dataset: { action }, "aria-label": label, title: label }, svg);
  }

  // ---- inline editor ------------------------------------------------------

  function syncEditor(editing, conv) {
    if (!editing) {
      if (editor) {
        const hadFocus = editor.node.contains(document.activeElement);
        editor = null;
        if (hadFocus) focusComposer();
      }
      return;
    }
    const message = conv && conv.items.find((m) => !m.pending && m.id === editing.id);
    if (!message) return;
    if (!editor || editor.id !== editing.id) editor = buildEditor(message);
    editor.textarea.disabled = editing.saving;
    editor.saveButton.disabled = editing.saving;
    editor.saveButton.textContent = editing.saving ? "Saving…" : "Save";
    editor.errorNode.textContent = editing.error || "";
    editor.errorNode.hidden = !editing.error;
  }

  function buildEditor(message) {
    const textarea = el("textarea", { class: "msg-editor-input", "aria-label": "Edit message", rows: "1", maxlength: "10000" });
    textarea.value = message.text;
    const saveButton = el("button", { type: "submit", class: "btn btn-primary btn-small", text: "Save" });
    const cancelButton = el("button", { type: "button", class: "btn btn-secondary btn-small", text: "Cancel" });
    const errorNode = el("p", { class: "msg-editor-error", role: "alert", hidden: true });
    const node = el("form", { class: "msg-editor" }, textarea,
      el("div", { class: "msg-editor-bar" },
        el("span", { class: "msg-editor-hint" }, el("kbd", { text: "Esc" }), " to cancel · ", el("kbd", { text: "Enter" }), " to save"),
        cancelButton, saveButton),
      errorNode);
    const ed = { id: message.id, message, node, textarea, saveButton, errorNode, justOpened: true };
    node.addEventListener("submit", (event) => {
      event.preventDefault();
      save(ed);
    });
    cancelButton.addEventListener("click", cancelEdit);
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        cancelEdit();
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save(ed);
      }
    });
    return ed;
  }

  function cancelEdit() {
    store.dispatch({ type: "edit/end" });
    focusComposer();
  }

  async function save(ed) {
    const current = findMessageById(ed.id) ?? ed.message;
    const text = ed.textarea.value.trim();
    if (text === current.text.trim()) return cancelEdit();
    if (!text) {
      cancelEdit();
      return confirmDelete(current);
    }
    if (await editMessage(store, current, text)) focusComposer();
  }

  function findMessageById(id) {
    const conv = conversation();
    return conv ? conv.items.find((m) => !m.pending && m.id === id) ?? null : null;
  }

  async function confirmDelete(message) {
    const yes = await ask({ heading: "Delete message?", text: "This can't be undone. Everyone will see that a message was deleted.", confirmLabel: "Delete" });
    if (!yes) return;
    const problem = await deleteMessage(store, message);
    if (problem) toast(`Couldn't delete the message: ${problem}`, { kind: "error" });
    focusComposer();
  }

  // ---- scrolling ----------------------------------------------------------

  function isNearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  function updateJump() {
    const far = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight > scroller.clientHeight;
    jumpButton.hidden = !far;
  }

  function maybeLoadOlder() {
    const conv = conversation();
    if (conv && conv.loaded && conv.hasMore && !conv.loadingOlder && !conv.error && scroller.scrollTop < LOAD_OLDER_PX) {
      loadOlder(store, shownConv);
    }
  }

  scroller.addEventListener("scroll", () => {
    updateJump();
    maybeLoadOlder();
  }, { passive: true });

  jumpButton.addEventListener("click", () => {
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: "smooth" });
    focusComposer();
  });

  // ---- actions (delegated) ------------------------------------------------

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const row = event.target.closest(".msg");
    if (!button) {
      // Touch screens have no hover: a tap on a message reveals its actions.
      if (row && row.classList.contains("own")) {
        for (const other of list.querySelectorAll(".msg.show-actions")) if (other !== row) other.classList.remove("show-actions");
        row.classList.toggle("show-actions");
      }
      return;
    }
    const action = button.dataset.action;
    if (action === "reload") return loadNewest(store, shownConv, { reset: true });
    if (action === "older") {
      store.dispatch({ type: "messages/error", convId: shownConv, error: null });
      return loadOlder(store, shownConv);
    }
    const message = row && findByKey(row.dataset.key);
    if (!message) return;
    if (action === "edit") store.dispatch({ type: "edit/start", id: message.id, convId: shownConv });
    else if (action === "delete") confirmDelete(message);
    else if (action === "retry") retrySend(store, shownConv, message.client_id);
    else if (action === "discard") store.dispatch({ type: "messages/discard", convId: shownConv, clientId: message.client_id });
  });

  store.subscribe(render);
  render(store.get());

  // Day labels ("Today") go stale at midnight: re-render once a minute.
  setInterval(() => {
    prev = {};
    render(store.get());
  }, 60_000);

  return {
    scrollToBottom() {
      stick = true;
      scroller.scrollTop = scroller.scrollHeight;
    },
  };
}
