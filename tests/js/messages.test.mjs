// Message reducer rules: upsert by id, reconcile pending by client_id, never regress.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyFrame, buildRows, emptyConversation, lastOwnMessage, markDeleted, mergePage,
  messageKey, needsLoad, reduce, upsertMessage,
} from "../../src/minimost/static/js/features/messages/data.js";
import { makePending } from "../../src/minimost/static/js/features/messages/pending.js";

const kevin = { id: 1, username: "kevin", display_name: "Kevin" };
const jason = { id: 2, username: "jason", display_name: "Jason" };

function msg(id, over = {}) {
  return {
    id, conversation_id: 5, author: kevin, text: `m${id}`, html: `<p>m${id}</p>`,
    created_at: new Date(Date.UTC(2025, 0, 1, 12, id)).toISOString(),
    edited_at: null, deleted_at: null, client_id: null, ...over,
  };
}

const loaded = (items = [], hasMore = false) => ({ ...emptyConversation(), items, hasMore, loaded: true });
const ids = (conv) => conv.items.map((m) => (m.pending ? `p:${m.client_id}` : m.id));
const created = (m, id = 100 + m.id) => ({ id, type: "message.created", conversation: 5, data: m });

test("upsert inserts in id order and ignores an exact duplicate", () => {
  let c = loaded([msg(1), msg(3)]);
  c = upsertMessage(c, msg(2));
  assert.deepEqual(ids(c), [1, 2, 3]);
  const same = upsertMessage(c, msg(2));
  assert.equal(same, c, "a duplicate changes nothing (same object)");
});

test("a pending message is replaced by its confirmed copy (POST answer first, then the event)", () => {
  const pending = makePending({ text: "hi", user: kevin, convId: 5, clientId: "abc" });
  let c = loaded([msg(1)]);
  c = { ...c, items: c.items.concat([pending]) };
  const confirmed = msg(2, { client_id: "abc", text: "hi" });
  c = upsertMessage(c, confirmed); // 201
  assert.deepEqual(ids(c), [1, 2]);
  c = applyFrame(c, created(confirmed)); // then the socket event
  assert.deepEqual(ids(c), [1, 2]);
  assert.equal(c.items.filter((m) => m.client_id === "abc").length, 1);
});

test("the event may beat the POST answer: still exactly one copy", () => {
  const pending = makePending({ text: "hi", user: kevin, convId: 5, clientId: "abc" });
  let c = { ...loaded([msg(1)]), items: [msg(1), pending] };
  const confirmed = msg(2, { client_id: "abc" });
  c = applyFrame(c, created(confirmed));
  c = upsertMessage(c, confirmed);
  assert.deepEqual(ids(c), [1, 2]);
});

test("pending messages stay after confirmed ones, and the key survives confirmation", () => {
  const pending = makePending({ text: "x", user: kevin, convId: 5, clientId: "p1" });
  let c = { ...loaded([msg(1)]), items: [msg(1), pending] };
  c = upsertMessage(c, msg(2, { author: jason }));
  assert.deepEqual(ids(c), [1, 2, "p:p1"]);
  assert.equal(messageKey(pending), messageKey(msg(3, { client_id: "p1" })));
});

test("edits move forward only; deletion is final", () => {
  const v1 = msg(1);
  const v2 = msg(1, { text: "edited", edited_at: "2025-01-01T13:00:00Z" });
  let c = upsertMessage(loaded([v1]), v2);
  assert.equal(c.items[0].text, "edited");
  c = upsertMessage(c, v1); // a stale copy (e.g. a late replay) never regresses
  assert.equal(c.items[0].text, "edited");
  c = markDeleted(c, 1, "2025-01-01T14:00:00Z");
  assert.ok(c.items[0].deleted_at);
  assert.equal(c.items[0].html, "");
  c = upsertMessage(c, v2);
  assert.ok(c.items[0].deleted_at, "an update after deletion does not resurrect");
  assert.equal(markDeleted(c, 1), c);
});

test("a live update that is not an edit (a link preview) replaces the shown copy", () => {
  const sent = msg(1, { preview: null });
  const card = { url: "https://example.com/", title: "Example", description: null, image_url: null, site_name: null };
  let c = loaded([sent]);
  c = applyFrame(c, { id: 7, type: "message.updated", conversation: 5, data: msg(1, { preview: card }) });
  assert.deepEqual(c.items[0].preview, card);
  // A fetched page is no event: a copy of the same edit does not replace what is shown.
  c = upsertMessage(c, msg(1, { preview: null }));
  assert.deepEqual(c.items[0].preview, card);
  // A live copy of an older edit never regresses the text either.
  const edited = msg(1, { text: "edited", edited_at: "2025-01-01T13:00:00Z", preview: card });
  c = applyFrame(c, { id: 8, type: "message.updated", conversation: 5, data: edited });
  c = applyFrame(c, { id: 9, type: "message.updated", conversation: 5, data: msg(1, { preview: card }) });
  assert.equal(c.items[0].text, "edited");
});

test("message.deleted frames make a tombstone; unknown ids are ignored", () => {
  let c = loaded([msg(1), msg(2)]);
  c = applyFrame(c, { id: 9, type: "message.deleted", conversation: 5, data: { id: 2, conversation_id: 5 } });
  assert.ok(c.items[1].deleted_at);
  const same = applyFrame(c, { id: 10, type: "message.deleted", conversation: 5, data: { id: 77, conversation_id: 5 } });
  assert.equal(same, c);
});

test("unknown event types are ignored", () => {
  const c = loaded([msg(1)]);
  assert.equal(applyFrame(c, { id: 3, type: "reaction.added", conversation: 5, data: {} }), c);
});

