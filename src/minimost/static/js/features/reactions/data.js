// Reactions without the DOM: set operations on a message's `reactions`
// ([{emoji, count, users: [user ids]}]), the optimistic toggle, who-reacted titles,
// recent emoji, and emoji search over static/data/emoji.json.
//
// Events (reaction.added / reaction.removed) and optimistic toggles are applied as set
// operations, so applying one twice, or an event for a change the list already shows,
// changes nothing: the optimistic state is reconciled by the event of the same change.

export const MAX_RECENT = 24;

/** `reactions` with `userId`'s `emoji` added (`on`) or removed; same array if unchanged. */
export function applyReaction(reactions, emoji, userId, on) {
  const list = reactions || [];
  const at = list.findIndex((r) => r.emoji === emoji);
  if (on) {
    if (at === -1) return list.concat([{ emoji, count: 1, users: [userId] }]);
    if (list[at].users.includes(userId)) return list;
    const users = list[at].users.concat([userId]);
    return list.map((r, i) => (i === at ? { ...r, users, count: users.length } : r));
  }
  if (at === -1 || !list[at].users.includes(userId)) return list;
  const users = list[at].users.filter((u) => u !== userId);
  if (users.length === 0) return list.filter((_, i) => i !== at);
  return list.map((r, i) => (i === at ? { ...r, users, count: users.length } : r));
}

export const hasMine = (reactions, emoji, userId) =>
  Boolean((reactions || []).some((r) => r.emoji === emoji && r.users.includes(userId)));

/** The optimistic toggle: { adding, reactions } for `userId` clicking `emoji`. */
export function toggle(reactions, emoji, userId) {
  const adding = !hasMine(reactions, emoji, userId);
  return { adding, reactions: applyReaction(reactions, emoji, userId, adding) };
}

/** A chip's tooltip: "You, Alice and 2 others reacted with :+1:" style, names first. */
export function reactorsTitle(reaction, nameOf, meId, label = reaction.emoji) {
  const names = reaction.users.map((id) => (id === meId ? "You" : nameOf(id) || "someone"));
  const shown = names.length > 10 ? names.slice(0, 10).concat([`${names.length - 10} others`]) : names;
  const who = shown.length > 1 ? `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}` : shown[0] || "Nobody";
  return `${who} reacted with ${label}`;
}

/** Recent emoji, newest first, without duplicates, at most `max`. */
export function pushRecent(recent, emoji, max = MAX_RECENT) {
  return [emoji].concat((recent || []).filter((e) => e !== emoji)).slice(0, max);
}

// ---- emoji data -----------------------------------------------------------

/** Index the emoji.json document: { categories: [{key, name}], emoji: [{char, name, category, keywords, shortcodes}] }. */
export function indexEmoji(doc) {
  return {
    categories: doc.categories.map(([key, name]) => ({ key, name })),
    emoji: doc.emoji.map(([char, name, category, keywords, shortcodes]) => ({
      char,
      name,
      category,
      keywords: keywords ? keywords.split(" ") : [],
      shortcodes: shortcodes ? shortcodes.split(" ") : [],
    })),
  };
}

/**
 * Emoji matching `query` (name words, keywords, shortcodes; ":+1" works too), best first:
 * a shortcode or name equal to the query, then word prefixes, then substrings. Empty query:
 * nothing (the picker shows categories instead).
 */
export function searchEmoji(index, query, limit = 120) {
  const q = String(query || "").trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q) return [];
  const scored = [];
  for (const e of index.emoji) {
    let score = 0;
    const words = e.name.split(/[\s:,-]+/);
    if (e.shortcodes.includes(q) || e.name === q) score = 4;
    else if (words.some((w) => w.startsWith(q)) || e.shortcodes.some((s) => s.startsWith(q))) score = 3;
    else if (e.keywords.some((k) => k.startsWith(q))) score = 2;
    else if (e.name.includes(q) || e.shortcodes.some((s) => s.includes(q))) score = 1;
    if (score) scored.push([score, e]);
  }
  // Stable sort keeps the data's own order (Unicode's) within a score.
  scored.sort((a, b) => b[0] - a[0]);
  return scored.slice(0, limit).map(([, e]) => e);
}

/** A chip label for an emoji: its first shortcode (":+1:") or its name. */
export function labelOf(index, char) {
  const found = index && index.emoji.find((e) => e.char === char);
  if (!found) return char;
  return found.shortcodes.length ? `:${found.shortcodes[0]}:` : found.name;
}

// Live: every tab applies the events to the message they are about. main.js gives these
// to the messages reducer (messagesReducer).
export const reactionPatches = Object.freeze({
  "reaction.added": (m, d) => {
    const reactions = applyReaction(m.reactions, d.emoji, d.user_id, true);
    return reactions === m.reactions ? m : { ...m, reactions };
  },
  "reaction.removed": (m, d) => {
    const reactions = applyReaction(m.reactions, d.emoji, d.user_id, false);
    return reactions === m.reactions ? m : { ...m, reactions };
  },
});
