// The optimistic copy of a message, shown until the server confirms it (the confirmed
// copy replaces it by client_id, data.js). No DOM here.

import { escapeHtml } from "../../core/dom.js";

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
