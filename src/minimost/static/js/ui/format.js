// Ctrl+B / Ctrl+I / Ctrl+U / Ctrl+S: wrap the selection in **, *, __ or ~~ (the spec's
// markdown; __text__ is underline), or with no selection insert the pair and put the caret
// between. Pressing the same keys again toggles the format off. `toggleFormat` is pure (node
// tests in tests/js/format.test.mjs); `bindFormatKeys` wires it to a textarea.

export const MARKERS = Object.freeze({ b: "**", i: "*", u: "__", s: "~~" });

/** The marker a key event asks for (Ctrl or Cmd + B/I/U/S, no Alt or Shift), or null. */
export function formatShortcut(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return null;
  return MARKERS[String(event.key).toLowerCase()] ?? null;
}

function runBefore(value, pos, ch) {
  let n = 0;
  while (pos - n - 1 >= 0 && value[pos - n - 1] === ch) n++;
  return n;
}

function runAfter(value, pos, ch) {
  let n = 0;
  while (pos + n < value.length && value[pos + n] === ch) n++;
  return n;
}

/**
 * Whether a run of `run` marker characters carries `marker`: "*" is italic only in an odd
 * run (* or ***), since ** alone is bold; the two-character markers need at least two.
 */
function carries(marker, run) {
  return marker === "*" ? run % 2 === 1 : run >= marker.length;
}

/**
 * Toggle `marker` around the selection [start, end) of `value`.
 * Returns { value, start, end }: the new text and selection.
 */
export function toggleFormat(value, start, end, marker) {
  const len = marker.length;
  const ch = marker[0];
  if (start > end) [start, end] = [end, start];
  if (start === end) return toggleAtCaret(value, start, marker);
  // Leave the spaces a double-click often selects outside: "** word **" is not markdown.
  while (start < end && /\s/.test(value[start])) start++;
  while (end > start && /\s/.test(value[end - 1])) end--;
  if (start === end) return toggleAtCaret(value, start, marker);
  const selected = value.slice(start, end);
  // The selection includes the markers: "**bold**" selected → "bold".
  const lead = runAfter(selected, 0, ch);
  const trail = runBefore(selected, selected.length, ch);
  if (selected.length > 2 * len && carries(marker, Math.min(lead, trail))) {
    const inner = selected.slice(len, selected.length - len);
    return { value: value.slice(0, start) + inner + value.slice(end), start, end: start + inner.length };
  }
  // The markers sit just outside the selection: **[bold]** → [bold].
  if (carries(marker, Math.min(runBefore(value, start, ch), runAfter(value, end, ch)))) {
    return {
      value: value.slice(0, start - len) + selected + value.slice(end + len),
      start: start - len,
      end: end - len,
    };
  }
  return {
    value: value.slice(0, start) + marker + selected + marker + value.slice(end),
    start: start + len,
    end: end + len,
  };
}

function toggleAtCaret(value, pos, marker) {
  const len = marker.length;
  const ch = marker[0];
  const before = runBefore(value, pos, ch);
  const after = runAfter(value, pos, ch);
  // An empty pair, just inserted: **|** → remove it.
  if (before >= len && after >= len && carries(marker, Math.min(before, after))) {
    return { value: value.slice(0, pos - len) + value.slice(pos + len), start: pos - len, end: pos - len };
  }
  // Typing inside the pair: **bold|** → step out of it, so the next words are plain.
  const lineStart = value.lastIndexOf("\n", pos - 1) + 1;
  if (carries(marker, after) && !carries(marker, before) && value.slice(lineStart, pos).includes(marker)) {
    return { value, start: pos + len, end: pos + len };
  }
  return { value: value.slice(0, pos) + marker + marker + value.slice(pos), start: pos + len, end: pos + len };
}

/** Handle the formatting shortcuts in `textarea`; fires "input" so counters and drafts follow. */
export function bindFormatKeys(textarea) {
  textarea.addEventListener("keydown", (event) => {
    const marker = formatShortcut(event);
    if (!marker || event.isComposing) return;
    event.preventDefault(); // Ctrl+S would save the page, Ctrl+U show its source
    const next = toggleFormat(textarea.value, textarea.selectionStart, textarea.selectionEnd, marker);
    textarea.value = next.value;
    textarea.setSelectionRange(next.start, next.end);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
}
