// Composer rules that do not touch the DOM: what Enter does, and the optimistic copy
// of a message shown until the server confirms it.

import { escapeHtml } from "../../core/dom.js";

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

/** Plain-text preview of a pending message (the server renders the real html). */
export function previewHtml(text) {
  return String(text)
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

export function makePending({ text, user, convId, clientId, now = new Date() }) {
  return {
    id: null,
    conversation_id: convId,
    author: { id: user.id, username: user.username, display_name: user.display_name },
    text,
    html: previewHtml(text),
    created_at: now.toISOString(),
    edited_at: null,
    deleted_at: null,
    client_id: clientId,
    pending: true,
    failed: false,
    error: null,
  };
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
