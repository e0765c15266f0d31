// Message state per conversation and the rules that keep it exact: every message is
// upserted by id, an optimistic (pending) message is replaced by its confirmed copy
// when either the POST answer or the socket event carrying its client_id arrives,
// and older copies never overwrite newer ones. No DOM here.
//
// A conversation's items are confirmed messages in id order, then pending ones in
// the order they were sent.

import { mergeAuthor } from "../../core/people.js";

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

export function emptyConversation() {
  return {
    items: [], hasMore: true, loaded: false, loading: false, loadingOlder: false, error: null, buffer: [],
    // Window mode (see "window mode" below): `hasNewer` is true while the list is detached
    // from the present; `held` keeps the frames about messages beyond the window.
    hasNewer: false, loadingNewer: false, held: [], heldLost: false, newestKnown: null, recording: null, epoch: 0,
  };
}

/** Stable key for rendering: the client_id survives the pending → confirmed swap. */
export function messageKey(m) {
  return m.client_id ? `c:${m.client_id}` : `m:${m.id}`;
}

const stamp = (iso) => (iso ? Date.parse(iso) || 0 : 0);

/**
 * Should `incoming` replace `existing` (same message id)? Deletion is final; edits move
 * forward. A `live` copy (a socket event: they arrive in order) also replaces one of the
 * same edit, because not every update is an edit: a link preview or a removed attachment
 * changes the message and leaves `edited_at` alone.
 */
export function supersedes(incoming, existing, live = false) {
  if (existing.pending) return true;
  if (existing.deleted_at) return false;
  if (incoming.deleted_at) return true;
  const [inc, cur] = [stamp(incoming.edited_at), stamp(existing.edited_at)];
  return live ? inc >= cur : inc > cur;
}

function oldestConfirmedId(items) {
  for (const m of items) if (!m.pending) return m.id;
  return null;
}

/**
 * Insert or update a confirmed message. With `window: true` (socket events) a message
 * older than the oldest loaded one is ignored while more history exists, so the list
 * never shows an island above a gap; the page fetch brings its current state later.
 */
export function upsertMessage(conv, message, { window = false, extend = false } = {}) {
  let items = conv.items;
  if (message.client_id) {
    const p = items.findIndex((m) => m.pending && m.client_id === message.client_id);
    if (p !== -1) items = items.slice(0, p).concat(items.slice(p + 1));
  }
  let at = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    if (!items[i].pending && items[i].id === message.id) {
      at = i;
      break;
    }
  }
  if (at !== -1) {
    if (!supersedes(message, items[at], window)) return items === conv.items ? conv : { ...conv, items };
    const next = items.slice();
    next[at] = message;
    return { ...conv, items: next };
  }
  if (window && items === conv.items && conv.hasMore) {
    const oldest = oldestConfirmedId(items);
    if (oldest === null ? conv.loaded : message.id < oldest) return conv;
  }
  // Detached from the present: nothing goes in below the window (no island after a gap);
  // forward paging or "Jump to present" brings it.
  if (conv.hasNewer && !extend) {
    const newest = newestConfirmedId(items);
    if (newest !== null && message.id > newest) return items === conv.items ? conv : { ...conv, items };
  }
  let pos = items.length;
  while (pos > 0 && (items[pos - 1].pending || items[pos - 1].id > message.id)) pos--;
  const next = items.slice(0, pos).concat([message], items.slice(pos));
  return { ...conv, items: next };
}

/** Mark a message deleted (tombstone). Unknown ids are ignored: we have nothing to show. */
export function markDeleted(conv, id, deletedAt = new Date().toISOString()) {
  const at = conv.items.findIndex((m) => !m.pending && m.id === id);
  if (at === -1 || conv.items[at].deleted_at) return conv;
  const next = conv.items.slice();
  next[at] = { ...conv.items[at], text: "", html: "", deleted_at: deletedAt };
  return { ...conv, items: next };
}

/** Replace message `id` with `fn(message)` (unknown ids and pending copies are left alone). */
export function patchMessage(conv, id, fn) {
  const at = conv.items.findIndex((m) => !m.pending && m.id === id);
  if (at === -1) return conv;
  const changed = fn(conv.items[at]);
  if (changed === conv.items[at]) return conv;
  const next = conv.items.slice();
  next[at] = changed;
  return { ...conv, items: next };
}

// Features that change a message through their own events (reactions, pins) give the
// reducer a patch per event type (`messagesReducer(patches)`, wired in main.js):
// patch(message, frame.data) -> message, applied to frame.data.message_id.
const NO_PATCHES = Object.freeze({});

