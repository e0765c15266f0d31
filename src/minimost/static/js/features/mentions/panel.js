// The Mentions panel: a side panel listing messages that mention me, newest first and
// paged, opened from the top bar button or with `m` (Ctrl+Shift+M from anywhere).
// Clicking an item opens its conversation and scrolls to the message when loaded
// (through the channels slice's `focus`, which the message list honours).

import { el, isTyping } from "../../core/dom.js";
import { dayLabel, formatFull, formatTime } from "../../core/time.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { markMentions } from "../../ui/mention-marks.js";
import { profileLink } from "../../ui/profile-link.js";
import { conversationTitle } from "../channels/index.js";
import { jumpToMessage } from "../messages/index.js";
import { loadMentions } from "./actions.js";

export function mountMentionsPanel(store, { button, onOpen, toast = null }) {
  const list = el("ol", { class: "mentions-items", id: "mentions-items" });
  const status = el("div", { class: "mentions-status", role: "status" });
  const more = el("button", { type: "button", class: "btn btn-secondary mentions-more", hidden: true, text: "Load more" });
  const closeButton = el("button", { type: "button", class: "icon-btn", "aria-label": "Close mentions", title: "Close (Esc)" }, icon("M6 6l12 12M18 6L6 18"));
  const title = el("h2", { class: "mentions-title", id: "mentions-title", tabindex: "-1", text: "Mentions" });
  const panel = el("aside", { class: "mentions-panel", id: "mentions-panel", "aria-labelledby": "mentions-title", hidden: true },
    el("header", { class: "mentions-head" }, title, closeButton),
    el("div", { class: "mentions-scroll" }, list, status, more));
  document.body.append(panel);
  button.setAttribute("aria-controls", panel.id);
  button.setAttribute("aria-expanded", "false");

  let prev = {};

  function render(state) {
    const { mentions, channels, session } = state;
    if (mentions === prev.mentions && channels.list === prev.list) return;
    prev = { mentions, list: channels.list };
    panel.hidden = !mentions.open;
    button.setAttribute("aria-expanded", String(mentions.open));
    button.classList.toggle("active", mentions.open);
    if (!mentions.open) return;
    const me = session.user;
    list.replaceChildren(...mentions.items.map((m) => item(m, channels.list.find((c) => c.id === m.conversation_id), me)));
    if (mentions.error) status.textContent = `Couldn't load mentions: ${mentions.error}`;
    else if (mentions.loading) status.textContent = "Loading…";
    else if (mentions.loaded && mentions.items.length === 0) status.textContent = "Nobody has mentioned you yet. When someone writes @" + (me ? me.username : "you") + ", it shows up here.";
    else status.textContent = "";
    status.hidden = status.textContent === "";
    more.hidden = !(mentions.hasMore && !mentions.loading);
    more.textContent = mentions.error && mentions.loaded ? "Try again" : "Load more";
  }

  function item(m, conv, me) {
    const at = new Date(m.created_at);
    const body = el("div", { class: "mention-item-body msg-body", html: m.html });
    markMentions(body, me && me.username);
    return el("li", {},
      el("article", { class: "mention-item", dataset: { messageId: m.id, conversationId: m.conversation_id } },
        el("div", { class: "mention-item-head" },
          profileLink(avatar(m.author), m.author),
          el("span", { class: "mention-item-meta" },
            el("button", { type: "button", class: "mention-item-open link-btn", dataset: { open: "1" }, text: conv ? conversationTitle(conv, me && me.id) : "a channel you are not in" }),
            profileLink(el("button", { type: "button", class: "mention-item-author profile-link", text: authorName(m.author) }), m.author),
            el("time", { class: "mention-item-time", datetime: m.created_at, title: formatFull(at), text: `${dayLabel(at)} ${formatTime(at)}` }))),
        body));
  }

  function open() {
    store.dispatch({ type: "mentions/open" });
    if (!store.get().mentions.loaded) loadMentions(store);
    title.focus();
  }

  function close({ refocus = true } = {}) {
    if (!store.get().mentions.open) return;
    store.dispatch({ type: "mentions/close" });
    if (refocus && panel.contains(document.activeElement)) button.focus();
  }

  const toggle = () => (store.get().mentions.open ? close() : open());

  function jump(article) {
    const convId = Number(article.dataset.conversationId);
    const messageId = Number(article.dataset.messageId);
    close({ refocus: false });
    // Opens the conversation and shows the message, however far back (messages/jump.js).
    jumpToMessage(store, convId, messageId, { open: onOpen, toast });
  }

  button.addEventListener("click", toggle);
  closeButton.addEventListener("click", () => close());
  more.addEventListener("click", () => loadMentions(store, { older: store.get().mentions.loaded }));
  list.addEventListener("click", (event) => {
    const article = event.target.closest(".mention-item");
    if (!article) return;
    // Links inside a message open as links; anywhere else opens the conversation.
    if (event.target.closest("a") && !event.target.closest("[data-open]")) return;
    jump(article);
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    const anywhere = event.ctrlKey && event.shiftKey && event.key.toLowerCase() === "m";
    const plain = !event.ctrlKey && !event.shiftKey && event.key === "m" && !isTyping() && !document.querySelector("dialog[open]");
    if (anywhere || plain) {
      event.preventDefault();
      toggle();
    } else if (event.key === "Escape" && store.get().mentions.open && !isTyping()) {
      close();
    }
  });

  store.subscribe(render);
  render(store.get());
  return { open, close };
}

function icon(path) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", path);
  svg.append(p);
  return el("span", { class: "icon-wrap" }, svg);
}
