// Mention rules: the query under the caret, ranking, inserting the pick, "mentions me",
// and the Mentions panel's state kept current by events.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyMention, mentionQuery, mentionsMe, reduce, suggestions,
} from "../../src/minimost/static/js/features/mentions/data.js";

const alice = { id: 1, username: "alice", display_name: "Alice Liddell" };
const bob = { id: 2, username: "bob", display_name: "Bob" };
const bea = { id: 3, username: "zed", display_name: "Beatrice Zed" };
const carol = { id: 4, username: "carol", display_name: "Carol" };
const members = [alice, bob, bea, carol];

test("mentionQuery finds the @word under the caret, not e-mail addresses", () => {
  assert.deepEqual(mentionQuery("hi @b", 5), { start: 3, end: 5, query: "b" });
  assert.deepEqual(mentionQuery("@", 1), { start: 0, end: 1, query: "" });
  assert.deepEqual(mentionQuery("(@al", 4), { start: 1, end: 4, query: "al" });
  assert.equal(mentionQuery("mail me@example", 15), null, "glued to a word");
  assert.equal(mentionQuery("@bob hello", 10), null, "caret past a space");
  assert.equal(mentionQuery("no at here", 5), null);
  assert.equal(mentionQuery("@b", 0), null);
  // Caret inside the word: the whole word is replaced on accept.
  assert.deepEqual(mentionQuery("x @bo.b y", 5), { start: 2, end: 7, query: "bo" });
});

test("suggestions: username prefix first, then display-name words; never me", () => {
  const picks = suggestions(members, "b", { meId: 1 });
  assert.deepEqual(picks.map((p) => p.value), ["bob", "zed"]);
  assert.ok(picks.every((p) => p.kind === "user"));
  assert.deepEqual(suggestions(members, "A", { meId: 1 }).map((p) => p.value), [], "I am not suggested");
  assert.deepEqual(suggestions(members, "li", {}).map((p) => p.value), ["alice"], "display-name word");
  assert.deepEqual(suggestions(members, "", { meId: 99 }).map((p) => p.value), ["alice", "bob", "carol", "zed"]);
});

test("suggestions add @everyone / @here only where allowed, and respect the limit", () => {
  assert.deepEqual(suggestions(members, "e", { allowAll: true }).map((p) => p.value), ["everyone"]);
  assert.deepEqual(suggestions(members, "h", { allowAll: true }).map((p) => p.value), ["here"]);
  assert.deepEqual(suggestions(members, "e", { allowAll: false }).map((p) => p.value), []);
  const many = Array.from({ length: 20 }, (_, i) => ({ id: i + 10, username: `u${i}`, display_name: "" }));
  assert.equal(suggestions(many, "u", { allowAll: true }).length, 8);
});

test("applyMention inserts @name and one space, caret after it", () => {
  assert.deepEqual(applyMention("hi @b", { start: 3, end: 5 }, "bob"), { text: "hi @bob ", caret: 8 });
  assert.deepEqual(applyMention("hi @b there", { start: 3, end: 5 }, "bob"), { text: "hi @bob there", caret: 8 });
  assert.deepEqual(applyMention("@bo.b!", { start: 0, end: 5 }, "bob"), { text: "@bob !", caret: 5 });
});

test("mentionsMe: by id, @everyone/@here, html fallback; never my own message", () => {
  const me = { id: 2, username: "bob" };
  const by = (author, extra) => ({ id: 9, author, html: "<p>x</p>", ...extra });
  assert.equal(mentionsMe(by(alice, { mentions: [2], mention_all: null }), me), true);
  assert.equal(mentionsMe(by(alice, { mentions: [3], mention_all: null }), me), false);
  assert.equal(mentionsMe(by(alice, { mentions: [], mention_all: "here" }), me), true);
  assert.equal(mentionsMe(by(bob, { mentions: [2], mention_all: "everyone" }), me), false, "own message");
  assert.equal(mentionsMe(by(alice, { html: '<p><span class="mention" data-username="bob">@bob</span></p>' }), me), true);
  assert.equal(mentionsMe(by(alice, { mentions: [2], deleted_at: "2025-01-01T00:00:00Z" }), me), false);
});

const root = { session: { user: { id: 2, username: "bob" } } };
const mention = (id, over = {}) => ({ id, conversation_id: 5, author: alice, html: "<p>@bob</p>", mentions: [2], mention_all: null, ...over });
const ev = (type, data) => ({ id: 100, type, conversation: data.conversation_id ?? 5, data });

test("the panel pages newest first and merges older pages without duplicates", () => {
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "mentions/open" });
  s = reduce(s, { type: "mentions/loading" });
  assert.equal(s.loading, true);
  s = reduce(s, { type: "mentions/page", messages: [mention(9), mention(7)], hasMore: true });
  s = reduce(s, { type: "mentions/page", messages: [mention(7), mention(3)], hasMore: false, older: true });
  assert.deepEqual(s.items.map((m) => m.id), [9, 7, 3]);
  assert.equal(s.hasMore, false);
  assert.equal(s.loading, false);
});

test("live events add new mentions, drop edited-away and deleted ones, and ignore others", () => {
  let s = reduce(undefined, { type: "mentions/page", messages: [mention(5)], hasMore: false });
  s = reduce(s, { type: "event", frame: ev("message.created", mention(8)) }, root);
  assert.deepEqual(s.items.map((m) => m.id), [8, 5]);
  const plain = reduce(s, { type: "event", frame: ev("message.created", mention(9, { mentions: [] })) }, root);
  assert.equal(plain, s, "not about me: unchanged");
  s = reduce(s, { type: "event", frame: ev("message.updated", mention(8, { mentions: [], html: "<p>x</p>" })) }, root);
  assert.deepEqual(s.items.map((m) => m.id), [5]);
  s = reduce(s, { type: "event", frame: ev("message.deleted", { id: 5, conversation_id: 5 }) }, root);
  assert.deepEqual(s.items, []);
});

test("leaving a conversation drops its mentions; a resync forces a refetch", () => {
  let s = reduce(undefined, { type: "mentions/page", messages: [mention(5), mention(6, { conversation_id: 7 })], hasMore: false });
  s = reduce(s, { type: "event", frame: ev("member.removed", { conversation_id: 5, user: { id: 2 } }) }, root);
  assert.deepEqual(s.items.map((m) => m.id), [6]);
  const other = reduce(s, { type: "event", frame: ev("member.removed", { conversation_id: 7, user: { id: 4 } }) }, root);
  assert.equal(other, s);
  s = reduce(s, { type: "messages/invalidate" });
  assert.equal(s.loaded, false);
  const before = reduce(s, { type: "event", frame: ev("message.created", mention(20)) }, root);
  assert.equal(before, s, "not loaded: events wait for the refetch");
});
