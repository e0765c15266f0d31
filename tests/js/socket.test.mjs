// The socket client with a fake WebSocket and fake timers: resume cursor, dedupe,
// close-code handling.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createSocket, reconnectDelay } from "../../src/minimost/static/js/core/socket.js";

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
  frame(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
  drop(code) { this.onclose({ code }); }
}

function fakeTimers() {
  const pending = [];
  return {
    pending,
    setTimeout(fn, ms) { const t = { fn, ms, kind: "timeout" }; pending.push(t); return t; },
    clearTimeout(t) { const i = pending.indexOf(t); if (i !== -1) pending.splice(i, 1); },
    setInterval(fn, ms) { const t = { fn, ms, kind: "interval" }; pending.push(t); return t; },
    clearInterval(t) { const i = pending.indexOf(t); if (i !== -1) pending.splice(i, 1); },
    runReconnect() {
      const t = pending.find((x) => x.kind === "timeout" && x.ms < 60_000);
      this.clearTimeout(t);
      t.fn();
    },
  };
}

function setup(since = 10) {
  FakeSocket.all = [];
  const timers = fakeTimers();
  const events = [];
  const statuses = [];
  let resyncs = 0;
  let authLost = 0;
  const sock = createSocket({
    since,
    onEvent: (f) => events.push(f.id),
    onResync: () => resyncs++,
    onStatus: (s) => statuses.push(s),
    onAuthLost: () => authLost++,
    WebSocketImpl: FakeSocket,
    timers,
    url: (s) => `wss://x/api/v1/ws${s === null ? "" : `?since=${s}`}`,
  });
  return { sock, timers, events, statuses, get resyncs() { return resyncs; }, get authLost() { return authLost; } };
}

test("connects with since, applies new events once, resumes from the highest id", () => {
  const t = setup(10);
  const ws = FakeSocket.all[0];
  assert.equal(ws.url, "wss://x/api/v1/ws?since=10");
  ws.frame({ type: "hello", data: { last_event_id: 12, user_id: 1 } });
  ws.frame({ id: 11, type: "message.created", conversation: 1, data: {} });
  ws.frame({ id: 11, type: "message.created", conversation: 1, data: {} });
  ws.frame({ id: 12, type: "message.updated", conversation: 1, data: {} });
  ws.frame({ type: "pong" });
  assert.deepEqual(t.events, [11, 12]);
  ws.drop(1006);
  assert.deepEqual(t.statuses, ["connecting", "online", "offline"]);
  t.timers.runReconnect();
  const again = FakeSocket.all[1];
  assert.equal(again.url, "wss://x/api/v1/ws?since=12");
  again.frame({ type: "hello", data: { last_event_id: 13 } });
  again.frame({ id: 12, type: "message.updated", conversation: 1, data: {} });
  again.frame({ id: 13, type: "message.created", conversation: 1, data: {} });
  assert.deepEqual(t.events, [11, 12, 13]);
  assert.equal(t.statuses.at(-1), "online");
});

test("unknown and id-less frames are passed through; garbage is ignored", () => {
  const t = setup(0);
  const ws = FakeSocket.all[0];
  ws.onmessage({ data: "not json" });
  ws.frame({ type: "typing", conversation: 1, data: {} });
  assert.deepEqual(t.events, [undefined]);
});

test("resync asks the app to refetch and moves the cursor to the hello's id", () => {
  const t = setup(3);
  const ws = FakeSocket.all[0];
  ws.frame({ type: "hello", data: { last_event_id: 900 } });
  ws.frame({ type: "resync" });
  assert.equal(t.resyncs, 1);
  assert.equal(t.sock.cursor, 900);
});

test("a server whose log is behind our cursor triggers a resync", () => {
  const t = setup(50);
  FakeSocket.all[0].frame({ type: "hello", data: { last_event_id: 5 } });
  FakeSocket.all[0].frame({ type: "resync" }); // the server says so too: refetch once
  assert.equal(t.resyncs, 1);
  assert.equal(t.sock.cursor, 5);
});

test("4401 stops reconnecting and reports lost auth", () => {
  const t = setup(1);
  FakeSocket.all[0].drop(4401);
  assert.equal(t.authLost, 1);
  assert.equal(t.timers.pending.length, 0);
});

test("pings every 25 s once online; 60 s of silence reconnects", () => {
  const t = setup(1);
  const ws = FakeSocket.all[0];
  ws.frame({ type: "hello", data: { last_event_id: 1 } });
  const ping = t.timers.pending.find((x) => x.kind === "interval");
  assert.equal(ping.ms, 25_000);
  ping.fn();
  assert.deepEqual(ws.sent, [{ type: "ping" }]);
  const silence = t.timers.pending.find((x) => x.kind === "timeout" && x.ms === 60_000);
  silence.fn();
  assert.equal(ws.readyState, 3);
  t.timers.runReconnect();
  assert.equal(FakeSocket.all.length, 2);
});

test("stop() closes and never reconnects", () => {
  const t = setup(1);
  t.sock.stop();
  assert.equal(FakeSocket.all[0].readyState, 3);
  assert.equal(t.timers.pending.length, 0);
});

test("reconnect delays follow the close code", () => {
  const lo = () => 0;
  const hi = () => 0.999;
  for (const code of [1001, 4408]) {
    assert.ok(reconnectDelay(code, 0, lo) >= 300 && reconnectDelay(code, 0, hi) <= 1500);
  }
  assert.ok(reconnectDelay(4429, 0, lo) >= 2500);
  assert.ok(reconnectDelay(4403, 0, lo) >= 30_000);
  assert.ok(reconnectDelay(1006, 20, hi) <= 10_000);
  assert.ok(reconnectDelay(1006, 0, hi) <= 500);
  assert.ok(reconnectDelay(1006, 3, lo) >= 2000);
});
