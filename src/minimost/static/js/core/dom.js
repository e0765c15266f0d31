// Tiny DOM helpers. Everything that builds markup goes through `el`, which sets
// text with textContent, so user data is never parsed as HTML by accident. The
// only innerHTML we use is the server-rendered, sanitized message html.

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * el("button", { class: "btn", type: "button", onclick: fn, "aria-label": "Send" }, "Send")
 * Attribute values of `false`/`null`/`undefined` are skipped; `true` sets an empty attribute.
 * `dataset` takes an object; `text` sets textContent; `html` sets trusted innerHTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (name === "text") node.textContent = value;
    else if (name === "html") node.innerHTML = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`missing element ${selector}`);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

/** True when focus is on something that takes typing (so global shortcuts must stay quiet). */
export function isTyping(target = document.activeElement) {
  if (!target || target === document.body) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

/** Stable small integer from a string: picks an avatar colour class. */
export function hashIndex(text, buckets) {
  let h = 0;
  for (const ch of String(text)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % buckets;
}

export function initials(name) {
  const parts = String(name).trim().split(/[\s._-]+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = [...parts[0]][0] ?? "";
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] ?? "" : "";
  return (first + second).toUpperCase();
}

/**
 * Grow a textarea with its content. Chromium does it in CSS (`field-sizing: content`);
 * elsewhere we set the height through CSSOM, which the CSP allows (it forbids only
 * style attributes in markup). The max-height in CSS still caps it.
 */
export function autosize(textarea) {
  if (globalThis.CSS && CSS.supports("field-sizing", "content")) return () => {};
  const fit = () => {
    textarea.style.height = "auto";
    textarea.style.height = `${textarea.scrollHeight + 2}px`;
  };
  textarea.addEventListener("input", fit);
  return fit;
}

// Counters behind nextId, one per prefix: ids stay unique for the page's life.
const idCounters = new Map();

/** A fresh id for markup: nextId("modal-") gives "modal-1", "modal-2", … */
export function nextId(prefix) {
  const n = (idCounters.get(prefix) ?? 0) + 1;
  idCounters.set(prefix, n);
  return `${prefix}${n}`;
}
