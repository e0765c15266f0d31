// Frames recorded from a real server (tests/contract/test_recorded_frames.py writes
// fixtures/frames.json and checks it against the Python models) replayed through the real
// socket client and the real reducers, wired as main.js wires them. A server-side change to
// a frame's shape fails the Python test until the fixture is regenerated, and then these
// assertions, until the JS follows.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { createSocket } from "../../src/minimost/static/js/core/socket.js";
import { createStore } from "../../src/minimost/static/js/core/store.js";
import { reduceSession } from "../../src/minimost/static/js/features/auth/index.js";
import { conversationTitle, reduceChannels } from "../../src/minimost/static/js/features/channels/index.js";
import { reduceComposer } from "../../src/minimost/static/js/features/composer/index.js";
import { reduceConnection } from "../../src/minimost/static/js/features/connection/index.js";
import { reduceLimits } from "../../src/minimost/static/js/features/files/index.js";
import { reduceMembers, reduceMentions } from "../../src/minimost/static/js/features/mentions/index.js";
import { messagesReducer } from "../../src/minimost/static/js/features/messages/index.js";
import { pinPatches, reducePins } from "../../src/minimost/static/js/features/pins/index.js";
import { reducePresence, statusOf } from "../../src/minimost/static/js/features/presence/index.js";
import { reactionPatches } from "../../src/minimost/static/js/features/reactions/index.js";
import { reduceReplies } from "../../src/minimost/static/js/features/replies/index.js";
import { reduceTyping } from "../../src/minimost/static/js/features/typing/index.js";

const fixtures = new URL("./fixtures/", import.meta.url);
const recording = JSON.parse(readFileSync(new URL("frames.json", fixtures)));
const schema = JSON.parse(readFileSync(new URL("schema.json", fixtures)));
const mainJs = readFileSync(new URL("../../src/minimost/static/js/main.js", import.meta.url), "utf8");

// The slices main.js creates its store with (kept equal to main.js by the first test).
const REDUCERS = () => ({
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

class RecordedSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    RecordedSocket.last = this;
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
}

const noTimers = { setTimeout: () => null, clearTimeout() {}, setInterval: () => null, clearInterval() {} };

/** A browser of `who`: boot as main.js does, then the recorded socket frames. */
function replay(who, { now = Date.now() } = {}) {
  const boot = recording.boot[who];
  const store = createStore(REDUCERS());
  store.dispatch({ type: "session/loaded", user: boot.me.user, limits: boot.me.limits });
  store.dispatch({ type: "channels/loaded", conversations: boot.conversations });
  for (const [convId, page] of Object.entries(boot.history)) {
    store.dispatch({ type: "channels/select", id: Number(convId) });
    store.dispatch({ type: "messages/page", convId: Number(convId), messages: page.messages, hasMore: page.has_more });
  }
  let resyncs = 0;
  createSocket({
    since: boot.me.last_event_id,
    onEvent: (frame) => store.dispatch({ type: "event", frame, now }),
    onHello: (frame) => store.dispatch({ type: "presence/hello", data: frame.data }),
    onResync: () => resyncs++,
    WebSocketImpl: RecordedSocket,
    timers: noTimers,
    url: (since) => `ws://recorded/api/v1/ws?since=${since}`,
  });
  const ws = RecordedSocket.last;
  for (const frame of recording.sockets[who]) ws.onmessage({ data: JSON.stringify(frame) });
  return { state: store.get(), resyncs };
}

const { users, conversations, messages } = recording;
const general = conversations.general;

test("the store here is main.js's store", () => {
  const block = mainJs.match(/const store = createStore\(\{([\s\S]*?)\}\);/);
  assert.ok(block, "main.js creates its store with createStore({...})");
  const slices = [...block[1].matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
  assert.deepEqual(slices, Object.keys(REDUCERS()));
});

test("every recorded frame type is in the generated schema, and every type the reducers handle", () => {
  const mapping = schema.frames.discriminator.mapping;
  for (const stream of Object.values(recording.sockets)) {
    for (const frame of stream) assert.ok(frame.type in mapping, `${frame.type} not in schema.json`);
  }
  const handled = new Set();
  for (const match of readAllFeatureData().matchAll(/case "([a-z]+\.[a-z]+)"/g)) handled.add(match[1]);
  for (const type of handled) assert.ok(type in mapping, `a reducer handles ${type}, which the server never sends`);
});

function readAllFeatureData() {
  const base = new URL("../../src/minimost/static/js/features/", import.meta.url);
  return ["channels", "messages", "mentions", "pins", "reactions", "typing", "unreads", "notifications"]
    .map((f) => { try { return readFileSync(new URL(`${f}/data.js`, base), "utf8"); } catch { return ""; } })
    .join("\n");
}

test("alice's browser ends where the server is: messages, reactions, pins, deletion", () => {
  const { state } = replay("alice");
  const items = state.messages.byConv[general].items;
  const edited = items.find((m) => m.id === messages.edited);
  assert.equal(edited.text, "hello edited @bob");
  assert.match(edited.html, /hello edited/);
  assert.ok(edited.edited_at, "message.updated carried edited_at");
  assert.deepEqual(edited.mentions, [users.bob]);
  assert.deepEqual(edited.reactions.map((r) => [r.emoji, r.count, r.users]), [["👍", 1, [users.bob]]]);
  assert.equal(edited.pinned, true);
  const deleted = items.find((m) => m.id === messages.deleted);
  assert.ok(deleted.deleted_at, "message.deleted leaves a tombstone");
  assert.equal(deleted.pinned, false);
  assert.equal(items.at(-1).id, messages.end);
  assert.equal(items.at(-1).text, "the end");
  assert.equal(items.at(-1).author.username, "alice");
});

test("alice's sidebar: the private channel renamed, the DM named after Bobby", () => {
  const { state } = replay("alice");
  const plans = state.channels.list.find((c) => c.id === conversations.plans);
  assert.equal(plans.name, "plans-2025");
  assert.equal(plans.topic, "where to go");
  assert.equal(plans.kind, "private");
  const dm = state.channels.list.find((c) => c.kind === "dm");
  assert.ok(dm, "conversation.created brought the DM");
  assert.equal(conversationTitle(dm, users.alice), "@Bobby");
});

test("bob's browser: his mute and the read position reach him", () => {
  const { state } = replay("bob");
  const plans = state.channels.list.find((c) => c.id === conversations.plans);
  assert.equal(plans.muted, true);
  const conv = state.channels.list.find((c) => c.id === general);
  assert.equal(conv.last_read_message_id, messages.deleted);
});

test("presence and typing frames land in their slices", () => {
  const now = Date.now();
  const { state } = replay("alice", { now });
  assert.equal(statusOf(state.presence, users.bob), "away");
  // bob typed, then nothing he said came after it: he still shows as typing (until the TTL).
  assert.ok(state.typing.byConv[general][String(users.bob)].until > now);
});

test("a cursor from the future: hello, then resync, and the browser refetches once", () => {
  const store = createStore(REDUCERS());
  let resyncs = 0;
  createSocket({
    since: 10 ** 9,
    onEvent: (frame) => store.dispatch({ type: "event", frame }),
    onResync: () => resyncs++,
    WebSocketImpl: RecordedSocket,
    timers: noTimers,
    url: () => "ws://recorded/",
  });
  for (const frame of recording.sockets.resync) RecordedSocket.last.onmessage({ data: JSON.stringify(frame) });
  assert.equal(resyncs, 1);
});
