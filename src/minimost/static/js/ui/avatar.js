// A person's face and name as every list shows them (messages, panels, the me card, the
// profile card, mention suggestions): a picture, or initials on their colour.

import { el, hashIndex, initials } from "../core/dom.js";

const AVATAR_COLOURS = 8;

export function authorName(author) {
  return (author && (author.display_name || author.username)) || "Unknown";
}

export function avatar(author, extra = "") {
  const name = authorName(author);
  if (author && author.avatar_url) {
    return el("span", { class: ["avatar", "avatar-image", extra], "aria-hidden": "true" },
      el("img", { src: author.avatar_url, alt: "", loading: "lazy", decoding: "async" }));
  }
  const seed = (author && (author.username || author.id)) || name;
  const node = el("span", { class: ["avatar", `av-${hashIndex(seed, AVATAR_COLOURS)}`, extra], "aria-hidden": "true", text: initials(name) });
  if (author && author.color) {
    // The person's own colour (CSSOM, which the CSP allows; no style attribute in markup).
    node.classList.add("av-custom");
    node.style.backgroundColor = author.color;
  }
  return node;
}
