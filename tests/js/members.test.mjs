// Member lists per conversation: loading, buffered events, read positions forward only.
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyMemberEvent, membersOf, needsMembers, reduce } from "../../src/minimost/static/js/features/mentions/members.js";

const alice = { id: 1, username: "alice", display_name: "Alice", presence: "online", role: "member", last_read_message_id: 4 };
const bob = { id: 2, username: "bob", display_name: "Bob", presence: "offline", role: "member", last_read_message_id: null };
const carol = { id: 3, username: "carol", display_name: "Carol", presence: "online" };
const root = { session: { user: { id: 2, username: "bob" } } };
const ev = (type, data) => ({ id: 50, type, conversation: 5, data: { conversation_id: 5, ...data } });

test("member.added / member.removed keep the list sorted and idempotent", () => {
  let list = [bob, alice];
  list = applyMemberEvent(list, ev("member.added", { user: carol }));
  assert.deepEqual(list.map((m) => m.username), ["alice", "bob", "carol"]);
  assert.equal(list[2].last_read_message_id, null);
  assert.equal(applyMemberEvent(list, ev("member.added", { user: carol })), list);
  list = applyMemberEvent(list, ev("member.removed", { user: { id: 1 } }));
  assert.deepEqual(list.map((m) => m.username), ["bob", "carol"]);
});

test("read.updated moves a read position forward only", () => {
  let list = [alice, bob];
  list = applyMemberEvent(list, ev("read.updated", { user_id: 1, message_id: 9 }));
  assert.equal(list[0].last_read_message_id, 9);
  assert.equal(applyMemberEvent(list, ev("read.updated", { user_id: 1, message_id: 7 })), list, "older: no-op");
  list = applyMemberEvent(list, ev("read.updated", { user_id: 2, message_id: 3 }));
  assert.equal(list[1].last_read_message_id, 3, "from null");
});

test("events during loading are buffered and replayed onto the fetched list", () => {
  let s = reduce(undefined, { type: "@init" });
  assert.equal(needsMembers(s, 5), true);
  s = reduce(s, { type: "members/loading", convId: 5 });
  assert.equal(needsMembers(s, 5), false);
  s = reduce(s, { type: "event", frame: ev("read.updated", { user_id: 1, message_id: 12 }) }, root);
  s = reduce(s, { type: "event", frame: ev("member.added", { user: carol }) }, root);
  s = reduce(s, { type: "members/loaded", convId: 5, members: [bob, alice] });
  assert.deepEqual(membersOf(s, 5).map((m) => [m.username, m.last_read_message_id]), [["alice", 12], ["bob", null], ["carol", null]]);
});

test("errors retry on reopen; a resync and my own removal forget lists", () => {
  let s = reduce(undefined, { type: "members/error", convId: 5, error: "boom" });
  assert.equal(needsMembers(s, 5), false);
  s = reduce(s, { type: "channels/select", id: 5 });
  assert.equal(needsMembers(s, 5), true);
  s = reduce(s, { type: "members/loaded", convId: 5, members: [alice, bob] });
  s = reduce(s, { type: "members/loaded", convId: 6, members: [alice, bob] });
  const gone = reduce(s, { type: "event", frame: ev("member.removed", { user: { id: 2 } }) }, root);
  assert.equal(membersOf(gone, 5), null);
  assert.ok(membersOf(gone, 6));
  assert.deepEqual(reduce(s, { type: "messages/invalidate" }).byConv, {});
  const unrelated = reduce(s, { type: "event", frame: { ...ev("member.added", { user: carol }), conversation: 77, data: { conversation_id: 77, user: carol } } }, root);
  assert.equal(unrelated, s, "conversations we never loaded are ignored");
});
