// Attachment rules: sizes, the browser-side limit, thumbnail boxes, the pending list.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  filesOf, humanSize, newEntry, percent, reduceLimits, refusal, remove, sendState, takeReady,
  thumbBox, update,
} from "../../src/minimost/static/js/features/files/data.js";

test("sizes read like people write them", () => {
  assert.equal(humanSize(0), "0 B");
  assert.equal(humanSize(1023), "1023 B");
  assert.equal(humanSize(1536), "1.5 KB");
  assert.equal(humanSize(25 * 1024 * 1024), "25 MB");
  assert.equal(humanSize(3.25 * 1024 ** 3), "3.3 GB");
});

test("a file over the limit is refused before sending, one at the limit is not", () => {
  const max = 25 * 1024 * 1024;
  assert.equal(refusal({ name: "ok.bin", size: max }, max), null);
  assert.match(refusal({ name: "big.mov", size: max + 1 }, max), /big\.mov is 25 MB; the limit is 25 MB/);
  assert.equal(refusal({ name: "any", size: 10 ** 12 }, 0), null); // limit unknown: the server decides
});

test("the limits come from /api/v1/me", () => {
  const none = reduceLimits(undefined, { type: "@init" });
  assert.deepEqual(none, { upload: 0, avatar: 0 });
  assert.equal(reduceLimits(none, { type: "session/loaded", user: {} }), none, "no limits given: none known");
  const limits = reduceLimits(none, { type: "session/loaded", user: {}, limits: { max_upload_bytes: 1000, max_avatar_bytes: 10 } });
  assert.deepEqual(limits, { upload: 1000, avatar: 10 });
});

test("thumbnail boxes keep the aspect ratio and never enlarge", () => {
  assert.deepEqual(thumbBox(1200, 800), { width: 360, height: 240 });
  assert.deepEqual(thumbBox(300, 1200), { width: 90, height: 360 });
  assert.deepEqual(thumbBox(20, 10), { width: 20, height: 10 });
  assert.deepEqual(thumbBox(null, undefined), { width: 360, height: 360 });
});

test("pastes and drops give their files, not their text", () => {
  const file = { name: "a.png" };
  const transfer = { items: [{ kind: "string", getAsFile: () => null }, { kind: "file", getAsFile: () => file }] };
  assert.deepEqual(filesOf(transfer), [file]);
  assert.deepEqual(filesOf({ files: [file] }), [file]);
  assert.deepEqual(filesOf(null), []);
});

test("a send waits for uploads, then takes the finished ones", () => {
  const a = newEntry({ name: "a.txt", size: 10 });
  const b = newEntry({ name: "b.txt", size: 20 });
  let list = [a, b];
  assert.equal(sendState([]), null);
  assert.equal(sendState(list), "busy");
  list = update(list, a.key, { loaded: 5 });
  assert.equal(percent(list[0]), 50);
  list = update(list, a.key, { status: "done", file: { id: 1 } });
  list = update(list, b.key, { status: "error", error: "too big" });
  assert.equal(sendState(list), "ready");
  const { files, rest } = takeReady(list);
  assert.deepEqual(files, [{ id: 1 }]);
  assert.deepEqual(rest.map((e) => e.key), [b.key]);
  assert.deepEqual(remove(rest, b.key), []);
});
