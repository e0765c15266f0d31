// Read receipts: which message, who saw it, and the sentence.
import assert from "node:assert/strict";
import { test } from "node:test";

import { lastOwnConfirmed, receiptFor, receiptText, seenBy } from "../../src/minimost/static/js/features/receipts/data.js";

const me = { id: 1, username: "me", display_name: "Me" };
const user = (id, name, read) => ({ id, username: name.toLowerCase(), display_name: name, last_read_message_id: read });
const msg = (id, author, over = {}) => ({ id, author, pending: false, deleted_at: null, ...over });

test("lastOwnConfirmed skips pending, deleted and other people's messages", () => {
  const alice = user(2, "Alice", null);
  const items = [msg(1, me), msg(2, me), msg(3, me, { deleted_at: "x" }), msg(4, alice), msg(null, me, { pending: true })];
  assert.equal(lastOwnConfirmed(items, 1).id, 2);
  assert.equal(lastOwnConfirmed([msg(4, alice)], 1), null);
});

test("seenBy counts others at or past the message, never me", () => {
  const members = [user(1, "Me", 50), user(2, "Alice", 10), user(3, "Bob", 9), user(4, "Carol", null)];
  assert.deepEqual(seenBy(members, 10, 1).map((u) => u.username), ["alice"]);
  assert.deepEqual(seenBy(members, 9, 1).map((u) => u.username), ["alice", "bob"]);
});

test("receiptText: names in channels, just 'Seen' in a DM everyone read", () => {
  const [a, b, c, d, e] = ["Alice", "Bob", "Carol", "Dan", "Eve"].map((n, i) => user(i + 2, n, 9));
  assert.equal(receiptText([], [a]), null);
  assert.equal(receiptText([a], [a, b]), "Seen by Alice");
  assert.equal(receiptText([a, b], [a, b, c]), "Seen by Alice and Bob");
  assert.equal(receiptText([a, b, c], [a, b, c]), "Seen by Alice, Bob and Carol");
  assert.equal(receiptText([a, b, c, d], [a, b, c, d]), "Seen by Alice, Bob, Carol and 1 other");
  assert.equal(receiptText([a, b, c, d, e], [a, b, c, d, e]), "Seen by Alice, Bob, Carol and 2 others");
  assert.equal(receiptText([a], [a], { dm: true }), "Seen");
  assert.equal(receiptText([a], [a, b], { dm: true }), "Seen by Alice", "a group DM not yet read by all");
});

test("receiptFor ties it together for the open conversation", () => {
  const alice = user(2, "Alice", 7);
  const bob = user(3, "Bob", 5);
  const items = [msg(5, me), msg(6, alice), msg(7, me)];
  const members = [user(1, "Me", 7), alice, bob];
  assert.deepEqual(receiptFor({ items, members, meId: 1, dm: false }), { messageId: 7, text: "Seen by Alice", seen: [alice] });
  assert.equal(receiptFor({ items, members: null, meId: 1 }), null, "members not loaded yet");
  assert.equal(receiptFor({ items, members: [user(1, "Me", 7), user(3, "Bob", 5)], meId: 1 }), null, "nobody saw it yet");
  assert.equal(receiptFor({ items, members: [user(1, "Me", 7), user(2, "Alice", 8)], meId: 1, dm: true }).text, "Seen");
});