test("events for messages above the loaded window are not shown as islands", () => {
  const c = loaded([msg(50), msg(51)], true);
  const updated = msg(10, { text: "old edit", edited_at: "2025-01-02T00:00:00Z" });
  assert.equal(applyFrame(c, { id: 5, type: "message.updated", conversation: 5, data: updated }), c);
  const full = loaded([msg(50)], false);
  assert.deepEqual(ids(applyFrame(full, created(msg(60)))), [50, 60]);
});

test("events that arrive while the first page loads are buffered and replayed on top", () => {
  let c = emptyConversation();
  c = applyFrame(c, created(msg(3)));
  c = applyFrame(c, { id: 200, type: "message.updated", conversation: 5, data: msg(2, { text: "new", edited_at: "2025-01-03T00:00:00Z" }) });
  assert.equal(c.items.length, 0);
  c = mergePage(c, [msg(1), msg(2)], false); // page read before the events committed
  assert.deepEqual(ids(c), [1, 2, 3]);
  assert.equal(c.items[1].text, "new");
  assert.equal(c.loaded, true);
  assert.deepEqual(c.buffer, []);
});

test("older pages merge without duplicates and update has_more", () => {
  let c = loaded([msg(51), msg(52)], true);
  c = mergePage(c, [msg(49), msg(50), msg(51)], false, { older: true });
  assert.deepEqual(ids(c), [49, 50, 51, 52]);
  assert.equal(c.hasMore, false);
});

test("reducer: resync invalidation drops loaded history but keeps unsent messages", () => {
  const pending = makePending({ text: "x", user: kevin, convId: 5, clientId: "p1" });
  const pending7 = makePending({ text: "y", user: kevin, convId: 7, clientId: "p7" });
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "messages/page", convId: 5, messages: [msg(1)], hasMore: false });
  s = reduce(s, { type: "messages/page", convId: 6, messages: [msg(2, { conversation_id: 6 })], hasMore: false });
  s = reduce(s, { type: "messages/page", convId: 7, messages: [msg(3, { conversation_id: 7 })], hasMore: false });
  s = reduce(s, { type: "messages/pending", convId: 5, message: pending });
  s = reduce(s, { type: "messages/pending", convId: 7, message: pending7 });
  s = reduce(s, { type: "messages/invalidate", keep: 5 });
  assert.deepEqual(Object.keys(s.byConv), ["5", "7"]);
  assert.deepEqual(ids(s.byConv[5]), ["p:p1"]);
  assert.deepEqual(ids(s.byConv[7]), ["p:p7"]);
  assert.equal(s.byConv[5].loaded, false);
  assert.ok(needsLoad(s.byConv[7]) && needsLoad(undefined));
  s = reduce(s, { type: "messages/loading", convId: 7 });
  assert.ok(!needsLoad(s.byConv[7]), "not twice while loading");
  s = reduce(s, { type: "messages/page", convId: 7, messages: [msg(3, { conversation_id: 7 })], hasMore: false });
  assert.deepEqual(ids(s.byConv[7]), [3, "p:p7"]);
  assert.ok(!needsLoad(s.byConv[7]));
});

test("reducer: events for conversations never opened are dropped", () => {
  const s = reduce(undefined, { type: "@init" });
  assert.equal(reduce(s, { type: "event", frame: created(msg(1)) }), s);
});

test("reducer: deleting the message being edited closes the editor", () => {
  let s = reduce(undefined, { type: "@init" });
  s = reduce(s, { type: "messages/page", convId: 5, messages: [msg(1)], hasMore: false });
  s = reduce(s, { type: "edit/start", id: 1, convId: 5 });
  s = reduce(s, { type: "event", frame: { id: 4, type: "message.deleted", conversation: 5, data: { id: 1, conversation_id: 5 } } });
  assert.equal(s.editing, null);
  assert.ok(s.byConv[5].items[0].deleted_at);
});

test("lastOwnMessage skips others' and deleted messages", () => {
  const items = [msg(1), msg(2, { deleted_at: "2025-01-01T00:00:00Z" }), msg(3, { author: jason })];
  assert.equal(lastOwnMessage(items, kevin.id).id, 1);
  assert.equal(lastOwnMessage(items, 99), null);
});

test("lastOwnMessage: nothing to edit while the newest own message is still sending", () => {
  const items = [msg(1), makePending({ text: "p", user: kevin, convId: 5, clientId: "z" })];
  assert.equal(lastOwnMessage(items, kevin.id), null);
});

test("rows: day dividers and author grouping", () => {
  const day = (iso) => iso.slice(0, 10);
  const items = [
    msg(1, { created_at: "2025-01-01T10:00:00Z" }),
    msg(2, { created_at: "2025-01-01T10:02:00Z" }),
    msg(3, { created_at: "2025-01-01T10:30:00Z" }),
    msg(4, { created_at: "2025-01-01T10:31:00Z", author: jason }),
    msg(5, { created_at: "2025-01-02T09:00:00Z", author: jason }),
  ];
  const rows = buildRows(items, day);
  assert.deepEqual(rows.map((r) => (r.kind === "day" ? r.day : `${r.message.id}${r.grouped ? "g" : ""}`)),
    ["2025-01-01", "1", "2g", "3", "4", "2025-01-02", "5"]);
});

test("pending preview escapes html", () => {
  const p = makePending({ text: "<b>x</b>\n&y", user: kevin, convId: 5, clientId: "q" });
  assert.equal(p.html, "<p>&lt;b&gt;x&lt;/b&gt;<br>&amp;y</p>");
});
