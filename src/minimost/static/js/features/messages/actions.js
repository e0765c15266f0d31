// Message I/O: history pages, optimistic send with safe retries, edit and delete.
// Every result goes through the store's reducers (data.js), which dedupe by id and
// reconcile pending messages by client_id.

import { api, ApiError, describeError } from "../../core/api.js";
import { newestConfirmedId } from "./data.js";
import { makePending } from "./pending.js";

export const PAGE_SIZE = 50;
const SEND_GIVE_UP_MS = 120_000; // then the message shows "Not sent" with Retry

const base = (convId) => `/api/v1/conversations/${encodeURIComponent(convId)}/messages`;

/** A send waiting to retry: `ms`, or until the socket is back online (then right away). */
function wait(store, ms) {
  return new Promise((resolve) => {
    let stop = null;
    const done = () => {
      clearTimeout(timer);
      stop();
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop = store.subscribe((state, _prev, action) => {
      if (action.type === "connection/status" && state.connection.status === "online") done();
    });
  });
}

const epochOf = (store, convId) => store.get().messages.byConv[convId]?.epoch ?? 0;

export async function loadNewest(store, convId, { reset = false } = {}) {
  store.dispatch({ type: "messages/loading", convId, reset });
  const epoch = epochOf(store, convId);
  try {
    const page = await api.get(`${base(convId)}?limit=${PAGE_SIZE}`);
    store.dispatch({ type: "messages/page", convId, epoch, messages: page.messages, hasMore: page.has_more });
  } catch (err) {
    store.dispatch({ type: "messages/error", convId, epoch, error: describeError(err) });
  }
}

export async function loadOlder(store, convId) {
  const conv = store.get().messages.byConv[convId];
  const key = `messages/older:${convId}`;
  if (!conv || !conv.loaded || !conv.hasMore || store.requests.busy(key)) return;
  const oldest = conv.items.find((m) => !m.pending);
  if (!oldest) return;
  const epoch = conv.epoch ?? 0;
  store.requests.start(key);
  store.dispatch({ type: "messages/olderLoading", convId, value: true });
  try {
    const page = await api.get(`${base(convId)}?before=${oldest.id}&limit=${PAGE_SIZE}`);
    store.dispatch({ type: "messages/page", convId, epoch, messages: page.messages, hasMore: page.has_more, older: true });
  } catch (err) {
    store.dispatch({ type: "messages/error", convId, epoch, error: describeError(err) });
  } finally {
    store.requests.done(key);
  }
}

// ---- window mode (data.js): a window around a message far back, paging forward ----

// Each side of a window around a message (the message itself is on the older side).
export const WINDOW_SIDE = 25;

/** Detached window: fetch the page after its newest message (reattaches at the present). */
export async function loadNewer(store, convId) {
  const conv = store.get().messages.byConv[convId];
  const key = `messages/newer:${convId}`;
  if (!conv || !conv.loaded || !conv.hasNewer || store.requests.busy(key)) return;
  const newest = newestConfirmedId(conv.items);
  if (newest === null) return;
  const epoch = conv.epoch ?? 0;
  store.requests.start(key);
  store.dispatch({ type: "messages/newerLoading", convId, value: true });
  try {
    const page = await api.get(`${base(convId)}?after=${newest}&limit=${PAGE_SIZE}`);
    store.dispatch({ type: "messages/page", convId, epoch, messages: page.messages, hasMore: page.has_more, newer: true });
  } catch (err) {
    store.dispatch({ type: "messages/error", convId, epoch, error: describeError(err) });
  } finally {
    store.requests.done(key);
  }
}

/**
 * Replace the loaded list with a window around message `id` (detached from the present
 * unless it reaches it). Resolves true when `id` is in the window; when it is not (gone,
 * or not in this conversation) the list is left as it was.
 */
export async function loadWindow(store, convId, id) {
  store.dispatch({ type: "messages/record", convId });
  try {
    const [older, newer] = await Promise.all([
      api.get(`${base(convId)}?before=${id + 1}&limit=${WINDOW_SIDE}`),
      api.get(`${base(convId)}?after=${id}&limit=${WINDOW_SIDE}`),
    ]);
    if (!older.messages.some((m) => m.id === id)) {
      store.dispatch({ type: "messages/unrecord", convId });
      return false;
    }
    store.dispatch({
      type: "messages/window", convId, messages: older.messages.concat(newer.messages),
      hasMore: older.has_more, hasNewer: newer.has_more,
    });
    return true;
  } catch (err) {
    store.dispatch({ type: "messages/unrecord", convId });
    throw err;
  }
}

/** Back from a window to the newest page, without blanking the list meanwhile. */
export async function jumpToPresent(store, convId) {
  store.dispatch({ type: "messages/record", convId });
  try {
    const page = await api.get(`${base(convId)}?limit=${PAGE_SIZE}`);
    store.dispatch({ type: "messages/window", convId, messages: page.messages, hasMore: page.has_more, hasNewer: false });
  } catch (err) {
    store.dispatch({ type: "messages/unrecord", convId });
    throw err;
  }
}

/**
 * Show the message at once, then POST it; retries reuse the client_id, so they are safe.
 * `extensions` are what features add to a send (a reply target, attachments; the
 * composer collects them): extend(state, convId) returns { body, pending } merged into
 * the POST body and the optimistic message, or null.
 */
export function sendMessage(store, convId, text, extensions = []) {
  const state = store.get();
  const user = state.session.user;
  const clientId = crypto.randomUUID();
  const body = {};
  const extra = {};
  for (const extend of extensions) {
    const out = extend(state, convId);
    if (!out) continue;
    Object.assign(body, out.body);
    Object.assign(extra, out.pending);
  }
  const message = { ...makePending({ text, user, convId, clientId }), ...extra, sendBody: body };
  store.dispatch({ type: "messages/pending", convId, message });
  // Sending from an old window goes back to the present, where the message will be.
  if (state.messages.byConv[convId]?.hasNewer) jumpToPresent(store, convId).catch(() => {});
  return deliver(store, convId, clientId, text, body);
}

export function retrySend(store, convId, clientId) {
  const conv = store.get().messages.byConv[convId];
  const pending = conv && conv.items.find((m) => m.pending && m.client_id === clientId);
  if (!pending) return Promise.resolve();
  store.dispatch({ type: "messages/pendingUpdate", convId, clientId, patch: { failed: false, error: null } });
  return deliver(store, convId, clientId, pending.text, pending.sendBody);
}

async function deliver(store, convId, clientId, text, body = {}) {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const { message } = await api.post(base(convId), { ...body, text, client_id: clientId });
      store.dispatch({ type: "messages/upsert", convId, message });
      return;
    } catch (err) {
      const transient = err instanceof ApiError && err.transient;
      if (!transient || Date.now() - started > SEND_GIVE_UP_MS) {
        store.dispatch({
          type: "messages/pendingUpdate", convId, clientId,
          patch: { failed: true, error: describeError(err) },
        });
        return;
      }
      const backoff = err.retryAfter ? err.retryAfter * 1000 : Math.min(10_000, 500 * 2 ** attempt);
      await wait(store, backoff);
      // Confirmed meanwhile through the socket? Then we are done.
      const conv = store.get().messages.byConv[convId];
      if (!conv || !conv.items.some((m) => m.pending && m.client_id === clientId)) return;
    }
  }
}

export async function editMessage(store, message, text) {
  store.dispatch({ type: "edit/saving", value: true });
  try {
    const { message: saved } = await api.patch(`/api/v1/messages/${message.id}`, { text });
    store.dispatch({ type: "messages/upsert", convId: saved.conversation_id ?? message.conversation_id, message: saved });
    store.dispatch({ type: "edit/end" });
    return true;
  } catch (err) {
    store.dispatch({ type: "edit/error", error: describeError(err) });
    return false;
  }
}

export async function deleteMessage(store, message) {
  try {
    await api.del(`/api/v1/messages/${message.id}`);
    store.dispatch({ type: "messages/deleted", convId: message.conversation_id, id: message.id });
    return null;
  } catch (err) {
    return describeError(err);
  }
}
