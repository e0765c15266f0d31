// People as every feature sees them: the name to show, and how a `user.updated` event
// refreshes every copy of a user the app holds (me, message authors, member lists). Pure.

export const personName = (user) => (user && (user.display_name || user.username)) || "Unknown";

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
