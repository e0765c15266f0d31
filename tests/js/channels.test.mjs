import assert from "node:assert/strict";
import { test } from "node:test";

import { pickConversation, reduce } from "../../src/minimost/static/js/features/channels/data.js";
import { createStore } from "../../src/minimost/static/js/core/store.js";
import { reduceSession } from "../../src/minimost/static/js/features/auth/data.js";
import { enterAction, sendableText } from "../../src/minimost/static/js/features/composer/data.js";

const list = [{ id: 1, name: "general" }, { id: 2, name: "random" }];

test("pick: hash name, then remembered id, then general", () => {
  assert.equal(pickConversation(list, { hashName: "random" }), 2);
  assert.equal(pickConversation(list, { rememberedId: "2" }), 2);
  assert.equal(pickConversation(list, { hashName: "nope", rememberedId: "9" }), 1);
  assert.equal(pickConversation([], {}), null);
});

test("unread counts others' new messages outside the open channel", () => {
  const store = createStore({ session: reduceSession, channels: reduce });
  store.dispatch({ type: "session/loaded", user: { id: 7 } });
  store.dispatch({ type: "channels/loaded", conversations: list });
  store.dispatch({ type: "channels/select", id: 1 });
  const frame = (conversation, author) => ({ id: 1, type: "message.created", conversation, data: { author: { id: author } } });
  store.dispatch({ type: "event", frame: frame(2, 8) });
  store.dispatch({ type: "event", frame: frame(2, 8) });
  store.dispatch({ type: "event", frame: frame(2, 7) }); // mine
  store.dispatch({ type: "event", frame: frame(1, 8) }); // open channel
  assert.deepEqual(store.get().channels.unread, { 2: 2 });
  store.dispatch({ type: "channels/select", id: 2 });
  assert.deepEqual(store.get().channels.unread, {});
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
