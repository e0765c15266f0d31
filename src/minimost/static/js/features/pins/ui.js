// Pins in the UI: the Pin/Unpin action on every message, the "Pinned" badge on a row, and
// the pins panel of the open conversation (top bar button): pinned messages newest first,
// live; clicking one jumps to it in the conversation (like a reply's quote), and each has
// an Unpin button.

import { api, describeError, request } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { dayLabel, formatFull, formatTime } from "../../core/time.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { iconButton, svgIcon } from "../../ui/icons.js";
import { profileLink } from "../../ui/profile-link.js";
import { jumpToMessage } from "../messages/index.js";
import { needsPins, pinsToShow } from "./data.js";

const PIN_ICON = "M9 4h6l-1 6 3 3v1H7v-1l3-3zM12 14v6";
const pinUrl = (id) => `/api/v1/messages/${encodeURIComponent(id)}/pin`;

export async function loadPins(store, convId) {
  store.dispatch({ type: "pins/loading", convId });
  try {
    const { pins } = await api.get(`/api/v1/conversations/${encodeURIComponent(convId)}/pins`);
    store.dispatch({ type: "pins/loaded", convId, pins });
  } catch (err) {
    store.dispatch({ type: "pins/error", convId, error: describeError(err) });
  }
}

/** Pin (`on`) or unpin a message; the event updates every tab, this one included. */
export async function setPinned(store, message, on, toast) {
  try {
    const { message: saved } = await (on ? request("PUT", pinUrl(message.id)) : api.del(pinUrl(message.id)));
    store.dispatch({ type: "messages/patch", convId: saved.conversation_id, id: saved.id, patch: (m) => (m.pinned === saved.pinned ? m : { ...m, pinned: saved.pinned }) });
  } catch (err) {
    if (toast) toast(`Couldn't ${on ? "pin" : "unpin"} the message: ${describeError(err)}`, { kind: "error" });
  }
}

/** `decorations`: the message rows' extension points (messages feature, from main.js). */
export function mountPins(store, { button, list, toast, decorations }) {
  decorations.decorate("badges", (m) => (m.pinned && !m.deleted_at
    ? el("span", { class: "pin-badge", title: "Pinned to this conversation" }, svgIcon(PIN_ICON), "Pinned")
    : null));
  decorations.decorate("actions", (m) => (m.deleted_at ? null
    : m.pinned ? iconButton("unpin", "Unpin message", PIN_ICON) : iconButton("pin", "Pin message", PIN_ICON)));

  const items = el("ol", { class: "pins-items" });
  const status = el("p", { class: "pins-status", role: "status" });
  const title = el("h2", { class: "pins-title", id: "pins-title", tabindex: "-1", text: "Pinned messages" });
  const closeButton = el("button", { type: "button", class: "icon-btn", "aria-label": "Close pinned messages", title: "Close (Esc)" }, svgIcon("M6 6l12 12M18 6L6 18"));
  const panel = el("aside", { class: "pins-panel", id: "pins-panel", "aria-labelledby": "pins-title", hidden: true },
    el("header", { class: "pins-head" }, title, closeButton),
    el("div", { class: "pins-scroll" }, items, status));
  document.body.append(panel);
  button.setAttribute("aria-controls", panel.id);
  button.setAttribute("aria-expanded", "false");

  function item(p) {
    const m = p.message;
    const at = new Date(m.created_at);
    return el("li", {},
      el("article", { class: "pin-item", dataset: { messageId: m.id, conversationId: m.conversation_id } },
        el("div", { class: "pin-item-head" },
          profileLink(avatar(m.author), m.author),
          profileLink(el("button", { type: "button", class: "pin-item-author profile-link", text: authorName(m.author) }), m.author),
          el("time", { class: "pin-item-time", datetime: m.created_at, title: formatFull(at), text: `${dayLabel(at)} ${formatTime(at)}` }),
          el("button", { type: "button", class: "link-btn pin-item-unpin", dataset: { unpin: m.id }, text: "Unpin" })),
        el("div", { class: "pin-item-body msg-body", html: m.html }),
        p.pinned_by ? el("p", { class: "pin-item-by", text: `Pinned by ${authorName(p.pinned_by)}` }) : null));
  }

  let prev = {};
  function render(state) {
    const { pins, channels, messages } = state;
    const convId = channels.activeId;
    button.hidden = convId === null;
    if (pins === prev.pins && convId === prev.convId && messages === prev.messages) return;
    prev = { pins, convId, messages };
    panel.hidden = !pins.open;
    button.setAttribute("aria-expanded", String(pins.open));
    button.classList.toggle("active", pins.open);
    if (!pins.open || convId === null) return;
    if (needsPins(pins, convId)) queueMicrotask(() => loadPins(store, convId));
    const entry = pins.byConv[convId];
    const shown = pinsToShow(entry, messages.byConv[convId]);
    items.replaceChildren(...shown.map(item));
    if (entry && entry.error) status.textContent = `Couldn't load pinned messages: ${entry.error}`;
    else if (!entry || !entry.loaded) status.textContent = "Loading…";
    else if (shown.length === 0) status.textContent = "Nothing is pinned here yet. Pin a message from its actions to keep it at hand.";
    else status.textContent = "";
    status.hidden = status.textContent === "";
  }

  function open() {
    store.dispatch({ type: "mentions/close" });
    store.dispatch({ type: "pins/open" });
    title.focus();
  }

  function close({ refocus = true } = {}) {
    if (!store.get().pins.open) return;
    store.dispatch({ type: "pins/close" });
    if (refocus && panel.contains(document.activeElement)) button.focus();
  }

  button.addEventListener("click", () => (store.get().pins.open ? close() : open()));
  closeButton.addEventListener("click", () => close());
  items.addEventListener("click", (event) => {
    const article = event.target.closest(".pin-item");
    if (!article) return;
    const messageId = Number(article.dataset.messageId);
    const unpin = event.target.closest("[data-unpin]");
    if (unpin) {
      setPinned(store, { id: messageId }, false, toast);
      return;
    }
    if (event.target.closest("a")) return; // links inside the message open as links
    jumpToMessage(store, Number(article.dataset.conversationId), messageId, { toast });
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  list.addEventListener("click", (event) => {
    const action = event.target.closest("button[data-action='pin'], button[data-action='unpin']");
    const row = action && action.closest(".msg");
    if (!row) return;
    setPinned(store, { id: Number(row.dataset.id) }, action.dataset.action === "pin", toast);
  });

  store.subscribe(render);
  render(store.get());
  return { open, close };
}
