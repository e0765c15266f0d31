// Anchors in the message list: the "New messages" line above the first message after the
// read position the conversation had when it was opened (the unreads feature says which
// message that is), and scrolling to a message someone asked to see (the channels
// slice's `focus`, set by jump.js).

import { el } from "../../core/dom.js";
import { firstUnread } from "../unreads/index.js";
import { messageKey } from "./data.js";

function newMessagesRow() {
  return el("div", { class: "new-divider", id: "new-messages", role: "separator", "aria-label": "New messages" },
    el("span", { text: "New messages" }));
}

/**
 * Insert the "New messages" line into the message list's wanted rows (key/sig/build
 * objects, see messages/ui.js), above the first message after the read position the
 * conversation had when it was opened.
 */
export function withNewMessagesDivider(rows, loaded, channels) {
  const divider = channels.divider;
  if (!divider || divider.convId !== channels.activeId || !loaded || !loaded.loaded) return rows;
  const first = firstUnread(loaded.items, divider.afterId);
  if (!first) return rows;
  const key = messageKey(first);
  let at = rows.findIndex((r) => r.key === key);
  if (at === -1) return rows;
  // Keep a day divider right above its first message: the line goes above both.
  if (at > 0 && String(rows[at - 1].key).startsWith("d:")) at -= 1;
  const out = rows.slice();
  out.splice(at, 0, { key: "new-divider", sig: ["new-divider", divider.afterId], build: newMessagesRow });
  return out;
}

/**
 * After the message list rendered: bring the message a notification pointed at into
 * view (once), or the "New messages" line when a conversation opens with more unread
 * than fits. Returns true when it scrolled (the list then stops sticking to the bottom).
 */
export function revealAnchor(store, { list, scroller, channels, loaded }) {
  if (!loaded || !loaded.loaded) return false;
  const focus = channels.focus;
  if (focus && focus.convId === channels.activeId) {
    const node = list.querySelector(`.msg[data-id="${CSS.escape(String(focus.messageId))}"]`);
    if (!node) return false;
    node.scrollIntoView({ block: "center" });
    // The message is the anchor now: the "New messages" line must not pull the view away.
    const divider = list.querySelector("#new-messages");
    if (divider) divider.dataset.revealed = "1";
    node.classList.add("flash");
    setTimeout(() => node.classList.remove("flash"), 2000);
    queueMicrotask(() => store.dispatch({ type: "channels/focused" }));
    return true;
  }
  const divider = list.querySelector("#new-messages");
  if (!divider || divider.dataset.revealed) return false;
  divider.dataset.revealed = "1";
  const top = divider.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
  if (top < 0) {
    scroller.scrollTop = Math.max(0, scroller.scrollTop + top - 24);
    return true;
  }
  return false;
}
