// Boot order that never loses an event: who am I (and the newest event id L) →
// conversations + history of the open one → socket with since=L. From then on the
// socket resumes from the highest event id it has seen, and every event is applied
// idempotently, so reconnects and restarts neither drop nor double a message.

import { api, describeError, setCsrfRefresher, setCsrfToken, setUnauthenticatedHandler } from "./core/api.js";
import { $ } from "./core/dom.js";
import { createSocket } from "./core/socket.js";
import { createStore } from "./core/store.js";
import { authorName, avatar } from "./ui/avatar.js";
import { createConfirm } from "./ui/dialog.js";
import { createToaster } from "./ui/toast.js";
import { reduceSession } from "./features/auth/index.js";
import { mountChannelBrowser } from "./features/browser/index.js";
import {
  conversationForHash, createConversationSync, goElsewhere, hashFor, loadConversations, mountChannels,
  mountConversationActions, mountCreatePrivate, pickConversation, reduceChannels,
} from "./features/channels/index.js";
import { mountComposer, reduceComposer } from "./features/composer/index.js";
import { mountConnection, reduceConnection } from "./features/connection/index.js";
import { mountDmPicker } from "./features/dms/index.js";
import { mountAttachments, mountFileViews, reduceLimits } from "./features/files/index.js";
import {
  keepMembersLoaded, mountMentionAutocomplete, mountMentionsPanel, reduceMembers, reduceMentions,
} from "./features/mentions/index.js";
import {
  createDecorations, jumpToMessage, loadNewest, messagesReducer, mountMessages, needsLoad,
} from "./features/messages/index.js";
import { mountNotifications } from "./features/notifications/index.js";
import { mountPins, pinPatches, reducePins } from "./features/pins/index.js";
import { createPresenceDots, mountPresence, reducePresence } from "./features/presence/index.js";
import { mountPreviews } from "./features/previews/index.js";
import { mountProfile } from "./features/profile/index.js";
import { mountReactions, reactionPatches } from "./features/reactions/index.js";
import { mountReceipts } from "./features/receipts/index.js";
import { mountReplies, reduceReplies } from "./features/replies/index.js";
import { mountSearch } from "./features/search/index.js";
import { mountSettings } from "./features/settings/index.js";
import { mountTyping, reduceTyping } from "./features/typing/index.js";
import { mountUnreads } from "./features/unreads/index.js";

const REMEMBER_KEY = "minimost.conversation";

// Every slice of state, and which feature owns it. Reactions and pins change loaded
// messages through their own events: the messages reducer applies their patches.
const store = createStore({
  session: reduceSession,
  channels: reduceChannels,
  messages: messagesReducer({ ...reactionPatches, ...pinPatches }),
  composer: reduceComposer,
  connection: reduceConnection,
  members: reduceMembers,
  mentions: reduceMentions,
  presence: reducePresence,
  typing: reduceTyping,
  replies: reduceReplies,
  pins: reducePins,
  limits: reduceLimits,
});

let socket = null;
let leaving = false;

function goToLogin() {
  if (leaving) return;
  leaving = true;
  if (socket) socket.stop();
  location.replace("/login");
}
setUnauthenticatedHandler(goToLogin);
mountSettings({
  button: $("#open-settings"),
  toast: (...args) => toast(...args),
  signOut: (query) => {
    leaving = true;
    if (socket) socket.stop();
    location.replace(`/login${query}`);
  },
});
setCsrfRefresher(async () => (await api.get("/api/v1/me")).csrf_token);

const toast = createToaster($("#toasts"));
const ask = createConfirm($("#confirm-dialog"));
// What other features add to every message row (replies, files, previews, reactions,
// pins), and the presence dots that messages and mention suggestions show.
const decorations = createDecorations();
const presenceDots = createPresenceDots(store);

const composer = mountComposer(store, {
  form: $("#composer"),
  input: $("#composer-input"),
  label: $("#composer-label"),
  counter: $("#char-count"),
  sendButton: $("#send-button"),
});

mountMessages(store, {
  scroller: $("#message-scroller"),
  list: $("#message-list"),
  jumpButton: $("#jump-latest"),
  ask,
  toast,
  focusComposer: () => composer.focus(),
  decorations,
  presenceDot: (userId) => presenceDots.dot(userId),
});

// Sidebar, header actions, unreads, DM picker, private channel dialog, channel browser,
// notifications.
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
const openFromSidebar = (id) => {
  sidebar.closeDrawer();
  openConversation(id);
};
const details = mountConversationActions(store, {
  muteButton: $("#conv-mute"),
  detailsButton: $("#conv-details"),
  ask,
  toast,
  onGone: (goneId) => goElsewhere(store, goneId, openConversation),
});
mountUnreads(store, { openConversation: openFromSidebar });
mountDmPicker(store, { openButton: $("#new-dm"), onOpen: openFromSidebar });
const createPrivate = mountCreatePrivate(store, { openButton: $("#create-private"), onOpen: openFromSidebar });
mountChannelBrowser(store, { openButton: $("#browse-channels"), onOpen: openFromSidebar, onCreatePrivate: createPrivate.open });
const notifications = mountNotifications(store, {
  muteAllButton: $("#notify-toggle"),
  settingsButton: $("#notify-settings"),
  openConversation: openFromSidebar,
  focusMessage: (convId, messageId) => jumpToMessage(store, convId, messageId, { toast }),
});
const conversationSync = createConversationSync(store, {
  reloadMessages: (convId) => loadNewest(store, convId, { reset: true }),
});

mountConnection(store, {
  banner: $("#conn-banner"),
  text: $("#conn-text"),
  retryButton: $("#conn-retry"),
  onRetry: () => socket && socket.retryNow(),
});

