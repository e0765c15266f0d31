// Replies in the UI: a Reply action on every message, the "Replying to …" bar above the
// composer (Esc or × cancels), the compact quote on a reply, and jumping to the original:
// messages/jump.js brings it into the list however far back it is (older pages, or a
// window around it), then the message list scrolls to it and flashes it.

import { el } from "../../core/dom.js";
import { authorName } from "../../ui/avatar.js";
import { iconButton } from "../../ui/icons.js";
import { jumpToMessage } from "../messages/index.js";
import { canReply, quoteOf, replyExtension } from "./data.js";

const REPLY_ICON = "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z";

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

/**
 * `decorations`: the message rows' extension points (messages feature); `composer`: the
 * composer's mount, whose sends carry the reply target. main.js hands both over.
 */
export function mountReplies(store, { list, form, input, open, toast, decorations, composer }) {
  decorations.decorate("actions", (m) => (canReply(m) ? iconButton("reply", "Reply", REPLY_ICON) : null));
  decorations.decorate("quote", (m) => (m.reply_to ? quoteNode(m.reply_to) : null));
  composer.extendSend(replyExtension);

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
