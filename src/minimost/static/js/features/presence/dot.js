// Presence dots. A feature gets `dot(userId)` handed over by main.js and drops it into
// its markup, or leaves an empty `<span class="presence-slot" data-user-id="5">` that the
// presence UI fills when it appears (so that feature needs nothing from this one). A dot
// reads the current status from the store when built, and the presence UI refreshes every
// dot on the page when statuses change (batched by the server, at most once a second), so
// the builders need not re-render when someone comes or goes.

import { el } from "../../core/dom.js";
import { statusLabel, statusOf } from "./data.js";

export function createPresenceDots(store) {
  const lookup = (userId, fallback) => statusOf(store.get().presence, userId, fallback);

  function dot(userId, { fallback, extra } = {}) {
    const status = lookup(userId, fallback);
    const node = el("span", {
      class: ["presence-dot", extra],
      "aria-hidden": "true",
      title: statusLabel(status),
      dataset: { userId: String(userId), presence: status },
    });
    if (fallback) node.dataset.fallback = fallback;
    return node;
  }

  function refresh(root = document) {
    for (const node of root.querySelectorAll(".presence-dot[data-user-id]")) {
      const status = lookup(node.dataset.userId, node.dataset.fallback);
      if (node.dataset.presence === status) continue;
      node.dataset.presence = status;
      node.title = statusLabel(status);
    }
  }

  /** Put a dot into every empty `.presence-slot[data-user-id]` in (or being) `root`. */
  function fillSlots(root) {
    const slots = root.matches && root.matches(".presence-slot") ? [root] : root.querySelectorAll(".presence-slot");
    for (const slot of slots) {
      const userId = slot.dataset.userId;
      if (!userId || slot.querySelector(".presence-dot")) continue;
      slot.append(dot(userId, { fallback: slot.dataset.fallback }));
    }
  }

  return { dot, refresh, fillSlots };
}
