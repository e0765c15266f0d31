// Typing: sentences, expiry after 6 s, clearing on the author's message, the send throttle.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AFTER_MESSAGE_QUIET_MS, createTypingThrottle, nextExpiry, reduce, TYPING_TTL_MS, typingText, typistsIn,
} from "../../src/minimost/static/js/features/typing/data.js";

const root = { session: { user: { id: 1, username: "me" } } };
const typing = (ids, conversation = 5) => ({ type: "typing", conversation, data: { user_ids: ids } });
const created = (authorId, conversation = 5) => ({ id: 90, type: "message.created", conversation, data: { id: 3, conversation_id: conversation, author: { id: authorId } } });
const at = (state, frame, now) => reduce(state, { type: "event", frame, now }, root);

test("typingText covers one, two and several people", () => {
  assert.equal(typingText([]), "");
  assert.equal(typingText(["Alice"]), "Alice is typing…");
  assert.equal(typingText(["Alice", "Bob"]), "Alice and Bob are typing…");
  assert.equal(typingText(["Alice", "Bob", "Carol"]), "Several people are typing…");
});

test("names expire 6 s after their last frame, and my own id is ignored", () => {
  let s = reduce(undefined, { type: "@init" });
  s = at(s, typing([1, 2]), 1000);
  assert.deepEqual(typistsIn(s, 5, 1000), ["2"]);
  s = at(s, typing([3]), 2000);
  assert.deepEqual(typistsIn(s, 5, 2000), ["2", "3"], "in the order they started");
  s = at(s, typing([2]), 4000); // refreshed: still listed first
  assert.deepEqual(typistsIn(s, 5, 7500), ["2", "3"]);
  assert.deepEqual(typistsIn(s, 5, 1000 + TYPING_TTL_MS + 1500), ["2"], "3 expired at 8000");
  assert.equal(nextExpiry(s, 2000), 2000 + TYPING_TTL_MS);
  assert.deepEqual(typistsIn(s, 6, 2000), [], "other conversations are separate");
  const pruned = reduce(s, { type: "typing/expire", now: 4000 + TYPING_TTL_MS });
  assert.deepEqual(pruned.byConv, {});
  assert.equal(reduce(pruned, { type: "typing/expire", now: 99_999 }), pruned);
});

test("a message from a typist clears them, and a stale frame right after is ignored", () => {
  let s = at(reduce(undefined, { type: "@init" }), typing([2, 3]), 1000);
  s = at(s, created(2), 1500);
  assert.deepEqual(typistsIn(s, 5, 1500), ["3"]);
  s = at(s, typing([2]), 1500 + AFTER_MESSAGE_QUIET_MS - 1);
  assert.deepEqual(typistsIn(s, 5, 2400), ["3"], "the batch from before the send");
  s = at(s, typing([2]), 1500 + AFTER_MESSAGE_QUIET_MS + 1);
  assert.deepEqual(typistsIn(s, 5, 3000), ["3", "2"], "typing again later shows again");
});

test("the throttle sends at most every 3 s per conversation, at once on a switch or after a send", () => {
  const t = createTypingThrottle(3000);
  assert.equal(t.notify(5, 0), true);
  assert.equal(t.notify(5, 1000), false);
  assert.equal(t.notify(5, 2999), false);
  assert.equal(t.notify(5, 3000), true);
  assert.equal(t.notify(6, 3100), true, "another conversation");
  t.reset();
  assert.equal(t.notify(6, 3200), true, "after a send");
});
