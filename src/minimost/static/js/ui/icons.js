// Inline SVG icons (one path each, hidden from assistive technology) and the icon buttons
// of a message's action bar.

import { el } from "../core/dom.js";

const SVG = "http://www.w3.org/2000/svg";

export function svgIcon(path, cls = "") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  if (cls) svg.setAttribute("class", cls);
  const p = document.createElementNS(SVG, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}

/** A button of a message's action bar: `data-action` says what it does. */
export function iconButton(action, label, path) {
  return el("button", { type: "button", class: "icon-btn", dataset: { action }, "aria-label": label, title: label }, svgIcon(path));
}
