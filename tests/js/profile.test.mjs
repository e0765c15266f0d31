// Profile rules and how user.updated refreshes every copy of a user.
import assert from "node:assert/strict";
import { test } from "node:test";

import { reduceSession } from "../../src/minimost/static/js/features/auth/data.js";
import { reduce as reduceMessages } from "../../src/minimost/static/js/features/messages/data.js";
import { mergeAuthor, mergeUser, mergeUserList } from "../../src/minimost/static/js/core/people.js";
import {
  cleanDisplayName, displayNameProblem, PALETTE, validColor,
} from "../../src/minimost/static/js/features/profile/data.js";

const bob = { id: 2, username: "bob", display_name: "Bob", color: null, avatar_url: null };
const renamed = { ...bob, display_name: "Bobby", color: "#336699", avatar_url: "/api/v1/users/2/avatar?v=ab" };
const frame = { type: "user.updated", conversation: null, data: { user: renamed } };

test("colours and names are checked like the server does", () => {
  assert.ok(PALETTE.every((c) => validColor(c.value)));
  assert.ok(!validColor("red") && !validColor("#12345") && !validColor(null));
  assert.equal(cleanDisplayName("  Alice \n  Liddell "), "Alice Liddell");
  assert.equal(displayNameProblem("x".repeat(64)), null);
  assert.match(displayNameProblem("x".repeat(65)), /at most 64/);
});

test("merging touches only the same person, and keeps identity when nothing changed", () => {
  assert.equal(mergeUser({ id: 3, username: "carol" }, renamed).username, "carol");
  const same = mergeUser(bob, { ...bob });
  assert.equal(same, bob);
  const merged = mergeUser({ ...bob, is_admin: true, role: "member" }, renamed);
  assert.equal(merged.display_name, "Bobby");
  assert.equal(merged.is_admin, true); // other fields stay
  const list = [bob, { id: 3, username: "carol" }];
  assert.equal(mergeUserList(list, { id: 9 }), list);
  assert.equal(mergeUserList(list, renamed)[0].color, "#336699");
});

test("a reply quoting the person shows the new name too", () => {
  const message = { id: 5, author: { id: 1 }, reply_to: { id: 4, author: bob, excerpt: "hi" } };
  assert.equal(mergeAuthor(message, renamed).reply_to.author.display_name, "Bobby");
});

test("user.updated renames every message of that author, in every conversation", () => {
  let state = reduceMessages(undefined, { type: "@init" });
  const page = (id, author) => ({ id, author, conversation_id: 1, created_at: "2026-01-01T00:00:00Z", edited_at: null, deleted_at: null });
  state = reduceMessages(state, { type: "messages/page", convId: 1, messages: [page(1, bob), page(2, { id: 3, username: "carol" })], hasMore: false });
  state = reduceMessages(state, { type: "messages/page", convId: 7, messages: [page(9, bob)], hasMore: false });
  const next = reduceMessages(state, { type: "event", frame });
  assert.equal(next.byConv[1].items[0].author.display_name, "Bobby");
  assert.equal(next.byConv[1].items[1], state.byConv[1].items[1]); // untouched rows keep identity
  assert.equal(next.byConv[7].items[0].author.avatar_url, renamed.avatar_url);
  assert.equal(reduceMessages(next, { type: "event", frame }), next); // idempotent
});

test("my own session follows my profile, keeping is_admin", () => {
  const session = reduceSession({ user: { ...bob, is_admin: true } }, { type: "event", frame });
  assert.equal(session.user.display_name, "Bobby");
  assert.equal(session.user.is_admin, true);
  const other = { user: { id: 1, username: "alice" } };
  assert.equal(reduceSession(other, { type: "event", frame }), other);
});
