// Formatting shortcuts: wrap, insert a pair at the caret, and toggle off again.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatShortcut, MARKERS, toggleFormat } from "../../src/minimost/static/js/ui/format.js";

// "a[b]c" notation: [ ] is the selection, | the caret.
function parse(text) {
  if (text.includes("|")) {
    const at = text.indexOf("|");
    return [text.replace("|", ""), at, at];
  }
  const start = text.indexOf("[");
  const end = text.indexOf("]") - 1;
  return [text.replace("[", "").replace("]", ""), start, end];
}

function show({ value, start, end }) {
  if (start === end) return value.slice(0, start) + "|" + value.slice(start);
  return value.slice(0, start) + "[" + value.slice(start, end) + "]" + value.slice(end);
}

function apply(text, marker) {
  const [value, start, end] = parse(text);
  return show(toggleFormat(value, start, end, marker));
}

test("wraps the selection and keeps the text selected", () => {
  assert.equal(apply("make [this] bold", "**"), "make **[this]** bold");
  assert.equal(apply("make [this] slanted", "*"), "make *[this]* slanted");
  assert.equal(apply("[under]", "__"), "__[under]__");
  assert.equal(apply("[gone]", "~~"), "~~[gone]~~");
});

test("selected spaces stay outside the markers", () => {
  assert.equal(apply("a[ word ]b", "**"), "a **[word]** b");
});

test("toggles off when the markers are just outside or inside the selection", () => {
  assert.equal(apply("make **[this]** bold", "**"), "make [this] bold");
  assert.equal(apply("make [**this**] bold", "**"), "make [this] bold");
  assert.equal(apply("~~[x]~~", "~~"), "[x]");
  assert.equal(apply("__[x]__", "__"), "[x]");
});

test("italic and bold tell their asterisks apart", () => {
  assert.equal(apply("**[bold]**", "*"), "***[bold]***", "italic on top of bold");
  assert.equal(apply("***[both]***", "*"), "**[both]**", "italic off, bold stays");
  assert.equal(apply("***[both]***", "**"), "*[both]*", "bold off, italic stays");
  assert.equal(apply("*[it]*", "**"), "***[it]***");
});

test("no selection: insert the pair with the caret between, again to remove it", () => {
  assert.equal(apply("say |", "**"), "say **|**");
  assert.equal(apply("say **|**", "**"), "say |");
  assert.equal(apply("|", "*"), "*|*");
  assert.equal(apply("*|*", "*"), "|");
  assert.equal(apply("x __|__ y", "__"), "x | y");
});

test("typing inside a pair: the shortcut steps out so the next words are plain", () => {
  assert.equal(apply("say **loud|** now", "**"), "say **loud**| now");
  assert.equal(apply("~~old|~~", "~~"), "~~old~~|");
  assert.equal(apply("plain| text", "**"), "plain**|** text", "no pair open: insert one");
});

test("a reversed selection is normalised", () => {
  assert.deepEqual(toggleFormat("abc", 2, 1, "**"), { value: "a**b**c", start: 3, end: 4 });
});

test("shortcut keys", () => {
  const key = (k, extra = {}) => formatShortcut({ key: k, ctrlKey: true, metaKey: false, altKey: false, shiftKey: false, ...extra });
  assert.equal(key("b"), MARKERS.b);
  assert.equal(key("I"), "*");
  assert.equal(key("u"), "__");
  assert.equal(key("s"), "~~");
  assert.equal(key("k"), null);
  assert.equal(key("b", { ctrlKey: false }), null);
  assert.equal(key("b", { ctrlKey: false, metaKey: true }), "**");
  assert.equal(key("b", { shiftKey: true }), null);
  assert.equal(key("b", { altKey: true }), null);
});
