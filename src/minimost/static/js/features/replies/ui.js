// Replies in the UI: a Reply action on every message, the "Replying to …" bar above the
// composer (Esc or × cancels), the compact quote on a reply, and jumping to the original:
// older pages are loaded until it is there (bounded), then the message list scrolls to it
// and flashes it (through the channels slice's `focus`, as the mentions panel does).

import { el } from "../../core/dom.js";
import { extendSend, loadOlder } from "../messages/actions.js";
import { decorate } from "../messages/decorations.js";
import { authorName, iconButton } from "../messages/rows.js";
import { canReply, isLoaded, MAX_JUMP_PAGES, quoteOf, replyExtension } from "./data.js";

const REPLY_ICON = "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z";
const WAIT_MS = 15_000;

/** Resolve with the state once `ready(state)` holds (or after WAIT_MS, whatever it is). */
function until(store, ready) {
  return new Promise((resolve) => {
    if (ready(store.get())) return resolve(store.get());
    let stop = null;
    const timer = setTimeout(() => {
      stop();
      resolve(store.get());
    }, WAIT_MS);
    stop = store.subscribe((state) => {
      if (!ready(state)) return;
      clearTimeout(timer);
      stop();
      resolve(state);
    });
  });
}

/**
 * Show message `id` of `convId`: open the conversation (through `open`), load older pages
 * until the message is there (at most MAX_JUMP_PAGES), then scroll to it and flash it.
 * Resolves true when it is shown.
 */
export async function jumpToMessage(store, convId, id, { open = null, toast = null } = {}) {
  store.dispatch({ type: "channels/focus", convId, messageId: id });
  if (store.get().channels.activeId !== convId && open) open(convId);
  for (let page = 0; page <= MAX_JUMP_PAGES; page++) {
    const state = await until(store, (s) => {
      const conv = s.messages.byConv[convId];
      return Boolean(conv && (conv.loaded || conv.error) && !conv.loadingOlder);
    });
    const conv = state.messages.byConv[convId];
    if (isLoaded(conv, id)) return true;
    if (!conv || !conv.loaded || !conv.hasMore || conv.error || page === MAX_JUMP_PAGES) break;
    await loadOlder(store, convId);
  }
  store.dispatch({ type: "channels/focused" });
  if (toast) toast("That message is too far back to show here.", { kind: "error" });
  return false;
}

function quoteNode(quote) {
  if (quote.deleted) {
    return el("div", { class: "reply-quote deleted" }, el("em", { text: "message deleted" }));
  }
  return el("button", {
    type: "button",
    class: "reply-quote",
    dataset: { jumpTo: quote.id },
    title: "Show the original message",
  },
  el("span", { class: "reply-quote-author", text: authorName(quote.author) }),
  el("span", { class: "reply-quote-text", text: quote.excerpt }));
}

export function mountReplies(store, { list, form, input, open, toast }) {
  decorate("actions", (m) => (canReply(m) ? iconButton("reply", "Reply", REPLY_ICON) : null));
  decorate("quote", (m) => (m.reply_to ? quoteNode(m.reply_to) : null));
  extendSend(replyExtension);

  const label = el("span", { class: "reply-bar-text" });
  const cancel = el("button", { type: "button", class: "icon-btn reply-cancel", "aria-label": "Cancel reply", title: "Cancel reply (Esc)", text: "×" });
  const bar = el("div", { class: "reply-bar", id: "reply-bar", hidden: true }, label, cancel);
  form.prepend(bar);

  const activeId = () => store.get().channels.activeId;
  const findMessage = (id) => {
    const conv = store.get().messages.byConv[activeId()];
    return conv ? conv.items.find((m) => !m.pending && m.id === id) ?? null : null;
  };

  let prev = {};
  function render(state) {
    const quote = state.replies.byConv[state.channels.activeId] ?? null;
    if (quote === prev.quote) return;
    prev = { quote };
    bar.hidden = !quote;
    input.setAttribute("aria-describedby", quote ? "reply-bar composer-hint" : "composer-hint");
    if (!quote) return;
    label.replaceChildren("Replying to ", el("strong", { text: authorName(quote.author) }), ": ",
      el("span", { class: "reply-bar-excerpt", text: quote.excerpt }));
  }

  function cancelReply() {
    store.dispatch({ type: "reply/cancel", convId: activeId() });
    input.focus();
  }

  list.addEventListener("click", (event) => {
    const jump = event.target.closest(".reply-quote[data-jump-to]");
    if (jump) {
      jumpToMessage(store, activeId(), Number(jump.dataset.jumpTo), { toast });
      return;
    }
    const button = event.target.closest("button[data-action='reply']");
    const row = button && button.closest(".msg");
    const message = row && findMessage(Number(row.dataset.id));
    if (!canReply(message)) return;
    store.dispatch({ type: "reply/start", convId: activeId(), quote: quoteOf(message) });
    input.focus();
  });

  cancel.addEventListener("click", cancelReply);
  // Capture phase: before the composer's own Esc (which leaves the box), and only when no
  // popup (mention autocomplete) wants the key first.
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !store.get().replies.byConv[activeId()]) return;
    if (document.querySelector(".mention-list:not([hidden])")) return;
    event.preventDefault();
    event.stopPropagation();
    cancelReply();
  }, true);

  store.subscribe(render);
  render(store.get());
  return { jump: (convId, id) => jumpToMessage(store, convId, id, { open, toast }) };
}
