// The people picker and the DM request; the channel browser's rows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { canChooseMore, dmRequest, MAX_DM_OTHERS } from "../../src/minimost/static/js/features/dms/data.js";
import { candidates, moveHighlight, pickerKey } from "../../src/minimost/static/js/ui/people-picker.js";
import { browseRows, memberCountText } from "../../src/minimost/static/js/features/browser/data.js";

const kevin = { id: 7, username: "kevin" };
const jason = { id: 8, username: "jason" };
const david = { id: 9, username: "david" };

test("candidates: chosen and excluded people are not offered; you come last", () => {
  assert.deepEqual(candidates([kevin, jason, david], { meId: 7 }).map((u) => u.id), [8, 9, 7]);
  assert.deepEqual(candidates([kevin, jason, david], { chosen: [jason], meId: 7 }).map((u) => u.id), [9, 7]);
  assert.deepEqual(candidates([kevin, jason, david], { exclude: [7, 9] }).map((u) => u.id), [8]);
  assert.equal(candidates([kevin, jason, david], { limit: 2 }).length, 2);
});

test("keys: Enter chooses the highlighted person, then opens; Backspace drops the last chip", () => {
  const key = (k, extra = {}) => pickerKey({ key: k, ...(extra.event || {}) }, { query: "", highlighted: null, chosenCount: 0, ...extra });
  assert.equal(key("Enter", { query: "ja", highlighted: 0 }), "choose");
  assert.equal(key("Enter", { query: "ja", highlighted: null }), null);
  assert.equal(key("Enter", { query: "ja", highlighted: null, chosenCount: 1 }), "submit");
  assert.equal(key("Enter", { query: "", highlighted: 0, chosenCount: 1 }), "submit");
  assert.equal(key("Enter", { query: "", highlighted: 2, chosenCount: 0 }), "choose");
  assert.equal(key("Enter", { query: "", highlighted: null, chosenCount: 0 }), null);
  assert.equal(key("Enter", { query: "ja", highlighted: 0, event: { isComposing: true } }), null);
  assert.equal(key("Backspace", { chosenCount: 2 }), "unchoose");
  assert.equal(key("Backspace", { query: "j", chosenCount: 2 }), null);
  assert.equal(key("ArrowDown"), "next");
  assert.equal(key("ArrowUp"), "prev");
  assert.equal(key("a"), null);
});

test("the highlight wraps", () => {
  assert.equal(moveHighlight(null, "next", 3), 0);
  assert.equal(moveHighlight(null, "prev", 3), 2);
  assert.equal(moveHighlight(2, "next", 3), 0);
  assert.equal(moveHighlight(0, "prev", 3), 2);
  assert.equal(moveHighlight(0, "next", 0), null);
});

test("DM request: the others' ids, deduplicated; yourself alone is a note to self", () => {
  assert.deepEqual(dmRequest([jason, david, jason], 7), { kind: "dm", members: [8, 9] });
  assert.deepEqual(dmRequest([jason, kevin], 7), { kind: "dm", members: [8] });
  assert.deepEqual(dmRequest([kevin], 7), { kind: "dm", members: [7] });
  assert.equal(dmRequest([], 7), null);
  const many = Array.from({ length: MAX_DM_OTHERS + 1 }, (_, i) => ({ id: 100 + i }));
  assert.equal(dmRequest(many, 7), null);
  assert.equal(canChooseMore(many.slice(0, MAX_DM_OTHERS), 7), false);
  assert.equal(canChooseMore([kevin, jason], 7), true);
});

test("browser rows: public, not archived, by name", () => {
  const rows = browseRows([
    { id: 1, kind: "public", name: "random" },
    { id: 2, kind: "public", name: "General" },
    { id: 3, kind: "private", name: "secret" },
    { id: 4, kind: "public", name: "old", archived: true },
  ]);
  assert.deepEqual(rows.map((c) => c.id), [2, 1]);
  assert.equal(memberCountText(1), "1 member");
  assert.equal(memberCountText(3), "3 members");
  assert.equal(memberCountText(undefined), "");
});
