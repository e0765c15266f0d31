// Replies, reactions and pins without the DOM: the reply quote and the send extension,
// reaction set operations and the optimistic toggle, emoji search, and the live updates
// (reaction.* and message.(un)pinned) applied to the messages store and the pins panel.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { messagesReducer } from "../../src/minimost/static/js/features/messages/data.js";
import {
  applyPinFrame, needsPins, pinPatches, pinsToShow, reduce as reducePins,
} from "../../src/minimost/static/js/features/pins/data.js";
import {
  applyReaction, hasMine, indexEmoji, labelOf, pushRecent, reactionPatches, reactorsTitle, searchEmoji, toggle,
} from "../../src/minimost/static/js/features/reactions/data.js";
import {
  canReply, excerpt, isLoaded, plainText, quoteOf, reduce as reduceReplies, replyExtension,
} from "../../src/minimost/static/js/features/replies/data.js";

// As main.js wires it: reaction and pin events patch the messages they are about.
const reduceMessages = messagesReducer({ ...reactionPatches, ...pinPatches });

const alice = { id: 1, username: "alice", display_name: "Alice" };
const msg = (id, extra = {}) => ({
  id, conversation_id: 7, author: alice, text: `text ${id}`, html: `<p>text ${id}</p>`,
  created_at: "2026-01-01T12:00:00.000Z", edited_at: null, deleted_at: null, client_id: null,
  reactions: [], pinned: false, reply_to: null, ...extra,
});

function loaded(items) {
  let state = reduceMessages(undefined, { type: "@init" });
  state = reduceMessages(state, { type: "messages/page", convId: 7, messages: items, hasMore: false });
  return state;
}
const frame = (type, data) => ({ id: 1, type, conversation: 7, data: { conversation_id: 7, ...data } });

// ---- replies ----------------------------------------------------------------

test("excerpt is the first non-empty line, cut like the server's", () => {
  assert.equal(excerpt("\n  first line  \nsecond"), "first line");
  assert.equal(excerpt(""), "");
  const long = excerpt("é".repeat(500));
  assert.equal([...long].length, 140);
  assert.ok(long.endsWith("…"));
});

test("a quote reads like the rendered message, as the server quotes it", () => {
  assert.equal(plainText("<p>Release plan for <strong>v1.0</strong> 🎉 &amp; &lt;b&gt;</p><p>more</p>"), "Release plan for v1.0 🎉 & <b>\nmore\n");
  const m = msg(4, { text: "**bold** start", html: "<p><strong>bold</strong> start</p>" });
  assert.equal(quoteOf(m).excerpt, "bold start");
});

test("quoteOf and canReply: only confirmed live messages", () => {
  assert.deepEqual(quoteOf(msg(3, { text: "hello\nworld", html: "<p>hello<br>\nworld</p>" })), {
    id: 3, author: { id: 1, username: "alice", display_name: "Alice" }, excerpt: "hello", deleted: false,
  });
  assert.equal(canReply(msg(3)), true);
  assert.equal(canReply(msg(null, { pending: true })), false);
  assert.equal(canReply(msg(3, { deleted_at: "2026-01-01T12:00:00.000Z" })), false);
});

test("a reply in progress goes out with the next send, then clears", () => {
  const quote = quoteOf(msg(3));
  let state = reduceReplies(undefined, { type: "@init" });
  assert.equal(replyExtension({ replies: state }, 7), null);
  state = reduceReplies(state, { type: "reply/start", convId: 7, quote });
  assert.deepEqual(replyExtension({ replies: state }, 7), { body: { reply_to_id: 3 }, pending: { reply_to: quote } });
  assert.equal(replyExtension({ replies: state }, 8), null, "per conversation");
  const other = reduceReplies(state, { type: "messages/pending", convId: 8 });
  assert.equal(other, state, "a send elsewhere keeps it");
  assert.equal(reduceReplies(state, { type: "messages/pending", convId: 7 }).byConv[7], undefined);
  assert.equal(reduceReplies(state, { type: "reply/cancel", convId: 7 }).byConv[7], undefined);
  const deleted = reduceReplies(state, { type: "event", frame: { type: "message.deleted", conversation: 7, data: { id: 3 } } });
  assert.equal(deleted.byConv[7], undefined, "the original was deleted meanwhile");
});

test("isLoaded looks at confirmed messages only", () => {
  const conv = loaded([msg(1), msg(2)]).byConv[7];
  assert.equal(isLoaded(conv, 2), true);
  assert.equal(isLoaded(conv, 9), false);
  assert.equal(isLoaded(undefined, 2), false);
});

// ---- reactions -------------------------------------------------------------