// In-conversation awareness: mentions, typing, presence, read receipts. The receipts
// subscribe after the message list, so they find the rows it just rendered.
const sendFrame = (frame) => socket && socket.send(frame);
keepMembersLoaded(store);
mountMentionAutocomplete(store, {
  form: $("#composer"), input: $("#composer-input"),
  presenceDot: (userId, options) => presenceDots.dot(userId, options),
});
mountMentionsPanel(store, { button: $("#mentions-button"), onOpen: openConversation, toast });
mountTyping(store, { form: $("#composer"), input: $("#composer-input"), send: sendFrame });
mountReceipts(store, { list: $("#message-list"), scroller: $("#message-scroller") });
// Rich messages: replies, reactions, pins (their row decorations register in this order).
mountReplies(store, {
  list: $("#message-list"), form: $("#composer"), input: $("#composer-input"), open: openConversation, toast,
  decorations, composer,
});
mountReactions(store, { list: $("#message-list"), toast, decorations });
mountPins(store, { button: $("#pins-button"), list: $("#message-list"), toast, decorations });
mountSearch(store, { form: $("#search"), input: $("#search-input"), onOpen: openConversation, toast });
// Attachments (paperclip, paste, drop; thumbnails and the viewer) and profiles.
mountAttachments(store, {
  form: $("#composer"), input: $("#composer-input"), button: $("#attach-button"), picker: $("#attach-input"),
  list: $("#attachments"), dropZone: $(".main"), toast, composer,
});
mountFileViews(store, { list: $("#message-list"), decorations });
mountPreviews({ decorations });
mountProfile(store, {
  openButton: $("#open-profile"), list: $("#message-list"), meName: $("#me-name"), meAvatar: $("#me-avatar"),
  onOpen: openConversation, toast,
});
const presence = mountPresence(store, {
  send: sendFrame,
  button: $("#presence-button"),
  meDot: $("#me-presence"),
  menu: $("#presence-menu"),
  toast,
  dots: presenceDots,
});

function openConversation(id) {
  const state = store.get();
  if (state.channels.activeId === id) return;
  store.dispatch({ type: "edit/end" });
  store.dispatch({ type: "channels/select", id });
  const conv = state.channels.list.find((c) => c.id === id);
  if (conv) {
    history.replaceState(null, "", `#${encodeURIComponent(hashFor(conv))}`);
    try {
      localStorage.setItem(REMEMBER_KEY, String(id));
    } catch {
      /* storage disabled */
    }
  }
  if (needsLoad(store.get().messages.byConv[id])) loadNewest(store, id);
  if (matchMedia("(pointer: fine)").matches) composer.focus();
}

function rememberedConversation() {
  try {
    return localStorage.getItem(REMEMBER_KEY);
  } catch {
    return null;
  }
}

function hashName() {
  return location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : null;
}

window.addEventListener("hashchange", () => {
  const conv = conversationForHash(store.get().channels.list, hashName());
  if (conv) openConversation(conv.id);
});

async function resync() {
  // The server could not replay from our cursor: refetch what we show.
  try {
    await loadConversations(store);
    const { activeId } = store.get().channels;
    store.dispatch({ type: "messages/invalidate", keep: activeId });
    if (activeId !== null) await loadNewest(store, activeId, { reset: true });
  } catch (err) {
    toast(`Couldn't refresh: ${describeError(err)}`, { kind: "error" });
  }
}

function renderMe(user) {
  $("#me-name").textContent = authorName(user);
  $("#me-username").textContent = `@${user.username}`;
  $("#me-avatar").replaceChildren(avatar(user));
}

$("#logout").addEventListener("click", async () => {
  leaving = true;
  if (socket) socket.stop();
  try {
    await api.post("/api/v1/auth/logout");
  } catch {
    /* the session may already be gone; leave anyway */
  }
  location.replace("/login?logged_out=1");
});

async function withRetry(step) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (leaving || !err.transient) throw err;
      store.dispatch({ type: "connection/status", status: "offline" });
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
    }
  }
}

async function boot() {
  const me = await withRetry(() => api.get("/api/v1/me"));
  setCsrfToken(me.csrf_token);
  store.dispatch({ type: "session/loaded", user: me.user, limits: me.limits }); // limits: files feature
  store.dispatch({ type: "presence/override", override: me.presence_override || "auto" });
  renderMe(me.user);

  const conversations = await withRetry(() => loadConversations(store));
  const first = pickConversation(store.get().channels.list, { hashName: hashName(), rememberedId: rememberedConversation() });
  if (first !== null) {
    store.dispatch({ type: "channels/select", id: first });
    const conv = conversations.find((c) => c.id === first);
    history.replaceState(null, "", `#${encodeURIComponent(hashFor(conv))}`);
    await loadNewest(store, first);
  }

  socket = createSocket({
    since: me.last_event_id,
    // Frame handlers beyond the reducers, in this order, after the store applied the frame.
    onEvent: (frame) => {
      store.dispatch({ type: "event", frame });
      conversationSync.onFrame(frame);
      details.onFrame(frame);
      notifications.onFrame(frame);
    },
    onHello: (frame) => {
      store.dispatch({ type: "presence/hello", data: frame.data });
      presence.connected();
    },
    onResync: resync,
    // Going online also wakes the sends waiting to retry (messages/actions.js): unsent
    // messages go out right away.
    onStatus: (status) => store.dispatch({ type: "connection/status", status }),
    onAuthLost: goToLogin,
  });
  window.addEventListener("online", () => socket.retryNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") socket.retryNow();
  });
  document.body.classList.add("ready");
}

boot().catch((err) => {
  if (leaving) return;
  toast(`MiniMost couldn't start: ${describeError(err)}`, { kind: "error", ms: 60_000 });
});