/**
 * Apply one socket event frame to a conversation (buffered while its first page loads;
 * also recorded while a window is being fetched, to be replayed onto it).
 */
export function applyFrame(conv, frame, patches = NO_PATCHES) {
  if (conv.recording) conv = { ...conv, recording: conv.recording.concat([frame]) };
  if (!conv.loaded) return { ...conv, buffer: conv.buffer.concat([frame]) };
  return applyLoaded(conv, frame, patches);
}

function applyLoaded(conv, frame, patches) {
  if (conv.hasNewer) {
    const id = frameMessageId(frame);
    const newest = newestConfirmedId(conv.items);
    if (id !== null && newest !== null && id > newest) return hold(conv, frame);
  }
  switch (frame.type) {
    case "message.created":
    case "message.updated":
      return frame.data && frame.data.id !== undefined ? upsertMessage(conv, frame.data, { window: true }) : conv;
    case "message.deleted":
      return frame.data ? markDeleted(conv, frame.data.id, frame.data.deleted_at || undefined) : conv;
    default: {
      const patch = patches[frame.type];
      return patch && frame.data ? patchMessage(conv, frame.data.message_id, (m) => patch(m, frame.data)) : conv;
    }
  }
}

/**
 * Merge a fetched page. The newest page marks the conversation loaded and replays the
 * buffer; a `newer` page (window mode) extends the window forward.
 */
export function mergePage(conv, messages, hasMore, { older = false, newer = false, patches = NO_PATCHES } = {}) {
  if (newer) return mergeNewer(conv, messages, hasMore, patches);
  let next = conv;
  for (const m of messages) next = upsertMessage(next, m);
  if (older) return { ...next, hasMore: Boolean(hasMore), loadingOlder: false };
  const buffer = next.buffer;
  next = { ...next, hasMore: Boolean(hasMore), loaded: true, loading: false, error: null, buffer: [] };
  for (const frame of buffer) next = applyLoaded(next, frame, patches);
  return next;
}

/** Should the newest page be fetched when the conversation is opened? */
export function needsLoad(conv) {
  return !conv || (!conv.loaded && !conv.loading && !conv.error);
}

/** Keep only the unsent messages: used before refetching after a resync. */
export function resetConversation(conv) {
  return { ...emptyConversation(), items: conv ? conv.items.filter((m) => m.pending) : [], epoch: conv ? (conv.epoch ?? 0) + 1 : 0 };
}

// ---- window mode ------------------------------------------------------------
//
// To show a message far back, the loaded list is replaced by a window around it
// (`replaceWithWindow`). Until a page forward says nothing newer exists, the
// conversation is detached (`hasNewer`): live frames about messages beyond the window
// are held, not shown (a `message.created` there means "newer messages exist"), and are
// replayed as the window grows forward (`mergeNewer`), so nothing is lost or shown twice
// (every frame applies idempotently). Older pages load as usual. `epoch` changes when
// the list is replaced, so a page fetched for the previous list is dropped.

export const HELD_MAX = 500;

/** The newest confirmed message id in `items`, or null. */
export function newestConfirmedId(items) {
  for (let i = items.length - 1; i >= 0; i--) if (!items[i].pending) return items[i].id;
  return null;
}

/** Is the conversation showing a window detached from the present? */
export const isDetached = (conv) => Boolean(conv && conv.hasNewer);

/** The message a frame is about: `data.id` for message.*, `data.message_id` for patches. */
export function frameMessageId(frame) {
  const data = frame && frame.data;
  if (!data) return null;
  const id = frame.type && frame.type.startsWith("message.") && data.id !== undefined ? data.id : data.message_id;
  return typeof id === "number" ? id : null;
}

/** Keep a frame about a message beyond the window (bounded; the oldest go first). */
function hold(conv, frame) {
  const id = frameMessageId(frame);
  let held = conv.held.concat([frame]);
  let heldLost = conv.heldLost;
  if (held.length > HELD_MAX) {
    held = held.slice(held.length - HELD_MAX);
    heldLost = true;
  }
  const newestKnown = frame.type === "message.created" && (conv.newestKnown === null || id > conv.newestKnown) ? id : conv.newestKnown;
  return { ...conv, held, heldLost, newestKnown };
}

/** How many new messages arrived after the window (distinct `message.created` held). */
export function newerCount(conv) {
  if (!conv || !conv.hasNewer) return 0;
  return new Set(conv.held.filter((f) => f.type === "message.created").map(frameMessageId)).size;
}

