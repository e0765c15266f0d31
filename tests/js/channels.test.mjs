// Sidebar state: sections and order, labels, hashes, unread counting and the
// conversation events (created, updated, member added/removed, membership, read).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  canEditTopic, canRemoveOthers, canRename, conversationForHash, conversationLabel, conversationTitle,
  hashFor, mentionsMe, pickConversation, reduce, sections, sidebarOrder, unreadTotal,
} from "../../src/minimost/static/js/features/channels/data.js";
import { createStore } from "../../src/minimost/static/js/core/store.js";
import { reduceSession } from "../../src/minimost/static/js/features/auth/data.js";
import { enterAction, sendableText } from "../../src/minimost/static/js/features/composer/data.js";

const kevin = { id: 7, username: "kevin", display_name: "Kevin" };
const jason = { id: 8, username: "jason", display_name: "Jason" };
const david = { id: 9, username: "david", display_name: "" };

const general = { id: 1, kind: "public", name: "general", last_message_id: 10 };
const random = { id: 2, kind: "public", name: "random", last_message_id: 20 };
const secret = { id: 3, kind: "private", name: "Secret", created_by: 7 };
const alpha = { id: 4, kind: "private", name: "alpha" };
const dmJason = { id: 5, kind: "dm", name: null, members: [jason, kevin], last_message_id: 30 };
const dmGroup = { id: 6, kind: "dm", name: null, members: [david, jason, kevin], last_message_id: 40 };
const note = { id: 11, kind: "dm", name: null, members: [kevin], last_message_id: null };
const list = [general, random];

function storeWith(conversations, active = null) {
  const store = createStore({ session: reduceSession, channels: reduce });
  store.dispatch({ type: "session/loaded", user: kevin });
  store.dispatch({ type: "channels/loaded", conversations });
  if (active !== null) store.dispatch({ type: "channels/select", id: active });
  return store;
}
const conv = (store, id) => store.get().channels.list.find((c) => c.id === id);
const frame = (type, conversation, data, id = 1) => ({ id, type, conversation, data });
const created = (conversation, id, author = jason, extra = {}) =>
  frame("message.created", conversation, { id, conversation_id: conversation, author, text: "hi", ...extra });

test("pick: hash name, then remembered id, then general", () => {
  assert.equal(pickConversation(list, { hashName: "random" }), 2);
  assert.equal(pickConversation(list, { rememberedId: "2" }), 2);
  assert.equal(pickConversation(list, { hashName: "nope", rememberedId: "9" }), 1);
  assert.equal(pickConversation([], {}), null);
  assert.equal(pickConversation([dmJason, secret], { hashName: "~3" }), 3);
});

test("hashes: public channels by name, private channels and DMs by id", () => {
  assert.equal(hashFor(general), "general");
  assert.equal(hashFor(secret), "~3");
  assert.equal(hashFor(dmJason), "~5");
  const all = [general, secret, dmJason];
  assert.equal(conversationForHash(all, "~5"), dmJason);
  assert.equal(conversationForHash(all, "general"), general);
  assert.equal(conversationForHash(all, "~99"), null);
  assert.equal(conversationForHash(all, null), null);
});

test("labels: channel names, the other people of a DM, and a note to self", () => {
  assert.equal(conversationLabel(general, 7), "general");
  assert.equal(conversationLabel(dmJason, 7), "Jason");
  assert.equal(conversationLabel(dmGroup, 7), "david, Jason"); // no display name: the username
  assert.equal(conversationLabel(note, 7), "you (note to self)");
  assert.equal(conversationTitle(general, 7), "#general");
  assert.equal(conversationTitle(dmJason, 7), "@Jason");
  assert.equal(conversationTitle(dmGroup, 7), "david, Jason");
});

