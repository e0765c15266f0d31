import assert from "node:assert/strict";
import { test } from "node:test";

import { mergeResults, moveActive, placeLabel, snippetParts, unescapeEntities, wantsSearch } from "../../src/minimost/static/js/features/search/data.js";

test("snippetParts splits marks and decodes entities into plain text", () => {
  assert.deepEqual(snippetParts("a &lt;<mark>script</mark>&gt; &amp; <mark>b&#x27;s</mark>"), [
    { text: "a <", mark: false },
    { text: "script", mark: true },
    { text: "> & ", mark: false },
    { text: "b's", mark: true },
  ]);
  assert.deepEqual(snippetParts(""), []);
  assert.deepEqual(snippetParts(null), []);
});

test("anything but <mark> stays text", () => {
  const parts = snippetParts('<img src=x onerror="alert(1)"><mark>x</mark>');
  assert.equal(parts[0].text, '<img src=x onerror="alert(1)">');
  assert.equal(parts[0].mark, false);
  assert.deepEqual(parts[1], { text: "x", mark: true });
});

test("unescapeEntities leaves unknown entities alone", () => {
  assert.equal(unescapeEntities("&nbsp;&#65;&#x42;&bogus;&"), "&nbsp;AB&bogus;&");
});

test("wantsSearch ignores whitespace", () => {
  assert.equal(wantsSearch("  "), false);
  assert.equal(wantsSearch(" a "), true);
});

test("mergeResults drops duplicates", () => {
  const r = (id) => ({ message: { id } });
  assert.deepEqual(mergeResults([r(3), r(2)], [r(2), r(1)]).map((x) => x.message.id), [3, 2, 1]);
});

test("placeLabel prefers the sidebar's name, then the result's channel", () => {
  const title = (c) => `#${c.name}`;
  assert.equal(placeLabel({ conversation_id: 1 }, [{ id: 1, name: "gen" }], 9, title), "#gen");
  assert.equal(placeLabel({ conversation_id: 2, conversation: { kind: "public", name: "rnd" } }, [], 9, title), "#rnd");
  assert.equal(placeLabel({ conversation_id: 3, conversation: { kind: "dm", name: null } }, [], 9, title), "a direct message");
});

test("moveActive wraps", () => {
  assert.equal(moveActive(-1, 1, 3), 0);
  assert.equal(moveActive(-1, -1, 3), 2);
  assert.equal(moveActive(2, 1, 3), 0);
  assert.equal(moveActive(0, -1, 3), 2);
  assert.equal(moveActive(0, 1, 0), -1);
});
