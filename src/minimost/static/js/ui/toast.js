// Short, polite notices at the bottom of the screen ("Couldn't delete the message").

import { el } from "../core/dom.js";

export function createToaster(region) {
  return function toast(text, { kind = "info", ms = 5000 } = {}) {
    const node = el("div", { class: ["toast", `toast-${kind}`] }, el("span", { text }),
      el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", text: "×", onclick: () => node.remove() }));
    region.append(node);
    setTimeout(() => node.remove(), ms);
  };
}