test("sections: channels and private channels by name, DMs by latest activity, hidden DMs skipped", () => {
  const hidden = { ...dmJason, hidden: true };
  const s = sections([dmJason, random, secret, general, dmGroup, alpha, note].map((c) => ({ ...c })), null);
  assert.deepEqual(s.channels.map((c) => c.id), [1, 2]);
  assert.deepEqual(s.private.map((c) => c.id), [4, 3]); // alpha before Secret: case-insensitive
  assert.deepEqual(s.dms.map((c) => c.id), [6, 5, 11]);
  assert.deepEqual(sections([hidden, dmGroup]).dms.map((c) => c.id), [6]);
  assert.deepEqual(sections([hidden, dmGroup], 5).dms.map((c) => c.id), [6, 5]); // open: shown
  assert.deepEqual(sidebarOrder([dmGroup, secret, general]).map((c) => c.id), [1, 3, 6]);
});

test("unread counts others' new messages outside the open conversation", () => {
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: created(2, 21) });
  store.dispatch({ type: "event", frame: created(2, 22) });
  store.dispatch({ type: "event", frame: created(2, 23, kevin) }); // mine
  store.dispatch({ type: "event", frame: created(1, 11) }); // open and visible
  assert.equal(conv(store, 2).unread_count, 2);
  assert.equal(conv(store, 2).last_message_id, 23);
  assert.equal(conv(store, 1).unread_count, 0);
  assert.equal(unreadTotal(store.get().channels.list), 2);
});

test("a message already counted (fetched list, replayed event) is not counted twice", () => {
  const store = storeWith([{ ...random, unread_count: 1, last_message_id: 20 }], null);
  store.dispatch({ type: "event", frame: created(2, 20) });
  store.dispatch({ type: "event", frame: created(2, 19) });
  assert.equal(conv(store, 2).unread_count, 1);
});

test("a replayed message.created that is already a tombstone is not unread", () => {
  // Replay serves a deleted message as it is now (actions/redaction.py): nothing to read.
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: created(2, 21, jason, { text: "", deleted_at: "2026-01-01T00:00:00.000Z" }) });
  assert.equal(conv(store, 2).unread_count || 0, 0);
  assert.equal(conv(store, 2).last_message_id, 21);
});

test("the open conversation counts unread while the tab is hidden", () => {
  const store = storeWith(list, 1);
  store.dispatch({ type: "channels/visibility", visible: false });
  store.dispatch({ type: "event", frame: created(1, 11) });
  assert.equal(conv(store, 1).unread_count, 1);
  assert.equal(store.get().channels.divider, null);
  store.dispatch({ type: "channels/visibility", visible: true });
  // Back on the tab: the line marks where the new messages start.
  assert.deepEqual(store.get().channels.divider, { convId: 1, afterId: 0 });
});

test("mentions count separately: by id, @everyone and @here", () => {
  assert.equal(mentionsMe({ mentions: [7] }, 7), true);
  assert.equal(mentionsMe({ mentions: [8], mention_all: null }, 7), false);
  assert.equal(mentionsMe({ mentions: [], mention_all: "here" }, 7), true);
  assert.equal(mentionsMe({ mention_all: "everyone" }, 7), true);
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: created(2, 21, jason, { mentions: [7] }) });
  store.dispatch({ type: "event", frame: created(2, 22, jason, { mentions: [] }) });
  assert.equal(conv(store, 2).unread_count, 2);
  assert.equal(conv(store, 2).mention_count, 1);
});

test("muted conversations keep their count but stay out of the total", () => {
  const muted = { ...random, muted: true, unread_count: 4 };
  assert.equal(unreadTotal([muted, { ...general, unread_count: 1 }]), 1);
});

test("opening a conversation with unreads places the divider at the read position", () => {
  const store = storeWith([{ ...random, unread_count: 3, last_read_message_id: 17 }, general], 1);
  assert.equal(store.get().channels.divider, null);
  store.dispatch({ type: "channels/select", id: 2 });
  assert.deepEqual(store.get().channels.divider, { convId: 2, afterId: 17 });
  store.dispatch({ type: "channels/select", id: 1 });
  assert.equal(store.get().channels.divider, null);
});

