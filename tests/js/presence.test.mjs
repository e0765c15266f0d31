// Presence: hello snapshot, change frames, fallbacks, my own status, idle detection.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  activityStatus, IDLE_AFTER_MS, normalizePresence, ownStatus, reduce, statusLabel, statusOf,
} from "../../src/minimost/static/js/features/presence/data.js";

const frame = (users) => ({ type: "event", frame: { type: "presence", data: { users } } });

test("normalizePresence takes maps or lists and drops junk", () => {
  assert.deepEqual(normalizePresence({ 1: "online", 2: "away", 3: "sleeping" }), { 1: "online", 2: "away" });
  assert.deepEqual(normalizePresence([{ user_id: 4, status: "dnd" }, { id: 5, presence: "online" }]), { 4: "dnd", 5: "online" });
  assert.deepEqual(normalizePresence(null), {});
});

test("before a hello the fallback stands; after it, anyone unlisted is offline", () => {
  let s = reduce(undefined, { type: "@init" });
  assert.equal(statusOf(s, 7, "online"), "online");
  s = reduce(s, { type: "presence/hello", data: { last_event_id: 3 } });
  assert.equal(s.known, false, "a hello without presence changes nothing");
  s = reduce(s, { type: "presence/hello", data: { presence: { 1: "online", 2: "dnd" } } });
  assert.equal(statusOf(s, 7, "online"), "offline");
  assert.equal(statusOf(s, 2), "dnd");
  assert.equal(statusLabel(statusOf(s, 2)), "Do not disturb");
});

test("presence frames merge changes; repeats change nothing; a new hello replaces all", () => {
  let s = reduce(undefined, { type: "presence/hello", data: { presence: { 1: "online", 2: "online" } } });
  s = reduce(s, frame({ 2: "away", 3: "online" }));
  assert.deepEqual([statusOf(s, 1), statusOf(s, 2), statusOf(s, 3)], ["online", "away", "online"]);
  assert.equal(reduce(s, frame({ 2: "away" })), s);
  s = reduce(s, frame({ 1: "offline" }));
  assert.equal(statusOf(s, 1, "online"), "offline", "an explicit offline beats a fallback");
  s = reduce(s, { type: "presence/hello", data: { presence: { 3: "away" } } });
  assert.deepEqual(s.byUser, { 3: "away" });
});

test("my own card: the server's word, else my override while connected", () => {
  let s = reduce(undefined, { type: "presence/override", override: "dnd" });
  assert.equal(ownStatus(s, 1, true), "dnd");
  assert.equal(ownStatus(s, 1, false), "offline");
  s = reduce(s, { type: "presence/override", override: "auto" });
  assert.equal(ownStatus(s, 1, true), "online");
  s = reduce(s, { type: "presence/set", users: { 1: "away" } });
  assert.equal(ownStatus(s, 1, true), "away");
  assert.equal(reduce(s, { type: "presence/override", override: "bogus" }), s);
});

test("a tab is idle when hidden or after 5 minutes without input", () => {
  assert.equal(activityStatus({ hidden: false, lastInputAt: 0, now: IDLE_AFTER_MS - 1 }), "active");
  assert.equal(activityStatus({ hidden: false, lastInputAt: 0, now: IDLE_AFTER_MS }), "idle");
  assert.equal(activityStatus({ hidden: true, lastInputAt: 0, now: 1 }), "idle");
});

test("the socket hands every hello (with its presence) to onHello, and ephemeral frames to onEvent", async () => {
  const { createSocket } = await import("../../src/minimost/static/js/core/socket.js");
  const sockets = [];
  class FakeSocket {
    constructor() { this.readyState = 1; this.sent = []; sockets.push(this); }
    send(data) { this.sent.push(JSON.parse(data)); }
    close() { this.readyState = 3; }
  }
  const noop = () => null;
  const timers = { setTimeout: noop, clearTimeout: noop, setInterval: noop, clearInterval: noop };
  const hellos = [];
  const events = [];
  const sock = createSocket({
    since: 5, WebSocketImpl: FakeSocket, timers, url: () => "ws://x",
    onEvent: (f) => events.push(f), onHello: (f) => hellos.push(f),
  });
  const hello = { type: "hello", data: { last_event_id: 5, user_id: 1, presence: { 2: "online" } } };
  sockets[0].onmessage({ data: JSON.stringify(hello) });
  sockets[0].onmessage({ data: JSON.stringify({ type: "presence", data: { users: { 2: "away" } } }) });
  assert.deepEqual(hellos, [hello]);
  assert.deepEqual(events.map((f) => f.type), ["presence"]);
  sock.send({ type: "presence", status: "idle" });
  assert.deepEqual(sockets[0].sent, [{ type: "presence", status: "idle" }]);
  sock.stop();
});