/** Start recording frames (a window is being fetched: they are replayed onto it). */
export function startRecording(conv) {
  return conv.recording ? conv : { ...conv, recording: [] };
}

export function stopRecording(conv) {
  return conv.recording ? { ...conv, recording: null } : conv;
}

/**
 * Replace the loaded list with `messages` (a window, or the newest page when `hasNewer`
 * is false), keep unsent messages, and replay the frames recorded while it was fetched.
 */
export function replaceWithWindow(conv, messages, { hasMore, hasNewer, patches = NO_PATCHES }) {
  const recorded = conv.recording || [];
  const byId = new Map();
  for (const m of messages) if (!byId.has(m.id) || supersedes(m, byId.get(m.id))) byId.set(m.id, m);
  const confirmed = [...byId.values()].sort((a, b) => a.id - b.id);
  let next = {
    ...emptyConversation(),
    items: confirmed.concat(conv.items.filter((m) => m.pending)),
    hasMore: Boolean(hasMore),
    hasNewer: Boolean(hasNewer) && confirmed.length > 0,
    loaded: true,
    epoch: (conv.epoch ?? 0) + 1,
  };
  for (const frame of recorded) next = applyLoaded(next, frame, patches);
  return next;
}

/** Extend a window forward with a page of newer messages; reattach when it is the last. */
export function mergeNewer(conv, messages, hasMore, patches = NO_PATCHES) {
  let next = conv;
  for (const m of messages) next = upsertMessage(next, m, { extend: true });
  const newest = newestConfirmedId(next.items);
  // Held frames were dropped (too many): a message we know of but did not fetch yet keeps
  // us detached, so the next page brings it.
  const missing = next.heldLost && next.newestKnown !== null && (newest === null || next.newestKnown > newest);
  const hasNewer = Boolean(hasMore) || missing;
  const held = next.held;
  next = { ...next, loadingNewer: false, hasNewer, held: [], heldLost: hasNewer ? next.heldLost : false, newestKnown: hasNewer ? next.newestKnown : null };
  for (const frame of held) next = applyLoaded(next, frame, patches);
  return next;
}

export function addPending(conv, message) {
  return { ...conv, items: conv.items.concat([message]) };
}

export function updatePending(conv, clientId, patch) {
  const at = conv.items.findIndex((m) => m.pending && m.client_id === clientId);
  if (at === -1) return conv;
  const next = conv.items.slice();
  next[at] = { ...next[at], ...patch };
  return { ...conv, items: next };
}

export function removePending(conv, clientId) {
  const items = conv.items.filter((m) => !(m.pending && m.client_id === clientId));
  return items.length === conv.items.length ? conv : { ...conv, items };
}

/**
 * The newest message of `userId` that can still be edited, or null. While your newest
 * message is still being sent there is nothing to edit yet (not the one before it).
 */
export function lastOwnMessage(items, userId) {
  for (let i = items.length - 1; i >= 0; i--) {
    const m = items[i];
    if (!m.author || m.author.id !== userId) continue;
    if (m.pending) return null;
    if (!m.deleted_at) return m;
  }
  return null;
}

/**
 * Rows to render: day dividers and messages, with `grouped` set on a message that
 * follows one by the same author within GROUP_WINDOW_MS on the same day.
 */
export function buildRows(items, dayKeyOf) {
  const rows = [];
  let prev = null;
  let prevDay = null;
  for (const m of items) {
    const day = dayKeyOf(m.created_at);
    if (day !== prevDay) {
      rows.push({ kind: "day", key: `d:${day}`, day, at: m.created_at });
      prevDay = day;
      prev = null;
    }
    const grouped = Boolean(
      prev && prev.author && m.author && prev.author.id === m.author.id &&
      stamp(m.created_at) - stamp(prev.created_at) < GROUP_WINDOW_MS,
    );
    rows.push({ kind: "msg", key: messageKey(m), message: m, grouped });
    prev = m;
  }
  return rows;
}

// ---- reducer --------------------------------------------------------------

/** A changed name/colour/avatar (`user.updated`) shows on every message of that author. */
function withUpdatedUser(state, user) {
  if (!user) return state;
  let byConv = null;
  for (const [id, conv] of Object.entries(state.byConv)) {
    let items = null;
    conv.items.forEach((m, i) => {
      const next = mergeAuthor(m, user);
      if (next !== m) (items ??= conv.items.slice())[i] = next;
    });
    if (items) (byConv ??= { ...state.byConv })[id] = { ...conv, items };
  }
  return byConv ? { ...state, byConv } : state;
}

