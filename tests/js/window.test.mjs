// Window mode: showing a message far back replaces the loaded list with a window around
// it, detached from the present until a page forward reaches it; live frames beyond the
// window are held (not shown) and replayed as the window grows, so nothing is lost.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  emptyConversation, frameMessageId, HELD_MAX, isDetached, messagesReducer, newerCount, newestConfirmedId,
} from "../../src/minimost/static/js/features/messages/data.js";
import { makePending } from "../../src/minimost/static/js/features/messages/pending.js";
import { reduce as reduceChannels } from "../../src/minimost/static/js/features/channels/data.js";
import { readTarget } from "../../src/minimost/static/js/features/unreads/data.js";
import { reactionPatches } from "../../src/minimost/static/js/features/reactions/data.js";

// As main.js wires it: reaction events patch the messages they are about.
const reduce = messagesReducer(reactionPatches);

const kevin = { id: 1, username: "kevin", display_name: "Kevin" };
const jason = { id: 2, username: "jason", display_name: "Jason" };

function msg(id, over = {}) {
  return {
    id, conversation_id: 5, author: kevin, text: `m${id}`, html: `<p>m${id}</p>`,
    created_at: new Date(Date.UTC(2025, 0, 1, 12, 0, id)).toISOString(),
    edited_at: null, deleted_at: null, client_id: null, reactions: [], ...over,
  };
}
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => msg(a + i));
const conv = (state) => state.byConv[5];
const ids = (state) => conv(state).items.map((m) => (m.pending ? `p:${m.client_id}` : m.id));
const frame = (type, data) => ({ type, conversation: 5, data });
const created = (m) => frame("message.created", m);
const apply = (state, f) => reduce(state, { type: "event", frame: f });

/** The newest page (1000..1049) loaded, then a window around 10 (ids 1..35). */
function windowed() {
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "messages/loading", convId: 5 });
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 0, messages: range(1000, 1049), hasMore: true });
  s = reduce(s, { type: "messages/record", convId: 5 });
  s = reduce(s, { type: "messages/window", convId: 5, messages: range(1, 10).concat(range(11, 35)), hasMore: false, hasNewer: true });
  return s;
}

test("a window replaces the loaded list and detaches the conversation", () => {
  const s = windowed();
  assert.deepEqual(ids(s), range(1, 35).map((m) => m.id));
  assert.equal(isDetached(conv(s)), true);
  assert.equal(conv(s).loaded, true);
  assert.equal(conv(s).hasMore, false);
  assert.equal(conv(s).recording, null, "recording ends with the window");
  assert.equal(conv(s).epoch, 1);
});

test("a window keeps unsent messages and dedupes overlapping pages", () => {
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "messages/page", convId: 5, messages: range(100, 110), hasMore: true });
  const pending = makePending({ text: "hi", user: kevin, convId: 5, clientId: "abc" });
  s = reduce(s, { type: "messages/pending", convId: 5, message: pending });
  s = reduce(s, { type: "messages/window", convId: 5, messages: range(5, 10).concat(range(10, 12)), hasMore: true, hasNewer: true });
  assert.deepEqual(ids(s), [5, 6, 7, 8, 9, 10, 11, 12, "p:abc"]);
});

test("frames recorded while the window was fetched are replayed onto it", () => {
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "messages/page", convId: 5, messages: range(1000, 1009), hasMore: true });
  s = reduce(s, { type: "messages/record", convId: 5 });
  s = apply(s, frame("message.updated", msg(10, { text: "edited", edited_at: "2025-02-01T00:00:00Z" })));
  s = apply(s, frame("message.deleted", { id: 11, conversation_id: 5, deleted_at: "2025-02-01T00:00:00Z" }));
  assert.equal(conv(s).recording.length, 2);
  s = reduce(s, { type: "messages/window", convId: 5, messages: range(1, 20), hasMore: false, hasNewer: true });
  const byId = new Map(conv(s).items.map((m) => [m.id, m]));
  assert.equal(byId.get(10).text, "edited");
  assert.ok(byId.get(11).deleted_at);
});

