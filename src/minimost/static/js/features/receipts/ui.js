// Read receipts under my last message in the open conversation: "Seen by Alice, Bob"
// (in a DM just "Seen" once everyone has read it). The line lives inside the message's
// row; the message list may rebuild a row at any time, so after every change we check
// that the line is where it belongs (a cheap lookup) and put it back if not.

import { el } from "../../core/dom.js";
import { authorName } from "../../ui/avatar.js";
import { activeConversation } from "../channels/index.js";
import { membersOf } from "../mentions/index.js";
import { receiptFor } from "./data.js";

export function mountReceipts(store, { list, scroller }) {
  const text = el("span", { class: "msg-receipt-text" });
  const line = el("div", { class: "msg-receipt" }, eye(), text);

  function render(state) {
    const me = state.session.user;
    const convId = state.channels.activeId;
    const conv = convId === null ? null : state.messages.byConv[convId];
    const channel = activeConversation(state.channels);
    // An old window (messages window mode) may not hold my last message: no receipt then.
    const receipt = me && conv && conv.loaded && !conv.hasNewer ? receiptFor({
      items: conv.items,
      members: membersOf(state.members, convId),
      meId: me.id,
      dm: Boolean(channel && channel.kind === "dm"),
    }) : null;
    if (!receipt) {
      line.remove();
      return;
    }
    const row = list.querySelector(`.msg[data-id="${receipt.messageId}"]:not(.editing)`);
    const main = row && row.querySelector(".msg-main");
    if (!main) {
      line.remove();
      return;
    }
    if (text.textContent !== receipt.text) {
      text.textContent = receipt.text;
      line.title = receipt.seen.map(authorName).join(", ");
      line.dataset.seenBy = receipt.seen.map((u) => u.username).join(",");
    }
    if (line.parentNode !== main || main.lastChild !== line) {
      // Keep a view that sits at the newest message there after the line grows the list.
      const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 64;
      main.append(line);
      if (atBottom) scroller.scrollTop = scroller.scrollHeight;
    }
  }

  store.subscribe(render);
  render(store.get());
}

function eye() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "msg-receipt-icon");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", "M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zm10-3a3 3 0 1 0 0 6 3 3 0 0 0 0-6z");
  svg.append(p);
  return svg;
}
