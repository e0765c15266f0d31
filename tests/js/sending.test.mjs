// Message I/O state that lives in the store: a send waiting to retry goes out as soon as
// the connection is back online, and an older page is fetched once however often asked.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createStore } from "../../src/minimost/static/js/core/store.js";
import { reduceSession } from "../../src/minimost/static/js/features/auth/data.js";
import { reduce as reduceConnection } from "../../src/minimost/static/js/features/connection/data.js";
import { loadOlder, sendMessage } from "../../src/minimost/static/js/features/messages/actions.js";
import { reduce as reduceMessages } from "../../src/minimost/static/js/features/messages/data.js";

const me = { id: 1, username: "kevin", display_name: "Kevin" };
const json = (status, body) => ({ status, ok: status < 300, statusText: "", headers: new Headers(), json: async () => body });

function appStore() {
  const store = createStore({ session: reduceSession, messages: reduceMessages, connection: reduceConnection });
  store.dispatch({ type: "session/loaded", user: me });
  return store;
}

test("a send waiting to retry goes out when the connection comes back online", async (t) => {
  const calls = [];
  let down = true;
  t.mock.method(globalThis, "fetch", async (url, init) => {
    calls.push(url);
    if (down) throw new TypeError("network down");
    const sent = JSON.parse(init.body);
    return json(201, { message: { id: 9, conversation_id: 5, author: me, text: sent.text, html: "", created_at: new Date().toISOString(), client_id: sent.client_id } });
  });
  // The backoff's timer never fires here: only the connection coming back can wake the send.
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise(setImmediate);
  };
  const store = appStore();
  store.dispatch({ type: "messages/page", convId: 5, messages: [], hasMore: false });
  const done = sendMessage(store, 5, "hello");
  await settle();
  assert.equal(calls.length, 1, "the first POST failed and the send waits");
  down = false;
  store.dispatch({ type: "connection/status", status: "offline" }); // not a reason to retry
  await settle();
  assert.equal(calls.length, 1);
  store.dispatch({ type: "connection/status", status: "online" });
  await settle();
  assert.equal(calls.length, 2, "retried at once, not after the backoff");
  await done;
  const items = store.get().messages.byConv[5].items;
  assert.deepEqual(items.map((m) => [m.id, Boolean(m.pending)]), [[9, false]]);
});

test("an older page is asked for once while it is in flight, again after", async (t) => {
  const pending = [];
  t.mock.method(globalThis, "fetch", (url) => new Promise((resolve) => pending.push({ url, resolve })));
  const store = appStore();
  const older = [{ id: 50, conversation_id: 5, author: me, text: "x", html: "", created_at: "2026-01-01T00:00:00Z" }];
  store.dispatch({ type: "messages/page", convId: 5, messages: older, hasMore: true });
  const first = loadOlder(store, 5);
  loadOlder(store, 5); // already in flight: nothing
  assert.equal(pending.length, 1);
  assert.equal(store.requests.busy("messages/older:5"), true);
  pending[0].resolve(json(200, { messages: [{ ...older[0], id: 40 }], has_more: true }));
  await first;
  assert.equal(store.requests.busy("messages/older:5"), false);
  loadOlder(store, 5);
  assert.equal(pending.length, 2);
  assert.match(pending[1].url, /before=40/);
});