const initial = { byConv: {}, editing: null };

/** A page (or error) for a list that has been replaced since it was asked for. */
const stale = (conv, action) => action.epoch !== undefined && action.epoch !== (conv.epoch ?? 0);

function withConv(state, convId, fn, create = false) {
  const conv = state.byConv[convId] ?? (create ? emptyConversation() : null);
  if (!conv) return state;
  const next = fn(conv);
  if (next === conv && state.byConv[convId]) return state;
  return { ...state, byConv: { ...state.byConv, [convId]: next } };
}

/**
 * The messages reducer, given the frame patches of the features that change messages
 * through their own events (`{ "reaction.added": (message, data) => message, … }`).
 */
export function messagesReducer(patches = NO_PATCHES) {
  return (state, action) => reduceWith(patches, state, action);
}

/** The reducer without feature patches (what the node tests of this module use). */
export function reduce(state, action) {
  return reduceWith(NO_PATCHES, state, action);
}

function reduceWith(patches, state = initial, action) {
  switch (action.type) {
    case "messages/loading":
      return withConv(state, action.convId, (c) => ({ ...(action.reset ? resetConversation(c) : c), loading: true, error: null }), true);
    case "messages/page":
      return withConv(state, action.convId, (c) => (stale(c, action) ? c
        : mergePage(c, action.messages, action.hasMore, { older: action.older, newer: action.newer, patches })), true);
    case "messages/olderLoading":
      return withConv(state, action.convId, (c) => (c.loadingOlder === action.value ? c : { ...c, loadingOlder: action.value }));
    case "messages/newerLoading":
      return withConv(state, action.convId, (c) => (c.loadingNewer === action.value ? c : { ...c, loadingNewer: action.value }));
    case "messages/record": // a window is being fetched
      return withConv(state, action.convId, startRecording, true);
    case "messages/unrecord":
      return withConv(state, action.convId, stopRecording);
    case "messages/window": // { convId, messages, hasMore, hasNewer }
      return withConv(state, action.convId, (c) => replaceWithWindow(c, action.messages, { ...action, patches }), true);
    case "messages/error":
      if (action.epoch !== undefined && state.byConv[action.convId] && stale(state.byConv[action.convId], action)) return state;
      return withConv(state, action.convId, (c) => ({ ...c, error: action.error, loading: false, loadingOlder: false, loadingNewer: false }));
    case "messages/pending":
      return withConv(state, action.convId, (c) => addPending(c, action.message), true);
    case "messages/pendingUpdate":
      return withConv(state, action.convId, (c) => updatePending(c, action.clientId, action.patch));
    case "messages/discard":
      return withConv(state, action.convId, (c) => removePending(c, action.clientId));
    case "messages/upsert":
      return withConv(state, action.convId, (c) => upsertMessage(c, action.message));
    case "messages/patch": // { convId, id, patch: (message) => message }
      return withConv(state, action.convId, (c) => patchMessage(c, action.id, action.patch));
    case "messages/deleted":
      return withConv(state, action.convId, (c) => markDeleted(c, action.id));
    case "messages/invalidate": {
      // After a resync: forget what we loaded; the open conversation is refetched next,
      // others when opened again. Unsent messages stay.
      const byConv = {};
      for (const [id, conv] of Object.entries(state.byConv)) {
        if (String(id) === String(action.keep) || conv.items.some((m) => m.pending)) byConv[id] = resetConversation(conv);
      }
      return { ...state, byConv };
    }
    case "event": {
      const { frame } = action;
      if (frame.type === "user.updated") return withUpdatedUser(state, frame.data && frame.data.user);
      if (!frame.type || !(frame.type.startsWith("message.") || patches[frame.type])) return state;
      const convId = frame.conversation ?? (frame.data && frame.data.conversation_id);
      const next = withConv(state, convId, (c) => applyFrame(c, frame, patches));
      if (frame.type === "message.deleted" && state.editing && frame.data && state.editing.id === frame.data.id) {
        return { ...next, editing: null };
      }
      return next;
    }
    case "edit/start":
      return { ...state, editing: { id: action.id, convId: action.convId, saving: false, error: null } };
    case "edit/saving":
      return state.editing ? { ...state, editing: { ...state.editing, saving: action.value, error: null } } : state;
    case "edit/error":
      return state.editing ? { ...state, editing: { ...state.editing, saving: false, error: action.error } } : state;
    case "edit/end":
      return state.editing ? { ...state, editing: null } : state;
    default:
      return state;
  }
}
