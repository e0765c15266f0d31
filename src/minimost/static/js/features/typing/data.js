// Typing state without the DOM: who is typing where (each name expires TYPING_TTL_MS
// after the last frame that named it, or when their message arrives), the sentence
// shown for it, and the throttle for our own typing frames.

export const TYPING_TTL_MS = 6000;
export const SEND_EVERY_MS = 3000;
// Typing frames are batched over 0.5 s, so one naming someone can land just after their
// message did; for this long after a message its author's typing frames are stale.
export const AFTER_MESSAGE_QUIET_MS = 1000;

/** "Alice is typing…", "Alice and Bob are typing…", "Several people are typing…" or "". */
export function typingText(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

/** User ids typing in `convId` at `now`, in the order they started. */
export function typistsIn(state, convId, now) {
  const conv = state.byConv[convId];
  if (!conv) return [];
  return Object.entries(conv)
    .filter(([, entry]) => entry.until > now)
    .sort((a, b) => a[1].since - b[1].since)
    .map(([id]) => id);
}

/** The earliest expiry still ahead of `now` (to schedule the next re-render), or null. */
export function nextExpiry(state, now) {
  let next = null;
  for (const conv of Object.values(state.byConv)) {
    for (const { until } of Object.values(conv)) if (until > now && (next === null || until < next)) next = until;
  }
  return next;
}

/**
 * Throttle for outgoing typing frames: `notify(convId, now)` returns true when a frame
 * should go out (first keystroke, another conversation, or SEND_EVERY_MS since the last).
 */
export function createTypingThrottle(every = SEND_EVERY_MS) {
  let lastConv = null;
  let lastAt = -Infinity;
  return {
    notify(convId, now) {
      if (convId === lastConv && now - lastAt < every) return false;
      lastConv = convId;
      lastAt = now;
      return true;
    },
    /** After a send: the next keystroke starts a new burst right away. */
    reset() {
      lastConv = null;
      lastAt = -Infinity;
    },
  };
}

const quietKey = (convId, userId) => `${convId}:${userId}`;

function messageArrived(state, convId, userId, now) {
  const quiet = { ...state.quiet, [quietKey(convId, userId)]: now + AFTER_MESSAGE_QUIET_MS };
  const conv = state.byConv[convId];
  if (!conv || !conv[userId]) return { ...state, quiet };
  const next = { ...conv };
  delete next[userId];
  return { ...state, quiet, byConv: { ...state.byConv, [convId]: next } };
}

const initial = { byConv: {}, quiet: {} };

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "typing/expire": {
      // Drop expired entries so the state does not grow; names are hidden by time anyway.
      let changed = false;
      const byConv = {};
      for (const [convId, conv] of Object.entries(state.byConv)) {
        const kept = Object.entries(conv).filter(([, e]) => e.until > action.now);
        if (kept.length !== Object.keys(conv).length) changed = true;
        if (kept.length) byConv[convId] = Object.fromEntries(kept);
      }
      const quiet = Object.fromEntries(Object.entries(state.quiet).filter(([, until]) => until > action.now));
      if (Object.keys(quiet).length !== Object.keys(state.quiet).length) changed = true;
      return changed ? { ...state, byConv, quiet } : state;
    }
    case "event": {
      const { frame } = action;
      const now = action.now ?? Date.now();
      if (frame.type === "typing") {
        const ids = (frame.data && frame.data.user_ids) || [];
        const me = root.session && root.session.user;
        const convId = frame.conversation;
        const conv = { ...(state.byConv[convId] || {}) };
        let changed = false;
        for (const raw of ids) {
          const id = String(raw);
          if (me && id === String(me.id)) continue; // another tab of mine
          if ((state.quiet[quietKey(convId, id)] ?? 0) > now) continue;
          const old = conv[id];
          conv[id] = { since: old && old.until > now ? old.since : now, until: now + TYPING_TTL_MS };
          changed = true;
        }
        return changed ? { ...state, byConv: { ...state.byConv, [convId]: conv } } : state;
      }
      if (frame.type === "message.created" && frame.data && frame.data.author) {
        const convId = frame.conversation ?? frame.data.conversation_id;
        return messageArrived(state, convId, String(frame.data.author.id), now);
      }
      return state;
    }
    default:
      return state;
  }
}
