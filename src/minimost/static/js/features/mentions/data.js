// Mentions without the DOM: finding the `@query` under the caret, ranking who matches,
// inserting the pick, deciding whether a message mentions me, and the state of the
// "Mentions" panel (a newest-first page list kept current by socket events).

export const USERNAME_CHARS = /^[A-Za-z0-9._-]*$/;
export const MAX_SUGGESTIONS = 8;
export const SPECIALS = [
  { value: "everyone", description: "Notify everyone in this channel" },
  { value: "here", description: "Notify everyone online in this channel" },
];

/**
 * The mention being typed at `caret`: `{ start, end, query }` where `start` is the `@`
 * and `end` the end of the word (the caret may sit inside it), or null. An `@` glued
 * to a word (an e-mail address) does not count.
 */
export function mentionQuery(text, caret) {
  const value = String(text ?? "");
  if (caret === null || caret === undefined || caret < 1 || caret > value.length) return null;
  const at = value.lastIndexOf("@", caret - 1);
  if (at === -1) return null;
  const query = value.slice(at + 1, caret);
  if (query.length > 32 || !USERNAME_CHARS.test(query)) return null;
  if (at > 0 && /[\p{L}\p{N}_.@`-]/u.test(value[at - 1])) return null;
  let end = caret;
  while (end < value.length && /[A-Za-z0-9._-]/.test(value[end])) end++;
  return { start: at, end, query };
}

function rank(user, q) {
  if (String(user.username).toLowerCase().startsWith(q)) return 0;
  const words = String(user.display_name || "").toLowerCase().split(/\s+/).filter(Boolean);
  if (String(user.display_name || "").toLowerCase().startsWith(q) || words.some((w) => w.startsWith(q))) return 1;
  return -1;
}

/**
 * Suggestions for `query`: members (not me) whose username or display name starts with
 * it, usernames first, then @everyone / @here when `allowAll` (channels, not DMs).
 * Items are `{ kind: "user", value, user }` or `{ kind: "special", value, description }`.
 */
export function suggestions(members, query, { meId = null, allowAll = false, limit = MAX_SUGGESTIONS } = {}) {
  const q = String(query).toLowerCase();
  const users = [];
  for (const user of members || []) {
    if (meId !== null && String(user.id) === String(meId)) continue;
    const r = rank(user, q);
    if (r >= 0) users.push({ r, user });
  }
  users.sort((a, b) => a.r - b.r || String(a.user.username).localeCompare(String(b.user.username)));
  const out = users.map(({ user }) => ({ kind: "user", value: user.username, user }));
  if (allowAll) {
    for (const s of SPECIALS) if (s.value.startsWith(q)) out.push({ kind: "special", ...s });
  }
  return out.slice(0, limit);
}

/** Replace the mention being typed with `@value ` and put the caret after it. */
export function applyMention(text, { start, end }, value) {
  const before = text.slice(0, start);
  const after = text.slice(end);
  const insert = `@${value}`;
  // Exactly one space after the name: reuse the one already there.
  const tail = /^\s/.test(after) ? after : ` ${after}`;
  return { text: before + insert + tail, caret: before.length + insert.length + 1 };
}

/** Does `message` mention `me` (by name, @everyone or @here)? My own messages never do. */
export function mentionsMe(message, me) {
  if (!message || !me || message.deleted_at) return false;
  if (message.author && String(message.author.id) === String(me.id)) return false;
  if (message.mention_all) return true;
  if (Array.isArray(message.mentions)) return message.mentions.some((id) => String(id) === String(me.id));
  // Older payloads without `mentions`: read the rendered html.
  const html = String(message.html || "");
  return html.includes("mention-all") || html.includes(`data-username="${me.username}"`);
}

// ---- the Mentions panel ------------------------------------------------------

const initial = { open: false, items: [], hasMore: false, loaded: false, loading: false, error: null };

const byNewest = (a, b) => b.id - a.id;

function upsert(items, message) {
  const at = items.findIndex((m) => m.id === message.id);
  if (at === -1) return items.concat([message]).sort(byNewest);
  const next = items.slice();
  next[at] = message;
  return next;
}

function onEvent(state, frame, me) {
  if (!state.loaded) return state;
  const data = frame.data || {};
  switch (frame.type) {
    case "message.created":
    case "message.updated": {
      if (data.id === undefined) return state;
      const present = state.items.some((m) => m.id === data.id);
      if (!mentionsMe(data, me)) {
        return present ? { ...state, items: state.items.filter((m) => m.id !== data.id) } : state;
      }
      // A page boundary: an edit of something older than the oldest loaded item waits for paging.
      const oldest = state.items.length ? state.items[state.items.length - 1].id : null;
      if (!present && state.hasMore && oldest !== null && data.id < oldest) return state;
      return { ...state, items: upsert(state.items, data) };
    }
    case "message.deleted":
      return state.items.some((m) => m.id === data.id) ? { ...state, items: state.items.filter((m) => m.id !== data.id) } : state;
    case "member.removed": {
      // I left a conversation: its messages are no longer mine to list.
      const user = data.user;
      if (!me || !user || String(user.id) !== String(me.id)) return state;
      const convId = frame.conversation ?? data.conversation_id;
      const items = state.items.filter((m) => String(m.conversation_id) !== String(convId));
      return items.length === state.items.length ? state : { ...state, items };
    }
    default:
      return state;
  }
}

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "mentions/open":
      return state.open ? state : { ...state, open: true };
    case "mentions/close":
      return state.open ? { ...state, open: false } : state;
    case "mentions/loading":
      return { ...state, loading: true, error: null };
    case "mentions/page": {
      let items = action.older ? state.items : [];
      for (const m of action.messages) items = upsert(items, m);
      return { ...state, items, hasMore: Boolean(action.hasMore), loaded: true, loading: false, error: null };
    }
    case "mentions/error":
      return { ...state, loading: false, error: action.error };
    case "messages/invalidate":
      // Missed events (resync): the list is refetched the next time the panel opens.
      return state.loaded ? { ...state, loaded: false } : state;
    case "event":
      return onEvent(state, action.frame, root.session && root.session.user);
    default:
      return state;
  }
}
