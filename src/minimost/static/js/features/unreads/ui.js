// Unreads in the browser: the tab title and app badge, marking the open conversation
// read while you can see it, Ctrl+J/K (Shift: unread only) to move through the
// sidebar, the "New messages" line, and leaving a conversation that went away.

import { el } from "../../core/dom.js";
import { markRead } from "../channels/actions.js";
import { activeConversation, conversationTitle, pickConversation, sidebarOrder, unreadTotal } from "../channels/data.js";
import { messageKey } from "../messages/data.js";
import { firstUnread, navigationKey, nextConversation, readTarget, titleText } from "./data.js";

const RETRY_MS = 10_000;
const visibleNow = () => document.visibilityState === "visible";

export function mountUnreads(store, { openConversation }) {
  let lastTitle = null;
  let lastBadge = null;
  const inFlight = new Map(); // convId -> message id being marked read
  const failed = new Map(); // convId -> { target, at }: don't hammer a mark that failed

  function renderTitle(state) {
    const { channels, session } = state;
    const total = unreadTotal(channels.list);
    const text = titleText(total, conversationTitle(activeConversation(channels), session.user?.id));
    if (text !== lastTitle) {
      lastTitle = text;
      document.title = text;
    }
    if (total !== lastBadge && "setAppBadge" in navigator) {
      lastBadge = total;
      (total ? navigator.setAppBadge(total) : navigator.clearAppBadge()).catch(() => {});
    }
  }

  // Mark read: the open conversation, while the tab is visible, up to the newest message.
  function maybeMarkRead(state) {
    const { channels, messages } = state;
    if (!channels.tabVisible || channels.activeId === null) return;
    const conv = activeConversation(channels);
    const loaded = messages.byConv[channels.activeId];
    if (!conv || !loaded || !loaded.loaded) return; // read what is on screen, not before
    const target = readTarget(conv, loaded.items, { detached: Boolean(loaded.hasNewer) });
    if (target === null || (inFlight.get(conv.id) ?? -1) >= target) return;
    const miss = failed.get(conv.id);
    if (miss && miss.target === target && Date.now() - miss.at < RETRY_MS) return;
    inFlight.set(conv.id, target);
    markRead(store, conv.id, target)
      .then(() => failed.delete(conv.id))
      .catch(() => failed.set(conv.id, { target, at: Date.now() })) // retried by a later change
      .finally(() => {
        if (inFlight.get(conv.id) === target) inFlight.delete(conv.id);
      });
  }

  // The open conversation disappeared (left, removed, archived): go elsewhere.
  function maybeLeave(state, prev) {
    const { channels } = state;
    if (channels.activeId !== null || !prev || prev.channels.activeId === null) return;
    const next = pickConversation(channels.list.filter((c) => !c.hidden && !c.archived));
    if (next !== null) queueMicrotask(() => openConversation(next));
  }

  store.subscribe((state, prev) => {
    renderTitle(state);
    maybeMarkRead(state);
    maybeLeave(state, prev);
  });

  document.addEventListener("visibilitychange", () => {
    store.dispatch({ type: "channels/visibility", visible: visibleNow() });
  });
  store.dispatch({ type: "channels/visibility", visible: visibleNow() });

  document.addEventListener("keydown", (event) => {
    const nav = navigationKey(event);
    if (!nav || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    const { channels } = store.get();
    const id = nextConversation(sidebarOrder(channels.list, channels.activeId), channels.activeId, nav.dir, nav);
    if (id !== null) openConversation(id);
  });

  renderTitle(store.get());
}

// ---- the "New messages" line and scrolling to a message -------------------------

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