test("applyReaction is a set operation: doubles change nothing", () => {
  let r = applyReaction([], "👍", 1, true);
  assert.deepEqual(r, [{ emoji: "👍", count: 1, users: [1] }]);
  assert.equal(applyReaction(r, "👍", 1, true), r, "added twice");
  r = applyReaction(r, "👍", 2, true);
  r = applyReaction(r, "🎉", 2, true);
  assert.deepEqual(r, [{ emoji: "👍", count: 2, users: [1, 2] }, { emoji: "🎉", count: 1, users: [2] }]);
  assert.equal(applyReaction(r, "👍", 3, false), r, "removing what is not there");
  r = applyReaction(r, "👍", 1, false);
  assert.deepEqual(r, [{ emoji: "👍", count: 1, users: [2] }, { emoji: "🎉", count: 1, users: [2] }]);
  assert.deepEqual(applyReaction(r, "🎉", 2, false), [{ emoji: "👍", count: 1, users: [2] }], "last one drops the chip");
});

test("toggle adds when not mine and removes when mine", () => {
  const r = [{ emoji: "👍", count: 1, users: [2] }];
  const on = toggle(r, "👍", 1);
  assert.equal(on.adding, true);
  assert.equal(hasMine(on.reactions, "👍", 1), true);
  const off = toggle(on.reactions, "👍", 1);
  assert.equal(off.adding, false);
  assert.deepEqual(off.reactions, r);
});

test("reaction events update the message in the store; an optimistic change is settled by its event", () => {
  let state = loaded([msg(1), msg(2)]);
  state = reduceMessages(state, { type: "event", frame: frame("reaction.added", { message_id: 2, emoji: "👍", user_id: 5 }) });
  assert.deepEqual(state.byConv[7].items[1].reactions, [{ emoji: "👍", count: 1, users: [5] }]);
  // My optimistic toggle, then the event of the same change: one count, not two.
  state = reduceMessages(state, {
    type: "messages/patch", convId: 7, id: 2, patch: (m) => ({ ...m, reactions: applyReaction(m.reactions, "👍", 1, true) }),
  });
  const before = state;
  state = reduceMessages(state, { type: "event", frame: frame("reaction.added", { message_id: 2, emoji: "👍", user_id: 1 }) });
  assert.equal(state, before, "already shown: nothing changes");
  assert.deepEqual(state.byConv[7].items[1].reactions, [{ emoji: "👍", count: 2, users: [5, 1] }]);
  state = reduceMessages(state, { type: "event", frame: frame("reaction.removed", { message_id: 2, emoji: "👍", user_id: 5 }) });
  assert.deepEqual(state.byConv[7].items[1].reactions, [{ emoji: "👍", count: 1, users: [1] }]);
  assert.deepEqual(state.byConv[7].items[0].reactions, [], "other messages untouched");
});

test("reaction events that arrive before the first page are replayed onto it", () => {
  let state = reduceMessages(undefined, { type: "@init" });
  state = reduceMessages(state, { type: "messages/loading", convId: 7 });
  state = reduceMessages(state, { type: "event", frame: frame("reaction.added", { message_id: 1, emoji: "🎉", user_id: 5 }) });
  state = reduceMessages(state, { type: "messages/page", convId: 7, messages: [msg(1)], hasMore: false });
  assert.deepEqual(state.byConv[7].items[0].reactions, [{ emoji: "🎉", count: 1, users: [5] }]);
});

test("reactorsTitle names people, me as You, unknown as someone", () => {
  const names = { 2: "Bob", 3: "Carol" };
  const nameOf = (id) => names[id] || null;
  assert.equal(reactorsTitle({ emoji: "👍", users: [1] }, nameOf, 1, ":+1:"), "You reacted with :+1:");
  assert.equal(reactorsTitle({ emoji: "👍", users: [2, 1, 9] }, nameOf, 1, ":+1:"), "Bob, You and someone reacted with :+1:");
  const many = reactorsTitle({ emoji: "👍", users: Array.from({ length: 13 }, (_, i) => 100 + i) }, nameOf, 1);
  assert.match(many, /and 3 others reacted with 👍$/);
});

test("pushRecent keeps the newest first, unique, bounded", () => {
  assert.deepEqual(pushRecent(["a", "b", "c"], "b"), ["b", "a", "c"]);
  assert.deepEqual(pushRecent(null, "x"), ["x"]);
  assert.equal(pushRecent(Array.from({ length: 30 }, (_, i) => String(i)), "new").length, 24);
});

const index = indexEmoji(JSON.parse(readFileSync(new URL("../../src/minimost/static/data/emoji.json", import.meta.url), "utf8")));

