// Presence dots. Any feature can drop `presenceDot(userId)` into its markup, or an
// empty `<span class="presence-slot" data-user-id="5">` that the presence UI fills
// when it appears (so that feature need not import this one). A dot reads the current
// status when built, and the presence UI refreshes every dot on the page when statuses
// change (batched by the server, at most once a second), so the builders need not
// re-render when someone comes or goes.

import { el } from "../../core/dom.js";
import { statusLabel } from "./data.js";

let lookup = (_userId, fallback) => fallback ?? "offline";

/** Set by the presence UI: (userId, fallback) => status. */
export function setPresenceLookup(fn) {
  lookup = fn;
}

export function presenceDot(userId, { fallback, extra } = {}) {
  const status = lookup(userId, fallback);
  const dot = el("span", {
    class: ["presence-dot", extra],
    "aria-hidden": "true",
    title: statusLabel(status),
    dataset: { userId: String(userId), presence: status },
  });
  if (fallback) dot.dataset.fallback = fallback;
  return dot;
}

export function refreshDots(root = document) {
  for (const dot of root.querySelectorAll(".presence-dot[data-user-id]")) {
    const status = lookup(dot.dataset.userId, dot.dataset.fallback);
    if (dot.dataset.presence === status) continue;
    dot.dataset.presence = status;
    dot.title = statusLabel(status);
  }
}

/** Put a dot into every empty `.presence-slot[data-user-id]` in (or being) `root`. */
export function fillSlots(root) {
  const slots = root.matches && root.matches(".presence-slot") ? [root] : root.querySelectorAll(".presence-slot");
  for (const slot of slots) {
    const userId = slot.dataset.userId;
    if (!userId || slot.querySelector(".presence-dot")) continue;
    slot.append(presenceDot(userId, { fallback: slot.dataset.fallback }));
  }
}
