// Search: pure helpers (no DOM). The server's `snippet_html` is escaped text whose only tags
// are <mark>…</mark>; we never hand it to innerHTML. `snippetParts` splits it into text runs
// (entities decoded) and marked runs, and the UI builds text nodes from them, so even a
// snippet that somehow carried other markup would show as text.

export const DEBOUNCE_MS = 150;
export const PAGE_LIMIT = 20;

// The operator help under the box (docs/search.md has the full story).
export const HINTS = [
  { example: "word", help: "every word must match; the last one as you type" },
  { example: '"exact phrase"', help: "these words in this order" },
  { example: "-word", help: "leave out messages with it" },
  { example: "from:alice", help: "written by a user" },
  { example: "in:general", help: "in a channel (in:@bob: your DM with bob)" },
  { example: "before:2026-01-31", help: "also after: and on: (UTC days)" },
  { example: "has:file", help: "also has:image and has:link" },
];

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'", "#x27": "'" };

/** Decode the entities an escaper produces (others are left as written). */
export function unescapeEntities(text) {
  return String(text).replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, name) => {
    const known = ENTITIES[name.toLowerCase()];
    if (known) return known;
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (Number.isFinite(code) && code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    return whole;
  });
}

/** "a <mark>b</mark> c" → [{text: "a ", mark: false}, {text: "b", mark: true}, {text: " c", mark: false}]. */
export function snippetParts(html) {
  const parts = [];
  let marked = false;
  for (const piece of String(html ?? "").split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>") marked = true;
    else if (piece === "</mark>") marked = false;
    else if (piece) parts.push({ text: unescapeEntities(piece), mark: marked });
  }
  return parts;
}

/** Is there anything to search for? (Whitespace alone shows the hints instead.) */
export function wantsSearch(q) {
  return String(q ?? "").trim().length > 0;
}

/** Append a page to results, dropping any id already shown (pages never overlap, but a
 * retried "Load more" could arrive twice). */
export function mergeResults(existing, page) {
  const seen = new Set(existing.map((r) => r.message.id));
  return existing.concat(page.filter((r) => !seen.has(r.message.id)));
}

/** Where the result lives, as the sidebar would name it. */
export function placeLabel(result, conversations, meId, titleOf) {
  const known = conversations.find((c) => c.id === result.conversation_id);
  if (known) return titleOf(known, meId);
  const conv = result.conversation;
  if (conv && conv.kind !== "dm" && conv.name) return `#${conv.name}`;
  return "a direct message";
}

/** The next active index for ↑/↓ (wraps; -1 means none). */
export function moveActive(index, delta, count) {
  if (count === 0) return -1;
  if (index < 0) return delta > 0 ? 0 : count - 1;
  return (index + delta + count) % count;
}
