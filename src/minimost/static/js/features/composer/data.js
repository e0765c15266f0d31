// Composer rules that do not touch the DOM: what Enter does, what text is worth sending,
// and the drafts. The optimistic copy of a sent message is messages/pending.js.

export const MAX_MESSAGE_LENGTH = 10_000;

/** "send" | "newline" | null for a keydown in the composer. */
export function enterAction(event) {
  if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return null;
  if (event.shiftKey || event.altKey) return "newline";
  if (event.ctrlKey || event.metaKey) return "send";
  return "send";
}

/** Text worth sending: not blank and within the limit. */
export function sendableText(text) {
  const trimmed = String(text ?? "").replace(/^\s*\n|\s+$/g, "");
  if (!trimmed.trim()) return null;
  return trimmed;
}

// Drafts per conversation, so switching channels keeps what you were typing.
const initial = { drafts: {} };

export function reduce(state = initial, action) {
  if (action.type !== "composer/draft") return state;
  if ((state.drafts[action.convId] ?? "") === action.text) return state;
  const drafts = { ...state.drafts };
  if (action.text) drafts[action.convId] = action.text;
  else delete drafts[action.convId];
  return { ...state, drafts };
}