test("read answers and my own read.updated clear unreads; reads never move back", () => {
  const store = storeWith([{ ...random, unread_count: 3, mention_count: 1, last_read_message_id: 17 }], null);
  store.dispatch({ type: "channels/read", conversation_id: 2, last_read_message_id: 20, unread_count: 0, mention_count: 0 });
  assert.equal(conv(store, 2).unread_count, 0);
  store.dispatch({ type: "channels/read", conversation_id: 2, last_read_message_id: 15, unread_count: 5, mention_count: 0 });
  assert.equal(conv(store, 2).unread_count, 0);
  assert.equal(conv(store, 2).last_read_message_id, 20);

  store.dispatch({ type: "event", frame: created(2, 21) });
  assert.equal(conv(store, 2).unread_count, 1);
  // Someone else's receipt changes nothing here; mine (another tab) clears it.
  store.dispatch({ type: "event", frame: frame("read.updated", 2, { conversation_id: 2, user_id: 8, message_id: 21 }) });
  assert.equal(conv(store, 2).unread_count, 1);
  store.dispatch({ type: "event", frame: frame("read.updated", 2, { conversation_id: 2, user_id: 7, message_id: 21 }) });
  assert.equal(conv(store, 2).unread_count, 0);
  assert.equal(conv(store, 2).last_read_message_id, 21);
});

test("conversation.created and member.added for me add it at once; for others nothing", () => {
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: frame("conversation.created", 5, { ...dmJason, last_message_id: undefined }) });
  assert.equal(conv(store, 5).unread_count, 0);
  assert.deepEqual(conv(store, 5).members, dmJason.members);
  store.dispatch({ type: "event", frame: frame("member.added", 3, { conversation_id: 3, user: jason, conversation: secret }) });
  assert.equal(conv(store, 3), undefined);
  store.dispatch({ type: "event", frame: frame("member.added", 3, { conversation_id: 3, user: kevin, conversation: secret }) });
  assert.equal(conv(store, 3).name, "Secret");
  assert.equal(conv(store, 3).is_member, true);
  // The create answer and the event both arrive: one entry, merged.
  store.dispatch({ type: "channels/upsert", conversation: { ...secret, unread_count: 2 } });
  store.dispatch({ type: "event", frame: frame("conversation.created", 3, secret) });
  assert.equal(store.get().channels.list.filter((c) => c.id === 3).length, 1);
  assert.equal(conv(store, 3).unread_count, 2);
});

test("member.removed for me drops it and closes it if open; for others nothing", () => {
  const store = storeWith([general, secret], 3);
  store.dispatch({ type: "event", frame: frame("member.removed", 3, { conversation_id: 3, user: jason }) });
  assert.ok(conv(store, 3));
  store.dispatch({ type: "event", frame: frame("member.removed", 3, { conversation_id: 3, user: kevin }) });
  assert.equal(conv(store, 3), undefined);
  assert.equal(store.get().channels.activeId, null);
});

test("conversation.updated renames; archived drops it", () => {
  const store = storeWith([general, secret], 1);
  store.dispatch({ type: "event", frame: frame("conversation.updated", 3, { id: 3, name: "Plans", topic: "Q3", archived: false }) });
  assert.equal(conv(store, 3).name, "Plans");
  assert.equal(conv(store, 3).topic, "Q3");
  store.dispatch({ type: "event", frame: frame("conversation.updated", 3, { id: 3, name: "Plans", topic: "Q3", archived: true }) });
  assert.equal(conv(store, 3), undefined);
});

test("hidden DMs come back with a new message; membership.updated syncs hide and mute", () => {
  const store = storeWith([general, { ...dmJason, hidden: true }], 1);
  assert.deepEqual(sections(store.get().channels.list).dms, []);
  store.dispatch({ type: "event", frame: created(5, 31) });
  assert.equal(conv(store, 5).hidden, false);
  assert.equal(conv(store, 5).unread_count, 1);
  store.dispatch({ type: "event", frame: frame("membership.updated", 5, { conversation_id: 5, hidden: true, muted: true }) });
  assert.equal(conv(store, 5).hidden, true);
  assert.equal(conv(store, 5).muted, true);
});

