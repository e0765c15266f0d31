// Replies: which message the composer is replying to (per conversation), and the quote a
// reply shows. No DOM here.
//
// A quote is { id, author, excerpt, deleted } exactly as the server sends `reply_to`, so
// the optimistic copy of a reply looks like the confirmed one.

export const EXCERPT_CHARS = 140;

/** The first non-empty line, cut like the server's excerpt (queries/enrich.py). */
export function excerpt(text) {
  const line = String(text ?? "").split(/\r?\n/).map((part) => part.trim()).find(Boolean) ?? "";
  const chars = [...line];
  return chars.length <= EXCERPT_CHARS ? line : chars.slice(0, EXCERPT_CHARS - 1).join("").trimEnd() + "…";
}

const LINE_END = /<br\s*\/?>|<\/(?:p|li|pre|blockquote|h[1-6]|div)>/gi;
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };

/** The text a rendered (server-sanitized) message reads as, like the server's plain_text. */
export function plainText(html) {
  return String(html ?? "")
    .replace(LINE_END, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name) => ENTITIES[name]);
}

/** The quote of `message` as a reply to it would carry it. */
export function quoteOf(message) {
  const a = message.author;
  return {
    id: message.id,
    author: a ? { id: a.id, username: a.username, display_name: a.display_name } : null,
    excerpt: excerpt(plainText(message.html) || message.text),
    deleted: Boolean(message.deleted_at),
  };
}

/** Can `message` be replied to? Only confirmed, live messages (the server checks too). */
export function canReply(message) {
  return Boolean(message && !message.pending && message.id !== null && message.id !== undefined && !message.deleted_at);
}

/** What a send adds when a reply is being composed in `convId` (see messages/actions.js). */
export function replyExtension(state, convId) {
  const quote = state.replies.byConv[convId];
  if (!quote) return null;
  return { body: { reply_to_id: quote.id }, pending: { reply_to: quote } };
}

/** Is the message with `id` loaded in `conv`? */
export const isLoaded = (conv, id) => Boolean(conv && conv.items.some((m) => !m.pending && m.id === id));

// ---- reducer --------------------------------------------------------------

const initial = { byConv: {} };

function put(state, convId, quote) {
  const byConv = { ...state.byConv };
  if (quote) byConv[convId] = quote;
  else delete byConv[convId];
  return { ...state, byConv };
}

export function reduce(state = initial, action) {
  switch (action.type) {
    case "reply/start":
      return put(state, action.convId, action.quote);
    case "reply/cancel":
      return state.byConv[action.convId] ? put(state, action.convId, null) : state;
    case "messages/pending":
      // The reply went out with this message: the composer is back to a plain one.
      return state.byConv[action.convId] ? put(state, action.convId, null) : state;
    case "event": {
      // The original was deleted while we were replying to it: the server would refuse.
      const { frame } = action;
      if (frame.type !== "message.deleted" || !frame.data) return state;
      const convId = frame.conversation ?? frame.data.conversation_id;
      const quote = state.byConv[convId];
      return quote && quote.id === frame.data.id ? put(state, convId, null) : state;
    }
    default:
      return state;
  }
}
