// Who gets a sound or a desktop notification, and what it says.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_PREFS, parsePrefs, previewText, shouldNotify, STALE_MS,
} from "../../src/minimost/static/js/features/notifications/data.js";

const kevin = { id: 7, username: "kevin", display_name: "Kevin" };
const jason = { id: 8, username: "jason", display_name: "Jason" };
const david = { id: 9, username: "david", display_name: "David" };
const NOW = Date.parse("2025-03-01T12:00:00Z");

const dm = { id: 5, kind: "dm", members: [jason, kevin] };
const group = { id: 6, kind: "dm", members: [david, jason, kevin] };
const general = { id: 1, kind: "public", name: "general" };
const on = { sound: true, desktop: true, muteAll: false };

function frame(conv, extra = {}) {
  return {
    id: 100, type: "message.created", conversation: conv.id,
    data: { id: 42, conversation_id: conv.id, author: jason, text: "hello  there\nKevin", created_at: new Date(NOW - 1000).toISOString(), mentions: [], mention_all: null, ...extra },
  };
}

function decide(conv, over = {}, frameExtra = {}) {
  return shouldNotify({
    frame: frame(conv, frameExtra), me: kevin, conv, activeId: 1, visible: true, focused: true,
    prefs: on, now: NOW, permission: "granted", ...over,
  });
}

test("a DM notifies with the author as title and the text as body", () => {
  const d = decide(dm);
  assert.equal(d.reason, "dm");
  assert.equal(d.title, "Jason");
  assert.equal(d.body, "hello there Kevin");
  assert.equal(d.convId, 5);
  assert.equal(d.messageId, 42);
  assert.equal(d.sound, true);
  assert.equal(d.desktop, true);
  assert.equal(decide(group).title, "Jason in David, Jason");
});

test("channel messages notify only when they mention me", () => {
  assert.equal(decide(general, { activeId: 2 }), null);
  const d = decide(general, { activeId: 2 }, { mentions: [7] });
  assert.equal(d.reason, "mention");
  assert.equal(d.title, "Jason in #general");
  assert.equal(decide(general, { activeId: 2 }, { mention_all: "everyone" }).reason, "mention");
  assert.equal(decide(general, { activeId: 2 }, { mention_all: "here" }).reason, "mention");
  assert.equal(decide(general, { activeId: 2 }, { mentions: [8] }), null);
});

test("never my own messages, muted conversations, or with everything muted", () => {
  assert.equal(decide(dm, {}, { author: kevin }), null);
  assert.equal(decide({ ...dm, muted: true }), null);
  assert.equal(decide(dm, { prefs: { ...on, muteAll: true } }), null);
});

test("the conversation on screen stays quiet; the same tab on another conversation does not", () => {
  assert.equal(decide(dm, { activeId: 5 }), null);
  assert.ok(decide(dm, { activeId: 1 })); // focused tab, other conversation
  assert.ok(decide(dm, { activeId: 5, visible: false })); // tab in the background
  assert.ok(decide(dm, { activeId: 5, focused: false })); // another window in front
});

test("desktop needs the toggle and the permission; sound only its toggle", () => {
  assert.equal(decide(dm, { permission: "default" }).desktop, false);
  assert.equal(decide(dm, { permission: "denied" }).desktop, false);
  assert.equal(decide(dm, { prefs: { ...on, desktop: false } }).desktop, false);
  const quiet = decide(dm, { prefs: { ...on, sound: false } });
  assert.equal(quiet.sound, false);
  assert.equal(quiet.desktop, true);
  assert.equal(decide(dm, { prefs: { sound: false, desktop: false, muteAll: false } }), null);
});

test("old messages (a replay after a long disconnect) and other events stay quiet", () => {
  assert.equal(decide(dm, { now: NOW + STALE_MS + 5000 }), null);
  assert.equal(shouldNotify({ frame: { ...frame(dm), type: "message.updated" }, me: kevin, conv: dm, prefs: on, now: NOW }), null);
  assert.equal(shouldNotify({ frame: frame(dm), me: kevin, conv: undefined, prefs: on, now: NOW }), null);
  assert.equal(decide(dm, {}, { deleted_at: new Date(NOW).toISOString() }), null);
});

test("prefs: defaults, stored booleans, junk ignored", () => {
  assert.deepEqual(parsePrefs(null), DEFAULT_PREFS);
  assert.deepEqual(parsePrefs("{not json"), DEFAULT_PREFS);
  assert.deepEqual(parsePrefs('{"sound":false,"desktop":"yes","muteAll":true}'), { sound: false, desktop: false, muteAll: true });
});

test("the body is one line, cut at 140 characters", () => {
  assert.equal(previewText("a\n\nb"), "a b");
  const long = previewText("x".repeat(500));
  assert.equal(long.length, 140);
  assert.ok(long.endsWith("…"));
});
