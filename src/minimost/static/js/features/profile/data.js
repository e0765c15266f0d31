// Profile rules without DOM: the colour palette, checks, and how a `user.updated` event
// refreshes every copy of a user the app holds (message authors, member lists, me).

// Name colours readable on the dark theme (each ≥ 4.5:1 against the message background,
// and dark initials stay readable on them as avatar backgrounds).
export const PALETTE = [
  { name: "Coral", value: "#ff8a80" },
  { name: "Orange", value: "#ffb561" },
  { name: "Gold", value: "#f2d16b" },
  { name: "Green", value: "#8be28b" },
  { name: "Teal", value: "#5fd8c8" },
  { name: "Sky", value: "#7cc4ff" },
  { name: "Lavender", value: "#b9a4ff" },
  { name: "Pink", value: "#ff9ccf" },
];

export const MAX_DISPLAY_NAME = 64;
const COLOR = /^#[0-9a-f]{6}$/i;

export function validColor(value) {
  return typeof value === "string" && COLOR.test(value);
}

/** The display name as the server will store it (trimmed, whitespace runs folded). */
export function cleanDisplayName(value) {
  return String(value ?? "").split(/\s+/).filter(Boolean).join(" ");
}

/** A problem with a display name the user typed, or null. */
export function displayNameProblem(value) {
  const clean = cleanDisplayName(value);
  if (clean.length > MAX_DISPLAY_NAME) return `Use at most ${MAX_DISPLAY_NAME} characters.`;
  return null;
}

const PROFILE_KEYS = ["username", "display_name", "color", "avatar_url"];

/** `u` with `user`'s profile fields if it is the same person (else `u` itself). */
export function mergeUser(u, user) {
  if (!u || !user || String(u.id) !== String(user.id)) return u;
  if (PROFILE_KEYS.every((key) => u[key] === user[key] || (u[key] == null && user[key] == null))) return u;
  const next = { ...u };
  for (const key of PROFILE_KEYS) if (key in user) next[key] = user[key];
  return next;
}

/** A list of users (members) with `user` refreshed; the same array when nothing changed. */
export function mergeUserList(list, user) {
  if (!Array.isArray(list)) return list;
  let changed = false;
  const next = list.map((u) => {
    const merged = mergeUser(u, user);
    if (merged !== u) changed = true;
    return merged;
  });
  return changed ? next : list;
}

/** A message with its author (and a quoted reply's author) refreshed. */
export function mergeAuthor(message, user) {
  let next = message;
  const author = mergeUser(message.author, user);
  if (author !== message.author) next = { ...next, author };
  const quote = message.reply_to;
  if (quote && quote.author) {
    const quoted = mergeUser(quote.author, user);
    if (quoted !== quote.author) next = { ...next, reply_to: { ...quote, author: quoted } };
  }
  return next;
}

/** The `user` of a `user.updated` frame, or null. */
export function updatedUser(frame) {
  return frame && frame.type === "user.updated" && frame.data && frame.data.user ? frame.data.user : null;
}
