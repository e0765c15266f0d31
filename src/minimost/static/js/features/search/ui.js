// The search box in the top bar: `/` or `f` focuses it (when not typing), results appear as
// you type (debounced; a newer query aborts the request of an older one), ↑/↓ pick a
// result, Enter or a click opens its conversation at that message, Esc closes. Empty, it
// shows the operators. Snippets are built as text nodes from the server's escaped,
// <mark>-only snippet (data.js `snippetParts`): never innerHTML.

import { api, describeError } from "../../core/api.js";
import { el, isTyping } from "../../core/dom.js";
import { dayLabel, formatFull, formatTime } from "../../core/time.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { profileLink } from "../../ui/profile-link.js";
import { conversationTitle } from "../channels/index.js";
import { jumpToMessage } from "../messages/index.js";
import { DEBOUNCE_MS, HINTS, mergeResults, moveActive, PAGE_LIMIT, placeLabel, snippetParts, wantsSearch } from "./data.js";

export function mountSearch(store, { form, input, onOpen, toast }) {
  const hints = el("div", { class: "search-hints" },
    el("p", { class: "search-hints-title", text: "Search messages" }),
    el("dl", {}, HINTS.flatMap((h) => [el("dt", {}, el("code", { text: h.example })), el("dd", { text: h.help })])));
  const status = el("p", { class: "search-status", role: "status", "aria-live": "polite" });
  const list = el("ol", { class: "search-results", id: "search-results", role: "listbox", "aria-label": "Search results" });
  const more = el("button", { type: "button", class: "btn btn-secondary search-more", hidden: true, text: "Load more" });
  const panel = el("div", { class: "search-panel", id: "search-panel", hidden: true }, hints, status, list, more);
  form.append(panel);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-autocomplete", "list");

  let results = [];
  let cursor = null;
  let active = -1;
  let loading = false;
  let error = null;
  let searched = null; // the query the results are for
  let controller = null;
  let timer = null;
  let openWhenReady = false; // Enter came before the results for the typed query

  function render() {
    const q = input.value;
    const idle = !wantsSearch(q);
    hints.hidden = !idle && !error;
    list.replaceChildren(...(idle ? [] : results.map(row)));
    if (error) status.textContent = error;
    else if (idle) status.textContent = "";
    else if (loading && results.length === 0) status.textContent = "Searching…";
    else if (searched !== null && results.length === 0 && !loading) status.textContent = `No messages match “${searched.trim()}”.`;
    else status.textContent = "";
    status.hidden = status.textContent === "";
    more.hidden = idle || cursor === null || loading;
    const option = active >= 0 ? list.children[active] : null;
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function row(result, index) {
    const m = result.message;
    const state = store.get();
    const me = state.session.user;
    const at = new Date(m.created_at);
    const snippet = el("p", { class: "search-snippet" },
      snippetParts(result.snippet_html).map((part) => (part.mark ? el("mark", { text: part.text }) : part.text)));
    return el("li", {
      id: `search-option-${index}`,
      class: ["search-result", index === active && "active"],
      role: "option",
      "aria-selected": String(index === active),
      dataset: { index: String(index), messageId: String(m.id), conversationId: String(result.conversation_id) },
    },
    el("div", { class: "search-result-head" },
      profileLink(avatar(m.author), m.author),
      profileLink(el("button", { type: "button", class: "search-result-author profile-link", tabindex: "-1", text: authorName(m.author) }), m.author),
      el("span", { class: "search-result-place", text: placeLabel(result, state.channels.list, me && me.id, conversationTitle) }),
      el("time", { class: "search-result-time", datetime: m.created_at, title: formatFull(at), text: `${dayLabel(at)} ${formatTime(at)}` })),
    snippet);
  }

  function show() {
    panel.hidden = false;
    input.setAttribute("aria-expanded", "true");
    render();
  }

  function hide() {
    panel.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  async function run({ next = false } = {}) {
    clearTimeout(timer);
    timer = null;
    const q = input.value;
    if (controller) controller.abort();
    controller = null;
    if (!wantsSearch(q)) {
      results = [];
      cursor = null;
      active = -1;
      error = null;
      loading = false;
      searched = null;
      render();
      return;
    }
    const mine = new AbortController();
    controller = mine;
    const params = new URLSearchParams({ q, limit: String(PAGE_LIMIT) });
    if (next && cursor) params.set("cursor", cursor);
    loading = true;
    render();
    try {
      const page = await api.get(`/api/v1/search?${params}`, { signal: mine.signal });
      if (controller !== mine) return; // a newer query took over
      results = next ? mergeResults(results, page.results) : page.results;
      if (!next) active = results.length ? 0 : -1;
      cursor = page.next_cursor;
      error = null;
      searched = q;
      if (openWhenReady && !next) {
        openWhenReady = false;
        if (results.length) queueMicrotask(() => openResult(active >= 0 ? active : 0));
      }
    } catch (err) {
      if (controller !== mine || (err && err.name === "AbortError")) return;
      error = describeError(err);
      if (!next) {
        results = [];
        cursor = null;
        active = -1;
      }
    } finally {
      if (controller === mine) {
        controller = null;
        loading = false;
        render();
      }
    }
  }

  function openResult(index) {
    const result = results[index];
    if (!result) return;
    hide();
    input.blur();
    jumpToMessage(store, result.conversation_id, result.message.id, { open: onOpen, toast });
  }

  input.addEventListener("input", () => {
    openWhenReady = false;
    show();
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  input.addEventListener("focus", show);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      show();
      active = moveActive(active, event.key === "ArrowDown" ? 1 : -1, results.length);
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (searched === input.value && !loading) openResult(active >= 0 ? active : 0);
      else {
        openWhenReady = true; // open the first result as soon as it is here
        if (timer) run();
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      hide();
      input.blur();
    }
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  // A mousedown inside the panel must not blur the input before the click lands.
  panel.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const option = event.target.closest(".search-result");
    if (option) openResult(Number(option.dataset.index));
  });
  more.addEventListener("click", () => run({ next: true }));
  document.addEventListener("pointerdown", (event) => {
    if (!panel.hidden && !form.contains(event.target)) hide();
  });
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if ((event.key === "/" || event.key === "f") && !isTyping() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });

  return { focus: () => input.focus() };
}
