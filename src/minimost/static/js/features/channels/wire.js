// Mounts the conversation features (sidebar, header actions, browser, DM picker,
// private channel dialog, unreads, notifications) and routes socket frames to the
// parts that act on them beyond the store.

import { $ } from "../../core/dom.js";
import { mountChannelBrowser } from "../browser/ui.js";
import { mountDmPicker } from "../dms/ui.js";
import { loadNewest } from "../messages/actions.js";
import { jumpToMessage } from "../messages/jump.js";
import { mountNotifications } from "../notifications/ui.js";
import { mountUnreads } from "../unreads/ui.js";
import { loadConversations, refreshConversation } from "./actions.js";
import { mountCreatePrivate } from "./create.js";
import { pickConversation } from "./data.js";
import { mountConversationActions } from "./details.js";
import { mountChannels } from "./ui.js";

const REFRESH_DELAY_MS = 300;

export function mountConversations(store, { openConversation, ask, toast }) {
  const sidebar = mountChannels(store, {
    lists: { channels: $("#public-list"), private: $("#private-list"), dms: $("#dm-list") },
    nav: $("#channel-list"),
    title: $("#channel-title"),
    topic: $("#channel-topic"),
    sigil: $(".topbar-hash"),
    toggle: $("#drawer-toggle"),
    backdrop: $("#drawer-backdrop"),
    closeButton: $("#drawer-close"),
    sidebar: $("#sidebar"),
    onSelect: openConversation,
  });
  const open = (id) => {
    sidebar.closeDrawer();
    openConversation(id);
  };

  // Away from a conversation you left or hid, to the one you'd open on a fresh load.
  function goElsewhere(goneId) {
    const { channels } = store.get();
    if (channels.activeId !== null && channels.activeId !== goneId) return;
    const rest = channels.list.filter((c) => c.id !== goneId && !c.hidden && !c.archived);
    const next = pickConversation(rest);
    if (next !== null) openConversation(next);
  }

  const details = mountConversationActions(store, {
    muteButton: $("#conv-mute"),
    detailsButton: $("#conv-details"),
    ask,
    toast,
    onGone: goElsewhere,
  });
  mountUnreads(store, { openConversation: open });
  mountDmPicker(store, { openButton: $("#new-dm"), onOpen: open });
  const create = mountCreatePrivate(store, { openButton: $("#create-private"), onOpen: open });
  mountChannelBrowser(store, { openButton: $("#browse-channels"), onOpen: open, onCreatePrivate: create.open });
  const notifications = mountNotifications(store, {
    muteAllButton: $("#notify-toggle"),
    settingsButton: $("#notify-settings"),
    openConversation: open,
    focusMessage: (convId, messageId) => jumpToMessage(store, convId, messageId, { toast }),
  });

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
        loadNewest(store, convId, { reset: true });
      }
      // Event payloads leave out per-user fields (and a DM's members): fetch the full copy.
      const joinedMe = frame.type === "member.added" && me && frame.data?.user?.id === me.id;
      if ((frame.type === "conversation.created" || joinedMe) && convId !== undefined) {
        if (state.channels.list.some((c) => c.id === convId)) refreshConversation(store, convId).catch(() => {});
      }
      details.onFrame(frame);
      notifications.onFrame(frame);
    },
  };
}
