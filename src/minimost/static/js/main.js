// Boot order that never loses an event: who am I (and the newest event id L) →
// conversations + history of the open one → socket with since=L. From then on the
// socket resumes from the highest event id it has seen, and every event is applied
// idempotently, so reconnects and restarts neither drop nor double a message.

import { api, describeError, setCsrfRefresher, setCsrfToken, setUnauthenticatedHandler } from "./core/api.js";
import { createConfirm } from "./core/dialog.js";
import { $ } from "./core/dom.js";
import { createSocket } from "./core/socket.js";
import { createStore } from "./core/store.js";
import { createToaster } from "./core/toast.js";
import { reduceSession } from "./features/auth/data.js";
import { loadConversations } from "./features/channels/actions.js";
import { conversationForHash, hashFor, pickConversation, reduce as reduceChannels } from "./features/channels/data.js";
import { mountConversations } from "./features/channels/wire.js";
import { reduce as reduceComposer } from "./features/composer/data.js";
import { mountComposer } from "./features/composer/ui.js";
import { reduce as reduceConnection } from "./features/connection/data.js";
import { mountConnection } from "./features/connection/ui.js";
import { keepMembersLoaded } from "./features/mentions/actions.js";
import { mountMentionAutocomplete } from "./features/mentions/autocomplete.js";
import { reduce as reduceMentions } from "./features/mentions/data.js";
import { reduce as reduceMembers } from "./features/mentions/members.js";
import { mountMentionsPanel } from "./features/mentions/panel.js";
import { mountSearch } from "./features/search/ui.js";
import { loadNewest, retryPendingNow } from "./features/messages/actions.js";
import { needsLoad, reduce as reduceMessages } from "./features/messages/data.js";
import { authorName, avatar } from "./features/messages/rows.js";
import { mountMessages } from "./features/messages/ui.js";
import { reduce as reducePresence } from "./features/presence/data.js";
import { mountPresence } from "./features/presence/ui.js";
import { reduce as reducePins } from "./features/pins/data.js";
import { mountPins } from "./features/pins/ui.js";
import { mountReactions } from "./features/reactions/bar.js";
import { reduce as reduceReplies } from "./features/replies/data.js";
import { mountReplies } from "./features/replies/ui.js";
import { mountReceipts } from "./features/receipts/ui.js";
import { mountSettings } from "./features/settings/ui.js";
import { mountAttachments } from "./features/files/composer.js";
import { setLimits } from "./features/files/data.js";
import { mountFileViews } from "./features/files/view.js";
import { mountProfile } from "./features/profile/ui.js";
import { mountPreviews } from "./features/previews/card.js";
import { reduce as reduceTyping } from "./features/typing/data.js";
import { mountTyping } from "./features/typing/ui.js";

const REMEMBER_KEY = "minimost.conversation";

const store = createStore({
  session: reduceSession,
  channels: reduceChannels,
  messages: reduceMessages,
  composer: reduceComposer,
  connection: reduceConnection,
  members: reduceMembers,
  mentions: reduceMentions,
  presence: reducePresence,
  typing: reduceTyping,
  replies: reduceReplies,
  pins: reducePins,
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
});

// Sidebar, header actions, channel browser, DM picker, unreads, notifications.
const conversationFeatures = mountConversations(store, { openConversation, ask, toast });

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
mountMentionAutocomplete(store, { form: $("#composer"), input: $("#composer-input") });
mountMentionsPanel(store, { button: $("#mentions-button"), onOpen: openConversation, toast });
mountTyping(store, { form: $("#composer"), input: $("#composer-input"), send: sendFrame });
mountReceipts(store, { list: $("#message-list"), scroller: $("#message-scroller") });
// Rich messages: replies, reactions, pins (their row decorations register in this order).
mountReplies(store, { list: $("#message-list"), form: $("#composer"), input: $("#composer-input"), open: openConversation, toast });
mountReactions(store, { list: $("#message-list"), toast });
mountPins(store, { button: $("#pins-button"), list: $("#message-list"), toast });
mountSearch(store, { form: $("#search"), input: $("#search-input"), onOpen: openConversation, toast });
// Attachments (paperclip, paste, drop; thumbnails and the viewer) and profiles.
mountAttachments(store, {
  form: $("#composer"), input: $("#composer-input"), button: $("#attach-button"), picker: $("#attach-input"),
  list: $("#attachments"), dropZone: $(".main"), toast,
});
mountFileViews(store, { list: $("#message-list") });
mountPreviews();
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
  store.dispatch({ type: "session/loaded", user: me.user });
  store.dispatch({ type: "presence/override", override: me.presence_override || "auto" });
  renderMe(me.user);
  setLimits(me.limits);

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
    onEvent: (frame) => {
      store.dispatch({ type: "event", frame });
      conversationFeatures.onFrame(frame);
    },
    onHello: (frame) => {
      store.dispatch({ type: "presence/hello", data: frame.data });
      presence.connected();
    },
    onResync: resync,
    onStatus: (status) => {
      store.dispatch({ type: "connection/status", status });
      if (status === "online") retryPendingNow(); // unsent messages go out right away
    },
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