test("someone else's new DM stays out of my sidebar until something is said in it", () => {
  // The server starts the others' membership hidden (actions/dms.py); the event has no per-user fields.
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: frame("conversation.created", 5, { ...dmJason, created_by: 8, last_message_id: undefined }) });
  assert.equal(conv(store, 5).hidden, true);
  assert.deepEqual(sections(store.get().channels.list).dms, []);
  store.dispatch({ type: "event", frame: created(5, 31) });
  assert.deepEqual(sections(store.get().channels.list).dms.map((c) => c.id), [5]);
  // Mine shows at once (I opened it).
  store.dispatch({ type: "event", frame: frame("conversation.created", 6, { ...dmGroup, created_by: 7, last_message_id: undefined }) });
  assert.equal(conv(store, 6).hidden, false);
});

test("a fetched copy older than the live events does not take back a message or a read", () => {
  // Jason's GET of the new DM is answered before Kevin's first message and arrives after it.
  const store = storeWith(list, 1);
  store.dispatch({ type: "event", frame: frame("conversation.created", 5, { ...dmJason, created_by: 7, last_message_id: undefined }) });
  store.dispatch({ type: "event", frame: created(5, 31, kevin) }); // mine: not unread
  store.dispatch({ type: "event", frame: created(5, 32) });
  const before = { ...dmJason, created_by: 7, hidden: true, unread_count: 0, mention_count: 0, last_message_id: null, last_read_message_id: null };
  store.dispatch({ type: "channels/upsert", conversation: before });
  assert.equal(conv(store, 5).hidden, false);
  assert.equal(conv(store, 5).unread_count, 1);
  assert.equal(conv(store, 5).last_message_id, 32);
  // The same through a whole list (channels/loaded), and a copy older than our read.
  store.dispatch({ type: "channels/read", conversation_id: 5, last_read_message_id: 32, unread_count: 0, mention_count: 0 });
  store.dispatch({ type: "channels/loaded", conversations: [general, random, { ...before, last_message_id: 32, last_read_message_id: 30, unread_count: 1, hidden: false }] });
  assert.equal(conv(store, 5).unread_count, 0);
  assert.equal(conv(store, 5).last_read_message_id, 32);
  // A copy at least as new as what we know still wins (someone else's count, hidden elsewhere).
  store.dispatch({ type: "channels/upsert", conversation: { ...before, last_message_id: 33, last_read_message_id: 32, unread_count: 1, hidden: true } });
  assert.equal(conv(store, 5).unread_count, 1);
  assert.equal(conv(store, 5).hidden, true);
  assert.equal(conv(store, 5).last_message_id, 33);
});

test("permissions: creator or admin renames private channels; admins set public topics", () => {
  const admin = { id: 99, is_admin: true };
  assert.equal(canRename(secret, kevin), true);
  assert.equal(canRename(secret, jason), false);
  assert.equal(canRename(secret, admin), true);
  assert.equal(canRename(general, admin), false);
  assert.equal(canEditTopic(general, admin), true);
  assert.equal(canEditTopic(general, kevin), false);
  assert.equal(canRemoveOthers(secret, jason), false);
  assert.equal(canRemoveOthers(dmJason, admin), false);
});

test("store notifies only on change", () => {
  const store = createStore({ channels: reduce });
  let calls = 0;
  store.subscribe(() => calls++);
  store.dispatch({ type: "nothing" });
  store.dispatch({ type: "channels/select", id: 1 });
  store.dispatch({ type: "channels/select", id: 1 });
  assert.equal(calls, 1);
});

test("Enter sends, Shift+Enter is a newline, IME composition is left alone", () => {
  assert.equal(enterAction({ key: "Enter" }), "send");
  assert.equal(enterAction({ key: "Enter", shiftKey: true }), "newline");
  assert.equal(enterAction({ key: "Enter", isComposing: true }), null);
  assert.equal(enterAction({ key: "a" }), null);
});

test("blank messages are not sent; inner newlines are kept", () => {
  assert.equal(sendableText("   \n  "), null);
  assert.equal(sendableText("\nhello\n\nworld  \n"), "hello\n\nworld");
  assert.equal(sendableText("  indented"), "  indented");
});
