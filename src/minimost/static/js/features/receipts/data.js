// Read receipts without the DOM: who has seen my last message, from the members' read
// positions (`last_read_message_id`, moved forward by read.updated events).

export const MAX_NAMES = 3;

/** My newest confirmed, not deleted message in `items` (confirmed messages are in id order). */
export function lastOwnConfirmed(items, meId) {
  for (let i = items.length - 1; i >= 0; i--) {
    const m = items[i];
    if (m.pending || m.deleted_at || !m.author || String(m.author.id) !== String(meId)) continue;
    return m;
  }
  return null;
}

/** Members other than me whose read position is at or past `messageId`, in list order. */
export function seenBy(members, messageId, meId) {
  return (members || []).filter((m) => String(m.id) !== String(meId) &&
    m.last_read_message_id !== null && m.last_read_message_id !== undefined && m.last_read_message_id >= messageId);
}

function joinNames(names) {
  if (names.length <= MAX_NAMES) {
    return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  }
  const rest = names.length - MAX_NAMES;
  return `${names.slice(0, MAX_NAMES).join(", ")} and ${rest} ${rest === 1 ? "other" : "others"}`;
}

/**
 * The receipt line: null when nobody has seen it; in a DM "Seen" once everyone else has;
 * otherwise "Seen by Alice", "Seen by Alice and Bob", "Seen by Alice, Bob, Carol and 2 others".
 */
export function receiptText(seen, others, { dm = false, nameOf = (u) => u.display_name || u.username } = {}) {
  if (seen.length === 0) return null;
  if (dm && seen.length >= others.length) return "Seen";
  return `Seen by ${joinNames(seen.map(nameOf))}`;
}

/** Everything the receipt needs for the open conversation, or null when there is nothing to show. */
export function receiptFor({ items, members, meId, dm }) {
  if (!members || !items) return null;
  const mine = lastOwnConfirmed(items, meId);
  if (!mine) return null;
  const others = members.filter((m) => String(m.id) !== String(meId));
  const seen = seenBy(members, mine.id, meId);
  const text = receiptText(seen, others, { dm });
  return text ? { messageId: mine.id, text, seen } : null;
}
