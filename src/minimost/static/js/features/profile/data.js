// Profile rules without DOM: the colour palette and the checks of the Profile dialog.
// How a `user.updated` event refreshes every copy of a user: core/people.js.

// Name colours readable on the dark theme (each ≥ 4.5:1 against the message background,
// and dark initials stay readable on them as avatar backgrounds).
export const PALETTE = [
  { name: "Coral", value: "#ff8a80" },
  { name: "Orange", value: "#ffb561" },
  { name: "Gold", value: "#f2d16b" },
  { name: "Green", value: "#8be28b" },
  { name: "Teal", value: "#5fd8c8" },
  { name: "Sky", value: "#7cc4ff" },
  { name: "Lavender", value: "#b9a4ff" },
  { name: "Pink", value: "#ff9ccf" },
];

export const MAX_DISPLAY_NAME = 64;
const COLOR = /^#[0-9a-f]{6}$/i;

export function validColor(value) {
  return typeof value === "string" && COLOR.test(value);
}

/** The display name as the server will store it (trimmed, whitespace runs folded). */
export function cleanDisplayName(value) {
  return String(value ?? "").split(/\s+/).filter(Boolean).join(" ");
}

/** A problem with a display name the user typed, or null. */
export function displayNameProblem(value) {
  const clean = cleanDisplayName(value);
  if (clean.length > MAX_DISPLAY_NAME) return `Use at most ${MAX_DISPLAY_NAME} characters.`;
  return null;
}

/** The `user` of a `user.updated` frame, or null. */
export function updatedUser(frame) {
  return frame && frame.type === "user.updated" && frame.data && frame.data.user ? frame.data.user : null;
}
