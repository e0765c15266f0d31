// What the conversation list does with socket frames beyond its reducer (data.js), and
// where to go when the open conversation is gone. main.js calls `onFrame` with every
// frame after the store applied it.

import { loadConversations, refreshConversation } from "./actions.js";
import { pickConversation } from "./data.js";

const REFRESH_DELAY_MS = 300;

/**
 * createConversationSync(store, { reloadMessages })
 *   reloadMessages(convId)  refetch a conversation's history from scratch (the messages
 *                           feature's loadNewest with reset, handed over by main.js)
 */
export function createConversationSync(store, { reloadMessages }) {
  // A message for a conversation we don't list (its creation event predates our
  // cursor, or we missed it): refetch the list once things settle.
  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => loadConversations(store).catch(() => {}), REFRESH_DELAY_MS);
  }

  return {
    /** Call with every socket frame after the store applied it. */
    onFrame(frame) {
      const state = store.get();
      const me = state.session.user;
      const convId = frame.conversation ?? frame.data?.conversation_id;
      if (frame.type === "message.created" && convId !== undefined && !state.channels.list.some((c) => c.id === convId)) {
        refreshSoon();
      }
      // Back in a conversation we had loaded before leaving it: that copy missed what
      // was said meanwhile, so fetch it fresh.
      if (frame.type === "member.added" && me && frame.data?.user?.id === me.id && state.messages.byConv[convId]) {
        reloadMessages(convId);
      }
      // Event payloads leave out per-user fields (and a DM's members): fetch the full copy.
      const joinedMe = frame.type === "member.added" && me && frame.data?.user?.id === me.id;
      if ((frame.type === "conversation.created" || joinedMe) && convId !== undefined) {
        if (state.channels.list.some((c) => c.id === convId)) refreshConversation(store, convId).catch(() => {});
      }
    },
  };
}

/** Away from a conversation you left or hid, to the one you'd open on a fresh load. */
export function goElsewhere(store, goneId, openConversation) {
  const { channels } = store.get();
  if (channels.activeId !== null && channels.activeId !== goneId) return;
  const rest = channels.list.filter((c) => c.id !== goneId && !c.hidden && !c.archived);
  const next = pickConversation(rest);
  if (next !== null) openConversation(next);
}
