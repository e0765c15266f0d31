// Unread bookkeeping that needs no DOM: which conversation Ctrl+J/K go to, the tab
// title, where the "New messages" line sits, and what to mark read.

/**
 * The conversation `dir` (+1 next, -1 previous) steps away from `activeId` in sidebar
 * `order`, wrapping around. With `unreadOnly`, only conversations with unreads count
 * (muted ones included: you asked for them explicitly). Null when there is none.
 */
export function nextConversation(order, activeId, dir, { unreadOnly = false } = {}) {
  const n = order.length;
  if (n === 0) return null;
  const at = order.findIndex((c) => c.id === activeId);
  for (let step = 1; step <= n; step++) {
    const i = at === -1 ? (dir > 0 ? step - 1 : n - step) : (((at + dir * step) % n) + n) % n;
    const c = order[i];
    if (c.id === activeId) continue;
    if (!unreadOnly || c.unread_count > 0) return c.id;
  }
  return null;
}

/** "(3) #general · MiniMost": the unread total first, so it shows in a narrow tab. */
export function titleText(total, label) {
  return `${total > 0 ? `(${total > 999 ? "999+" : total}) ` : ""}${label ? `${label} · ` : ""}MiniMost`;
}

/**
 * The confirmed message the "New messages" line goes above: the first one after the
 * read position `afterId`. Null when none of the loaded messages is newer.
 */
export function firstUnread(items, afterId) {
  if (afterId === null || afterId === undefined) return null;
  for (const m of items) if (!m.pending && m.id > afterId) return m;
  return null;
}

/**
 * The message id to send to POST /read for the open conversation, or null when there
 * is nothing to do: the newest message we know of (from the list or the loaded page),
 * if it is past the read position or the counts still say unread. `detached` (an old
 * window, messages/data.js window mode): only the newest loaded message counts, and
 * only when it moves the read position forward.
 */
export function readTarget(conv, items = [], { detached = false } = {}) {
  if (!conv) return null;
  if (detached) {
    let shown = null;
    for (let i = items.length - 1; i >= 0 && shown === null; i--) if (!items[i].pending) shown = items[i].id;
    return shown !== null && shown > (conv.last_read_message_id ?? 0) ? shown : null;
  }
  let newest = conv.last_message_id ?? null;
  for (let i = items.length - 1; i >= 0; i--) {
    if (!items[i].pending) {
      if (newest === null || items[i].id > newest) newest = items[i].id;
      break;
    }
  }
  if (newest === null) return null;
  const read = conv.last_read_message_id ?? 0;
  return newest > read || conv.unread_count > 0 || conv.mention_count > 0 ? newest : null;
}

/** Ctrl+J / Ctrl+K with optional Shift: { dir, unreadOnly } or null. */
export function navigationKey(event) {
  if (!event.ctrlKey || event.altKey || event.metaKey) return null;
  const key = String(event.key).toLowerCase();
  if (key !== "j" && key !== "k") return null;
  return { dir: key === "j" ? 1 : -1, unreadOnly: Boolean(event.shiftKey) };
}