test("a stale page (asked for before the window replaced the list) is dropped", () => {
  let s = windowed();
  const before = s;
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 0, messages: range(950, 999), hasMore: true, older: true });
  assert.equal(s, before);
  s = reduce(s, { type: "messages/error", convId: 5, epoch: 0, error: "boom" });
  assert.equal(s, before, "an old page's error does not mark the window failed");
});

test("forward paging extends the window and stays detached while has_more", () => {
  let s = windowed();
  s = reduce(s, { type: "messages/newerLoading", convId: 5, value: true });
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(36, 85), hasMore: true, newer: true });
  assert.equal(newestConfirmedId(conv(s).items), 85);
  assert.equal(conv(s).items.length, 85);
  assert.equal(isDetached(conv(s)), true);
  assert.equal(conv(s).loadingNewer, false);
});

test("the last page forward (has_more false) reattaches; live messages append again", () => {
  let s = windowed();
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(36, 40), hasMore: false, newer: true });
  assert.equal(isDetached(conv(s)), false);
  s = apply(s, created(msg(41)));
  assert.equal(newestConfirmedId(conv(s).items), 41);
});

test("live messages while detached are not put into the window, but remembered", () => {
  let s = windowed();
  s = apply(s, created(msg(2000, { author: jason })));
  s = apply(s, created(msg(2001, { author: jason })));
  s = apply(s, created(msg(2001, { author: jason }))); // a replayed frame counts once
  assert.equal(newestConfirmedId(conv(s).items), 35);
  assert.equal(newerCount(conv(s)), 2);
  assert.equal(conv(s).newestKnown, 2001);
  // A page forward that ends before them keeps them held; the last one shows them.
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(36, 85), hasMore: true, newer: true });
  assert.equal(newestConfirmedId(conv(s).items), 85);
  assert.equal(newerCount(conv(s)), 2);
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(86, 90), hasMore: false, newer: true });
  assert.equal(isDetached(conv(s)), false);
  assert.deepEqual(ids(s).slice(-3), [90, 2000, 2001], "messages that arrived after the page's query are replayed");
  assert.deepEqual(conv(s).held, []);
});

test("held frames for messages a newer page brings apply to them (no stale edit)", () => {
  let s = windowed();
  s = apply(s, frame("message.updated", msg(50, { text: "fixed", edited_at: "2025-02-01T00:00:00Z" })));
  s = apply(s, frame("reaction.added", { message_id: 51, conversation_id: 5, emoji: "👍", user_id: 2 }));
  assert.equal(conv(s).items.some((m) => m.id === 50), false, "nothing shown beyond the window");
  // The page was read before the edit committed: it carries the old text.
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(36, 60), hasMore: true, newer: true });
  const byId = new Map(conv(s).items.map((m) => [m.id, m]));
  assert.equal(byId.get(50).text, "fixed");
  assert.equal(byId.get(51).reactions.length, 1);
  assert.deepEqual(conv(s).held, []);
});

test("edits, deletes and reactions for messages inside the window still apply", () => {
  let s = windowed();
  s = apply(s, frame("message.updated", msg(10, { text: "edited", edited_at: "2025-02-01T00:00:00Z" })));
  s = apply(s, frame("message.deleted", { id: 12, conversation_id: 5, deleted_at: "2025-02-01T00:00:00Z" }));
  s = apply(s, frame("reaction.added", { message_id: 20, conversation_id: 5, emoji: "🎉", user_id: 2 }));
  const byId = new Map(conv(s).items.map((m) => [m.id, m]));
  assert.equal(byId.get(10).text, "edited");
  assert.ok(byId.get(12).deleted_at);
  assert.equal(byId.get(20).reactions[0].emoji, "🎉");
  assert.deepEqual(conv(s).held, [], "none of these was held");
});

test("too many held frames: a known newer message keeps the window detached until fetched", () => {
  let s = windowed();
  for (let i = 0; i < HELD_MAX + 10; i++) s = apply(s, created(msg(3000 + i)));
  assert.equal(conv(s).held.length, HELD_MAX);
  assert.equal(conv(s).heldLost, true);
  // The page forward ends (has_more false) before messages we know exist, and we no
  // longer hold all of them: stay detached, so the next page brings them.
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(36, 40), hasMore: false, newer: true });
  assert.equal(isDetached(conv(s)), true);
  assert.equal(newestConfirmedId(conv(s).items), 40);
  s = reduce(s, { type: "messages/page", convId: 5, epoch: 1, messages: range(3000, 3000 + HELD_MAX + 9), hasMore: false, newer: true });
  assert.equal(isDetached(conv(s)), false);
  assert.equal(newestConfirmedId(conv(s).items), 3000 + HELD_MAX + 9);
  assert.equal(conv(s).heldLost, false);
});

