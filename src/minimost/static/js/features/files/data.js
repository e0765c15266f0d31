// Attachment rules that do not touch the DOM: sizes for people, the browser-side size
// check, thumbnail boxes that reserve their space, the pending-attachment list, and the
// server's size limits (the `limits` slice of the store).

import { nextId } from "../../core/dom.js";

export const THUMB_MAX = 360;
export const MAX_ATTACHMENTS = 10;

/** "812 B", "3.4 KB", "12 MB" (powers of 1024, as the server's limits are). */
export function humanSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}

/** Why `file` cannot be uploaded (over the server's limit), or null. */
export function refusal(file, maxBytes) {
  if (maxBytes && file.size > maxBytes) {
    return `${file.name || "This file"} is ${humanSize(file.size)}; the limit is ${humanSize(maxBytes)}.`;
  }
  return null;
}

/** The displayed size of an image scaled to fit `max` × `max` (never enlarged). */
export function thumbBox(width, height, max = THUMB_MAX) {
  const w = Number(width) || 0;
  const h = Number(height) || 0;
  if (w <= 0 || h <= 0) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** The files carried by a paste or a drop (not text, not links). */
export function filesOf(transfer) {
  if (!transfer) return [];
  const out = [];
  if (transfer.items && transfer.items.length) {
    for (const item of transfer.items) {
      if (item.kind === "file") {
        const file = item.getAsFile();
        if (file) out.push(file);
      }
    }
    return out;
  }
  return Array.from(transfer.files || []);
}

/** Does a dragover carry files (so we may show the drop target)? */
export function draggingFiles(transfer) {
  return Boolean(transfer && Array.from(transfer.types || []).includes("Files"));
}

// ---- pending attachments of one conversation --------------------------------------------
// An entry: { key, name, size, status: "uploading" | "done" | "error", loaded, error, file }
// where `file` is the server's view once uploaded.

export function newEntry(file) {
  return { key: nextId("a"), name: file.name || "file", size: file.size, status: "uploading", loaded: 0, error: null, file: null };
}

export function update(list, key, patch) {
  return list.map((entry) => (entry.key === key ? { ...entry, ...patch } : entry));
}

export function remove(list, key) {
  return list.filter((entry) => entry.key !== key);
}

/** "ready": something to send, nothing still uploading; "busy": wait; null: nothing. */
export function sendState(list) {
  if (list.some((e) => e.status === "uploading")) return "busy";
  return list.some((e) => e.status === "done") ? "ready" : null;
}

/** Split off what a send takes (the uploaded ones); failed ones stay to be removed. */
export function takeReady(list) {
  return {
    files: list.filter((e) => e.status === "done").map((e) => e.file),
    rest: list.filter((e) => e.status !== "done"),
  };
}

/** 0–100 for a progress bar. */
export function percent(entry) {
  if (entry.status === "done") return 100;
  return entry.size > 0 ? Math.min(100, Math.round((entry.loaded / entry.size) * 100)) : 0;
}

// The server's limits (GET /api/v1/me → limits), which arrive with the session at boot:
// the `limits` slice, { upload, avatar } in bytes (0: no limit known).
const noLimits = Object.freeze({ upload: 0, avatar: 0 });

export function reduceLimits(state = noLimits, action) {
  if (action.type !== "session/loaded" || !action.limits) return state;
  return { upload: Number(action.limits.max_upload_bytes) || 0, avatar: Number(action.limits.max_avatar_bytes) || 0 };
}