test("the emoji data indexes categories and emoji", () => {
  assert.ok(index.emoji.length > 1500);
  assert.equal(index.categories[0].key, "smileys-emotion");
  assert.ok(index.emoji.every((e) => e.category >= 0 && e.category < index.categories.length));
  assert.equal(labelOf(index, "👍"), ":+1:");
  assert.equal(labelOf(index, "not an emoji"), "not an emoji");
});

test("searchEmoji ranks shortcodes and names, then keywords", () => {
  assert.equal(searchEmoji(index, "")[0], undefined);
  assert.equal(searchEmoji(index, "+1")[0].char, "👍");
  assert.equal(searchEmoji(index, ":thumbsup:")[0].char, "👍");
  assert.equal(searchEmoji(index, "tada")[0].char, "🎉");
  const hearts = searchEmoji(index, "heart").map((e) => e.char);
  assert.ok(hearts.includes("❤️"));
  assert.ok(searchEmoji(index, "love").some((e) => e.char === "❤️"), "by keyword");
  assert.deepEqual(searchEmoji(index, "zzzqqq"), []);
  assert.ok(searchEmoji(index, "face", 10).length === 10, "bounded");
});

// ---- pins ---------------------------------------------------------------------

test("pin events flip the pinned flag of loaded messages", () => {
  let state = loaded([msg(1), msg(2)]);
  state = reduceMessages(state, { type: "event", frame: frame("message.pinned", { message_id: 2, pinned_by: alice, pinned_at: "x" }) });
  assert.equal(state.byConv[7].items[1].pinned, true);
  const again = reduceMessages(state, { type: "event", frame: frame("message.pinned", { message_id: 2 }) });
  assert.equal(again, state);
  state = reduceMessages(state, { type: "event", frame: frame("message.unpinned", { message_id: 2 }) });
  assert.equal(state.byConv[7].items[1].pinned, false);
});

test("the pins list follows pinned, unpinned and deleted", () => {
  const messages = loaded([msg(1), msg(2)]);
  let pins = reducePins(undefined, { type: "@init" });
  assert.equal(needsPins(pins, 7), true);
  pins = reducePins(pins, { type: "pins/loading", convId: 7 });
  assert.equal(needsPins(pins, 7), false, "while loading");
  pins = reducePins(pins, { type: "pins/loaded", convId: 7, pins: [{ message: msg(1, { pinned: true }), pinned_by: alice, pinned_at: "a" }] });
  assert.equal(needsPins(pins, 7), false);
  const root = { messages };
  pins = reducePins(pins, { type: "event", frame: frame("message.pinned", { message_id: 2, pinned_by: alice, pinned_at: "b" }) }, root);
  assert.deepEqual(pins.byConv[7].items.map((p) => p.message.id), [2, 1], "newest first");
  assert.equal(pins.byConv[7].items[0].message.pinned, true);
  pins = reducePins(pins, { type: "event", frame: frame("message.unpinned", { message_id: 1 }) }, root);
  assert.deepEqual(pins.byConv[7].items.map((p) => p.message.id), [2]);
  pins = reducePins(pins, { type: "event", frame: { type: "message.deleted", conversation: 7, data: { id: 2 } } }, root);
  assert.deepEqual(pins.byConv[7].items, []);
  // A pin of a message not loaded here: the list is stale and gets refetched.
  pins = reducePins(pins, { type: "event", frame: frame("message.pinned", { message_id: 99 }) }, root);
  assert.equal(pins.byConv[7].stale, true);
  assert.equal(needsPins(pins, 7), true);
});

test("a pin event during the fetch marks the fetched list stale", () => {
  let pins = reducePins(undefined, { type: "pins/loading", convId: 7 });
  pins = reducePins(pins, { type: "event", frame: frame("message.pinned", { message_id: 2 }) }, {});
  pins = reducePins(pins, { type: "pins/loaded", convId: 7, pins: [] });
  assert.equal(pins.byConv[7].stale, true);
});

test("applyPinFrame is idempotent and pinsToShow uses the freshest message", () => {
  const conv = loaded([msg(1, { text: "edited", pinned: true })]).byConv[7];
  const entry = { items: [{ message: msg(1, { pinned: true }), pinned_by: null, pinned_at: "a" }], loaded: true, stale: false };
  assert.equal(applyPinFrame(entry, frame("message.pinned", { message_id: 1 }), conv), entry);
  assert.equal(pinsToShow(entry, conv)[0].message.text, "edited");
  assert.deepEqual(pinsToShow(undefined, conv), []);
});

test("opening the mentions panel closes the pins panel", () => {
  const open = reducePins(undefined, { type: "pins/open" });
  assert.equal(open.open, true);
  assert.equal(reducePins(open, { type: "mentions/open" }).open, false);
});