test("a POST answer for a message sent from a window is not put below it", () => {
  let s = windowed();
  const pending = makePending({ text: "hi", user: kevin, convId: 5, clientId: "abc" });
  s = reduce(s, { type: "messages/pending", convId: 5, message: pending });
  s = reduce(s, { type: "messages/upsert", convId: 5, message: msg(2000, { client_id: "abc" }) });
  assert.equal(newestConfirmedId(conv(s).items), 35);
  // Jump to present: the newest page replaces the window and attaches.
  s = reduce(s, { type: "messages/record", convId: 5 });
  s = apply(s, created(msg(2000, { client_id: "abc" })));
  s = reduce(s, { type: "messages/window", convId: 5, messages: range(1950, 1999), hasMore: true, hasNewer: false });
  assert.equal(isDetached(conv(s)), false);
  assert.deepEqual(ids(s).slice(-2), [1999, 2000], "the recorded frame brings the sent message");
});

test("jump to present: the newest page replaces the window, live messages append again", () => {
  let s = windowed();
  s = apply(s, created(msg(2000)));
  s = reduce(s, { type: "messages/record", convId: 5 });
  s = reduce(s, { type: "messages/window", convId: 5, messages: range(1951, 2000), hasMore: true, hasNewer: false });
  assert.equal(isDetached(conv(s)), false);
  assert.deepEqual(conv(s).held, []);
  s = apply(s, created(msg(2001)));
  assert.equal(newestConfirmedId(conv(s).items), 2001);
});

test("a resync reset leaves window mode", () => {
  let s = windowed();
  s = reduce(s, { type: "messages/loading", convId: 5, reset: true });
  assert.equal(isDetached(conv(s)), false);
  assert.equal(conv(s).epoch, 2);
  assert.deepEqual(conv(s).items, []);
});

test("frameMessageId reads message.* ids and patch message_ids", () => {
  assert.equal(frameMessageId(created(msg(3))), 3);
  assert.equal(frameMessageId(frame("reaction.added", { message_id: 4 })), 4);
  assert.equal(frameMessageId(frame("typing", {})), null);
  assert.equal(newerCount(emptyConversation()), 0);
});

test("unread: a live message while detached counts as unread; read only advances to what is shown", () => {
  const me = kevin;
  const messages = windowed();
  let channels = reduceChannels(undefined, { type: "@init" });
  channels = reduceChannels(channels, {
    type: "channels/loaded",
    conversations: [{ id: 5, kind: "public", name: "general", unread_count: 0, last_read_message_id: 1049, last_message_id: 1049 }],
  });
  channels = reduceChannels(channels, { type: "channels/select", id: 5 });
  const root = { session: { user: me }, messages };
  channels = reduceChannels(channels, { type: "event", frame: created(msg(2000, { author: jason })) }, root);
  const c = channels.list[0];
  assert.equal(c.unread_count, 1, "not seen: the window is far back");
  assert.equal(c.last_message_id, 2000);
  // The window (1..35) is all before the read position: nothing to mark.
  assert.equal(readTarget(c, conv(messages).items, { detached: true }), null);
  // Attached, the same conversation would be marked read up to the newest message.
  assert.equal(readTarget(c, conv(messages).items), 2000);
  // A window reaching past the read position marks up to its newest shown message only.
  assert.equal(readTarget({ ...c, last_read_message_id: 20 }, conv(messages).items, { detached: true }), 35);
  // Attached again: a live message in the open conversation is seen.
  const attached = { session: { user: me }, messages: reduce(messages, { type: "messages/page", convId: 5, epoch: 1, messages: [], hasMore: false, newer: true }) };
  channels = reduceChannels(channels, { type: "event", frame: created(msg(2001, { author: jason })) }, attached);
  assert.equal(channels.list[0].unread_count, 1);
});
