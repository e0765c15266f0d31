// Unread helpers: Ctrl+J/K targets, the tab title, the divider's place, what to mark read.
import assert from "node:assert/strict";
import { test } from "node:test";

import { countText } from "../../src/minimost/static/js/features/channels/data.js";
import {
  firstUnread, navigationKey, nextConversation, readTarget, titleText,
} from "../../src/minimost/static/js/features/unreads/data.js";

const order = [
  { id: 1, unread_count: 0 },
  { id: 2, unread_count: 3 },
  { id: 3, unread_count: 0 },
  { id: 4, unread_count: 1, muted: true },
];

test("Ctrl+J / Ctrl+K step through the sidebar and wrap around", () => {
  assert.equal(nextConversation(order, 1, 1), 2);
  assert.equal(nextConversation(order, 4, 1), 1);
  assert.equal(nextConversation(order, 1, -1), 4);
  assert.equal(nextConversation(order, null, 1), 1);
  assert.equal(nextConversation(order, null, -1), 4);
  assert.equal(nextConversation([], 1, 1), null);
  assert.equal(nextConversation([{ id: 1 }], 1, 1), null);
});

test("with Shift only conversations with unreads count", () => {
  assert.equal(nextConversation(order, 2, 1, { unreadOnly: true }), 4);
  assert.equal(nextConversation(order, 4, 1, { unreadOnly: true }), 2);
  assert.equal(nextConversation(order, 2, -1, { unreadOnly: true }), 4);
  assert.equal(nextConversation(order.slice(0, 3), 2, 1, { unreadOnly: true }), null);
});

test("the keys: Ctrl+J/K, Shift for unread only, nothing else", () => {
  assert.deepEqual(navigationKey({ ctrlKey: true, key: "j" }), { dir: 1, unreadOnly: false });
  assert.deepEqual(navigationKey({ ctrlKey: true, key: "k" }), { dir: -1, unreadOnly: false });
  assert.deepEqual(navigationKey({ ctrlKey: true, shiftKey: true, key: "J" }), { dir: 1, unreadOnly: true });
  assert.equal(navigationKey({ key: "j" }), null);
  assert.equal(navigationKey({ ctrlKey: true, altKey: true, key: "j" }), null);
  assert.equal(navigationKey({ ctrlKey: true, key: "x" }), null);
});

test("title: unread total first, then the open conversation", () => {
  assert.equal(titleText(3, "#general"), "(3) #general · MiniMost");
  assert.equal(titleText(0, "@Jason"), "@Jason · MiniMost");
  assert.equal(titleText(0, ""), "MiniMost");
  assert.equal(titleText(5000, "#x"), "(999+) #x · MiniMost");
  assert.equal(countText(7), "7");
  assert.equal(countText(100), "99+");
});

test("the divider goes above the first confirmed message after the read position", () => {
  const items = [{ id: 5 }, { id: 8 }, { id: 9 }, { pending: true, client_id: "x" }];
  assert.equal(firstUnread(items, 5).id, 8);
  assert.equal(firstUnread(items, 0).id, 5);
  assert.equal(firstUnread(items, 9), null);
  assert.equal(firstUnread(items, null), null);
});

test("read target: the newest known message, when past the read position or still counted", () => {
  const conv = { last_message_id: 9, last_read_message_id: 5, unread_count: 2, mention_count: 0 };
  assert.equal(readTarget(conv, [{ id: 8 }, { id: 9 }]), 9);
  assert.equal(readTarget({ ...conv, last_message_id: 8 }, [{ id: 9 }, { pending: true }]), 9);
  assert.equal(readTarget({ ...conv, last_read_message_id: 9, unread_count: 0 }, [{ id: 9 }]), null);
  // Counts stale at the same position: one more read fetches fresh counts.
  assert.equal(readTarget({ ...conv, last_read_message_id: 9 }, [{ id: 9 }]), 9);
  assert.equal(readTarget({ last_message_id: null, last_read_message_id: null, unread_count: 0 }, []), null);
  assert.equal(readTarget(null), null);
});
