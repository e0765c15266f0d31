// The sidebar's conversations (channels, private channels, DMs), which one is open,
// per-conversation unread state, and the live events that change them. No DOM here.
//
// Every conversation in `list` carries the server's per-user fields (unread_count,
// mention_count, last_read_message_id, last_message_id, hidden, muted); events and
// read answers update them in place, so the sidebar, the title and the shortcuts all
// read one source.

import { mergeUserList, personName } from "../../core/people.js";

const initial = {
  list: [],
  activeId: null,
  loaded: false,
  tabVisible: true,
  divider: null, // { convId, afterId }: where the "New messages" line goes
  focus: null, // { convId, messageId }: scroll to this message once it is shown
};

export const CONV_DEFAULTS = Object.freeze({
  name: null,
  topic: "",
  archived: false,
  is_member: true,
  created_by: null,
  members: [],
  unread_count: 0,
  mention_count: 0,
  last_read_message_id: null,
  last_message_id: null,
  hidden: false,
  muted: false,
});

/** Fill in the per-user fields an event payload leaves out. */
export function normalize(conv) {
  const out = { ...CONV_DEFAULTS };
  for (const [key, value] of Object.entries(conv)) if (value !== undefined) out[key] = value;
  return out;
}

/** Newer data over older, keeping the fields the incoming copy does not carry. */
export function mergeConversation(existing, incoming) {
  if (!existing) return normalize(incoming);
  const out = { ...existing };
  for (const [key, value] of Object.entries(incoming)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * `fetched` is a copy the server answered with (the list, a GET, a PATCH answer): its state
 * when it answered. Socket events may have told us newer things before the answer arrived
 * (on a busy server or network): a message, which also unhides a DM, or our read
 * position. Such a copy must not take them back; a copy as new as what we know wins.
 */
export function keepNewer(existing, fetched) {
  if (!existing) return fetched;
  const out = { ...fetched };
  const newerMessage = (existing.last_message_id ?? 0) > (fetched.last_message_id ?? 0);
  const newerRead = (existing.last_read_message_id ?? 0) > (fetched.last_read_message_id ?? 0);
  if (newerMessage) {
    out.last_message_id = existing.last_message_id;
    out.hidden = existing.hidden;
  }
  if (newerRead) out.last_read_message_id = existing.last_read_message_id;
  if (newerMessage || newerRead) {
    out.unread_count = existing.unread_count;
    out.mention_count = existing.mention_count;
  }
  return out;
}

// ---- names ------------------------------------------------------------------

/** The other people in a DM (all of them, you excluded). */
export function dmOthers(conv, meId) {
  return (conv.members || []).filter((u) => u.id !== meId);
}

/** Sidebar label: a channel's name; a DM's other people; yourself alone is a note to self. */
export function conversationLabel(conv, meId) {
  if (!conv) return "";
  if (conv.kind !== "dm") return String(conv.name ?? "");
  if (!conv.members || conv.members.length === 0) return "Direct message"; // members not known yet
  const others = dmOthers(conv, meId);
  if (others.length === 0) return "you (note to self)";
  return others.map(personName).join(", ");
}

/** Label with its sigil, for the tab title and the composer ("#general", "@Jason"). */
export function conversationTitle(conv, meId) {
  if (!conv) return "";
  const label = conversationLabel(conv, meId);
  if (conv.kind !== "dm") return `#${label}`;
  return dmOthers(conv, meId).length === 1 ? `@${label}` : label;
}

// ---- URL hash -----------------------------------------------------------------

/** Public channels are addressed by name; private channels and DMs by id (names may repeat). */
export function hashFor(conv) {
  return conv.kind === "public" && conv.name ? conv.name : `~${conv.id}`;
}

export function conversationForHash(list, hash) {
  if (!hash) return null;
  const byId = /^~(\d+)$/.exec(hash);
  if (byId) return list.find((c) => String(c.id) === byId[1]) ?? null;
  return list.find((c) => c.kind === "public" && c.name === hash) ?? list.find((c) => c.name === hash) ?? null;
}

/** Which conversation to open: the one named in the URL hash, the remembered one, else general/the first. */
export function pickConversation(list, { hashName = null, rememberedId = null } = {}) {
  if (list.length === 0) return null;
  const byHash = conversationForHash(list, hashName);
  if (byHash) return byHash.id;
  if (rememberedId !== null && rememberedId !== undefined) {
    const remembered = list.find((c) => String(c.id) === String(rememberedId));
    if (remembered && !remembered.hidden) return remembered.id;
  }
  const visible = list.filter((c) => !c.hidden);
  const general = visible.find((c) => c.kind === "public" && c.name === "general");
  return (general ?? visible[0] ?? list[0]).id;
}

// ---- sidebar order ------------------------------------------------------------

const byName = (a, b) =>
  String(a.name ?? "").localeCompare(String(b.name ?? ""), undefined, { sensitivity: "base" }) || a.id - b.id;
const byActivity = (a, b) => (b.last_message_id ?? 0) - (a.last_message_id ?? 0) || b.id - a.id;

/**
 * The sidebar's three sections in display order. Hidden DMs are skipped (unless open:
 * the sidebar always shows where you are); archived conversations are gone.
 */
export function sections(list, activeId = null) {
  const pub = [];
  const priv = [];
  const dms = [];
  for (const c of list) {
    if (c.archived) continue;
    if (c.kind === "dm") {
      if (!c.hidden || c.id === activeId) dms.push(c);
    } else if (c.kind === "private") priv.push(c);
    else pub.push(c);
  }
  return { channels: pub.sort(byName), private: priv.sort(byName), dms: dms.sort(byActivity) };
}

/** Every visible conversation in sidebar order (what Ctrl+J / Ctrl+K walk through). */
export function sidebarOrder(list, activeId = null) {
  const s = sections(list, activeId);
  return [...s.channels, ...s.private, ...s.dms];
}

// ---- unreads ------------------------------------------------------------------

/** Does this message mention me (by name, or @everyone / @here)? */
export function mentionsMe(message, meId) {
  if (!message) return false;
  if (message.mention_all === "everyone" || message.mention_all === "here") return true;
  return Array.isArray(message.mentions) && message.mentions.includes(meId);
}

/** The number in the tab title and app badge: unread messages outside muted conversations. */
export function unreadTotal(list) {
  let total = 0;
  for (const c of list) if (!c.muted && !c.archived) total += c.unread_count || 0;
  return total;
}

/** Badge text for a count: "99+" beyond 99. */
export const countText = (n) => (n > 99 ? "99+" : String(n));

export const activeConversation = (state) => state.list.find((c) => c.id === state.activeId) ?? null;

// ---- reducer ------------------------------------------------------------------

function replace(state, id, fn) {
  const at = state.list.findIndex((c) => c.id === id);
  if (at === -1) return state;
  const next = fn(state.list[at]);
  if (next === state.list[at]) return state;
  const list = state.list.slice();
  list[at] = next;
  return { ...state, list };
}

export function upsert(state, conversation) {
  const at = state.list.findIndex((c) => c.id === conversation.id);
  if (at === -1) return { ...state, list: state.list.concat([normalize(conversation)]) };
  const list = state.list.slice();
  list[at] = keepNewer(list[at], mergeConversation(list[at], conversation));
  return { ...state, list };
}

function remove(state, id) {
  if (!state.list.some((c) => c.id === id)) return state;
  const gone = state.activeId === id;
  return {
    ...state,
    list: state.list.filter((c) => c.id !== id),
    activeId: gone ? null : state.activeId,
    divider: gone ? null : state.divider,
    focus: gone ? null : state.focus,
  };
}

/** Where the "New messages" line goes when `conv` is opened (null: nothing unread). */
export function dividerFor(conv) {
  if (!conv || !(conv.unread_count > 0)) return null;
  return { convId: conv.id, afterId: conv.last_read_message_id ?? 0 };
}

/** Apply a read position (ours, from the read answer or another tab). Forward only. */
export function applyRead(conv, { message_id, unread_count, mention_count }) {
  if (conv.last_read_message_id !== null && message_id < conv.last_read_message_id) return conv;
  const next = { ...conv, last_read_message_id: message_id };
  if (unread_count !== undefined) {
    next.unread_count = unread_count;
    next.mention_count = mention_count ?? 0;
  } else if (conv.last_message_id === null || message_id >= conv.last_message_id) {
    next.unread_count = 0;
    next.mention_count = 0;
  }
  return next;
}

function messageCreated(state, frame, me, messages) {
  const m = frame.data;
  const convId = frame.conversation ?? (m && m.conversation_id);
  if (!m || m.id === undefined) return state;
  return replace(state, convId, (conv) => {
    // Ids grow in commit order: a message at or below what we know is already counted
    // (the list was fetched after it, or the socket replayed it).
    if (conv.last_message_id !== null && m.id <= conv.last_message_id) return conv;
    const next = { ...conv, last_message_id: m.id, hidden: false };
    const own = Boolean(me && m.author && m.author.id === me.id);
    // Not seen while the open conversation shows an old window (messages window mode).
    const detached = Boolean(messages && messages.byConv[convId] && messages.byConv[convId].hasNewer);
    const seen = convId === state.activeId && state.tabVisible && !detached;
    // A replayed message.created carries the message as it is now: a tombstone is not news.
    if (!own && !seen && !m.deleted_at) {
      next.unread_count = (conv.unread_count || 0) + 1;
      if (mentionsMe(m, me && me.id)) next.mention_count = (conv.mention_count || 0) + 1;
    }
    return next;
  });
}

function applyEvent(state, frame, me, messages) {
  const data = frame.data || {};
  const convId = frame.conversation ?? data.conversation_id ?? data.id;
  const isMe = (user) => Boolean(me && user && user.id === me.id);
  switch (frame.type) {
    case "message.created":
      return messageCreated(state, frame, me, messages);
    case "conversation.created": {
      if (data.archived) return state;
      // Someone else's new DM starts hidden for me (actions/dms.py): it shows once
      // something is said in it. The payload carries no per-user fields to say so.
      const hidden = data.kind === "dm" && !isMe({ id: data.created_by });
      const known = state.list.some((c) => c.id === convId);
      return upsert(state, { ...data, id: convId, is_member: true, ...(known ? {} : { hidden }) });
    }
    case "conversation.updated": {
      if (data.archived) return remove(state, convId);
      const patch = {};
      for (const key of ["name", "topic", "archived"]) if (key in data) patch[key] = data[key];
      return replace(state, convId, (c) => mergeConversation(c, patch));
    }
    case "member.added":
      if (!isMe(data.user)) return state;
      return upsert(state, { ...(data.conversation || {}), id: convId, is_member: true });
    case "member.removed":
      return isMe(data.user) ? remove(state, convId) : state;
    case "membership.updated": {
      const patch = {};
      if (typeof data.hidden === "boolean") patch.hidden = data.hidden;
      if (typeof data.muted === "boolean") patch.muted = data.muted;
      return replace(state, convId, (c) => mergeConversation(c, patch));
    }
    case "read.updated":
      if (!me || data.user_id !== me.id || typeof data.message_id !== "number") return state;
      return replace(state, convId, (c) => applyRead(c, { message_id: data.message_id }));
    default:
      return state;
  }
}

/** A DM's title and faces follow its members' profile changes (`user.updated`). */
function withUpdatedUser(state, user) {
  if (!user) return state;
  let list = null;
  state.list.forEach((conv, i) => {
    const members = mergeUserList(conv.members, user);
    if (members !== conv.members) (list ??= state.list.slice())[i] = { ...conv, members };
  });
  return list ? { ...state, list } : state;
}

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "channels/loaded": {
      const known = new Map(state.list.map((c) => [c.id, c]));
      const list = action.conversations.map((c) => keepNewer(known.get(c.id), normalize(c)));
      return { ...state, list, loaded: true };
    }
    case "channels/select": {
      if (state.activeId === action.id) return state;
      const conv = state.list.find((c) => c.id === action.id);
      const focus = state.focus && state.focus.convId === action.id ? state.focus : null;
      return { ...state, activeId: action.id, divider: dividerFor(conv), focus };
    }
    case "channels/upsert":
      return upsert(state, action.conversation);
    case "channels/remove":
      return remove(state, action.id);
    case "channels/patch":
      return replace(state, action.id, (c) => mergeConversation(c, action.patch));
    case "channels/read":
      return replace(state, action.conversation_id, (c) =>
        applyRead(c, {
          message_id: action.last_read_message_id,
          unread_count: action.unread_count,
          mention_count: action.mention_count,
        }),
      );
    case "channels/visibility": {
      if (state.tabVisible === action.visible) return state;
      const next = { ...state, tabVisible: action.visible };
      // Back to a tab whose open conversation got messages meanwhile: show where they start.
      if (action.visible && !state.divider) next.divider = dividerFor(activeConversation(state));
      return next;
    }
    case "channels/focus":
      return { ...state, focus: { convId: action.convId, messageId: action.messageId } };
    case "channels/focused":
      return state.focus ? { ...state, focus: null } : state;
    case "event":
      if (action.frame && action.frame.type === "user.updated") return withUpdatedUser(state, action.frame.data && action.frame.data.user);
      return action.frame ? applyEvent(state, action.frame, root.session && root.session.user, root.messages) : state;
    default:
      return state;
  }
}

// ---- who may do what (the server decides; this only hides buttons that would fail) ----

const isAdmin = (me) => Boolean(me && me.is_admin);
const isCreator = (conv, me) => Boolean(me && conv && conv.created_by === me.id);

/** Rename: private channels, by their creator or an admin. */
export const canRename = (conv, me) => conv.kind === "private" && (isCreator(conv, me) || isAdmin(me));

/** Topic: private channels by the creator or an admin; public channels by an admin. */
export const canEditTopic = (conv, me) =>
  (conv.kind === "private" && (isCreator(conv, me) || isAdmin(me))) || (conv.kind === "public" && isAdmin(me));

/** Remove someone else: private channels, by the creator or an admin. */
export const canRemoveOthers = (conv, me) => conv.kind === "private" && (isCreator(conv, me) || isAdmin(me));

/** Add people: any member of a private channel. */
export const canAddPeople = (conv) => conv.kind === "private";
