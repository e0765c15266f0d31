// When a message deserves a sound or a desktop notification, and what it says. Pure:
// the UI passes in what it knows (who I am, what is on screen, my toggles, the time).

import { personName } from "../../core/people.js";
import { conversationLabel, mentionsMe } from "../channels/index.js";

export const PREFS_KEY = "minimost.notifications";
export const DEFAULT_PREFS = Object.freeze({ sound: true, desktop: false, muteAll: false });

/** Messages older than this (a replay after a long disconnect) stay quiet. */
export const STALE_MS = 2 * 60 * 1000;
const BODY_MAX = 140;

export function parsePrefs(raw) {
  let stored = {};
  try {
    stored = raw ? JSON.parse(raw) : {};
  } catch {
    stored = {};
  }
  const out = { ...DEFAULT_PREFS };
  for (const key of Object.keys(DEFAULT_PREFS)) if (typeof stored?.[key] === "boolean") out[key] = stored[key];
  return out;
}

/** One line of plain text from a message: markdown marks are left as typed. */
export function previewText(text) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > BODY_MAX ? `${flat.slice(0, BODY_MAX - 1)}…` : flat;
}

/**
 * Should this socket frame notify? Returns null, or
 * { reason: "dm" | "mention", title, body, tag, convId, messageId, sound, desktop }.
 *
 * Notifies for new messages in DMs and for mentions of me (by name, @everyone, @here),
 * never for my own messages, muted conversations, with everything muted, or for the
 * conversation I am looking at (open, tab visible and focused). A visible tab showing
 * another conversation still notifies: that message is not on screen.
 */
export function shouldNotify({ frame, me, conv, activeId, visible, focused, prefs, now = Date.now(), permission = "default" }) {
  if (!frame || frame.type !== "message.created" || !frame.data || !me || !conv) return null;
  const m = frame.data;
  if (!m.author || m.author.id === me.id || m.deleted_at) return null;
  if (conv.muted || prefs.muteAll) return null;
  const created = Date.parse(m.created_at);
  if (Number.isFinite(created) && now - created > STALE_MS) return null;
  const reason = conv.kind === "dm" ? "dm" : mentionsMe(m, me.id) ? "mention" : null;
  if (!reason) return null;
  if (conv.id === activeId && visible && focused) return null;
  const sound = prefs.sound;
  const desktop = prefs.desktop && permission === "granted";
  if (!sound && !desktop) return null;
  const author = personName(m.author);
  const others = (conv.members || []).filter((u) => u.id !== me.id);
  let title;
  if (conv.kind === "dm") title = others.length > 1 ? `${author} in ${conversationLabel(conv, me.id)}` : author;
  else title = `${author} in #${conv.name}`;
  return {
    reason,
    title,
    body: previewText(m.text) || "(attachment)",
    tag: `minimost-${conv.id}`,
    convId: conv.id,
    messageId: m.id,
    sound,
    desktop,
  };
}
