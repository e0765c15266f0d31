// Members per conversation, fetched when a conversation is opened and kept current by
// member.added / member.removed / read.updated events. Mention autocomplete, typing
// names and read receipts all read this slice. No DOM here.
//
// An entry is { list: [member] | null, loading, error, buffer }. Events that arrive
// while the list is loading are buffered and replayed onto it: every event applies
// idempotently, so one already reflected in the fetched list changes nothing.

import { mergeUserList } from "../../core/people.js";

export const MEMBER_EVENTS = new Set(["member.added", "member.removed", "read.updated"]);

const byUsername = (a, b) => String(a.username).localeCompare(String(b.username));

function sameId(a, b) {
  return String(a) === String(b);
}

/** Apply one member event to a member list (returns the same list when nothing changed). */
export function applyMemberEvent(list, frame) {
  const data = frame.data || {};
  switch (frame.type) {
    case "member.added": {
      const user = data.user;
      if (!user || list.some((m) => sameId(m.id, user.id))) return list;
      const member = { role: "member", last_read_message_id: null, ...user };
      return list.concat([member]).sort(byUsername);
    }
    case "member.removed": {
      const user = data.user;
      const id = user ? user.id : data.user_id;
      const next = list.filter((m) => !sameId(m.id, id));
      return next.length === list.length ? list : next;
    }
    case "read.updated": {
      const at = list.findIndex((m) => sameId(m.id, data.user_id));
      if (at === -1 || !Number.isInteger(data.message_id)) return list;
      const old = list[at].last_read_message_id;
      if (old !== null && old !== undefined && old >= data.message_id) return list; // read positions only move forward
      const next = list.slice();
      next[at] = { ...list[at], last_read_message_id: data.message_id };
      return next;
    }
    default:
      return list;
  }
}

export const conversationOf = (frame) => frame.conversation ?? (frame.data && frame.data.conversation_id);

/** Should the members of `convId` be fetched now? */
export function needsMembers(state, convId) {
  return convId !== null && convId !== undefined && !state.byConv[convId];
}

export const membersOf = (state, convId) => (state.byConv[convId] && state.byConv[convId].list) || null;

const initial = { byConv: {} };

function withUpdatedUser(state, user) {
  if (!user) return state;
  let byConv = null;
  for (const [id, entry] of Object.entries(state.byConv)) {
    const list = mergeUserList(entry.list, user);
    if (list !== entry.list) (byConv ??= { ...state.byConv })[id] = { ...entry, list };
  }
  return byConv ? { ...state, byConv } : state;
}

function put(state, convId, entry) {
  return { ...state, byConv: { ...state.byConv, [convId]: entry } };
}

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "members/loading":
      return put(state, action.convId, { list: null, loading: true, error: null, buffer: [] });
    case "members/loaded": {
      const entry = state.byConv[action.convId];
      let list = action.members.slice().sort(byUsername);
      for (const frame of (entry && entry.buffer) || []) list = applyMemberEvent(list, frame);
      return put(state, action.convId, { list, loading: false, error: null, buffer: [] });
    }
    case "members/error":
      return put(state, action.convId, { list: null, loading: false, error: action.error, buffer: [] });
    case "channels/select": {
      // Reopening a conversation whose members failed to load tries again.
      const entry = state.byConv[action.id];
      if (!entry || !entry.error) return state;
      const byConv = { ...state.byConv };
      delete byConv[action.id];
      return { ...state, byConv };
    }
    case "messages/invalidate":
      // A resync: events were missed, so the lists may be stale; refetch when needed.
      return Object.keys(state.byConv).length ? initial : state;
    case "event": {
      const { frame } = action;
      if (frame.type === "user.updated") return withUpdatedUser(state, frame.data && frame.data.user);
      if (!MEMBER_EVENTS.has(frame.type)) return state;
      const convId = conversationOf(frame);
      const entry = state.byConv[convId];
      if (!entry) return state;
      const me = root.session && root.session.user;
      const user = frame.data && frame.data.user;
      if (frame.type === "member.removed" && me && user && sameId(user.id, me.id)) {
        // I left or was removed: what we knew is no longer ours to see.
        const byConv = { ...state.byConv };
        delete byConv[convId];
        return { ...state, byConv };
      }
      if (entry.loading) return put(state, convId, { ...entry, buffer: entry.buffer.concat([frame]) });
      if (!entry.list) return state;
      const list = applyMemberEvent(entry.list, frame);
      return list === entry.list ? state : put(state, convId, { ...entry, list });
    }
    default:
      return state;
  }
}
