// Unreads in the browser: the tab title and app badge, marking the open conversation
// read while you can see it, Ctrl+J/K (Shift: unread only) to move through the
// sidebar, and leaving a conversation that went away. The "New messages" line is drawn
// by the message list (messages/anchors.js) from `firstUnread` (data.js).

import {
  activeConversation, conversationTitle, markRead, pickConversation, sidebarOrder, unreadTotal,
} from "../channels/index.js";
import { navigationKey, nextConversation, readTarget, titleText } from "./data.js";

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
