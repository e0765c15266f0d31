// DOM builders for the message list's rows. Text goes in through textContent; the only
// html is the server-rendered, sanitized message body.

import { el } from "../../core/dom.js";
import { formatFull, formatTime } from "../../core/time.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { iconButton, svgIcon } from "../../ui/icons.js";
import { markMentions } from "../../ui/mention-marks.js";
import { messageKey } from "./data.js";

/** The author's name: a button opening their profile card, in their colour if they chose one. */
export function authorLabel(author) {
  if (!author) return el("span", { class: "msg-author", text: authorName(author) });
  const node = el("button", { type: "button", class: "msg-author", title: `@${author.username}`, dataset: { profile: String(author.id) }, text: authorName(author) });
  if (author.color) node.style.color = author.color;
  return node;
}

export function skeleton() {
  const node = el("div", { class: "skeleton", "aria-busy": "true" }, el("span", { class: "visually-hidden", text: "Loading messages…" }));
  for (let i = 0; i < 6; i++) {
    node.append(el("div", { class: "skeleton-row" }, el("span", { class: "skeleton-avatar" }),
      el("span", { class: "skeleton-lines" }, el("span", { class: "skeleton-line short" }), el("span", { class: "skeleton-line" }))));
  }
  return node;
}

export function loadError(message) {
  return el("div", { class: "timeline-error", role: "alert" },
    el("p", { text: `Couldn't load messages: ${message}` }),
    el("button", { type: "button", class: "btn btn-secondary", dataset: { action: "reload" }, text: "Try again" }));
}

export function olderRow(conv) {
  if (conv.error) {
    return el("div", { class: "older-row", role: "alert" }, el("span", { text: "Couldn't load older messages." }),
      el("button", { type: "button", class: "link-btn", dataset: { action: "older" }, text: "Try again" }));
  }
  return el("div", { class: ["older-row", conv.loadingOlder && "loading"] },
    conv.loadingOlder
      ? [el("span", { class: "spinner", "aria-hidden": "true" }), el("span", { text: "Loading older messages…" })]
      : el("button", { type: "button", class: "link-btn", dataset: { action: "older" }, text: "Load older messages" }));
}

/** Below an old window (window mode): newer messages load as you reach it. */
export function newerRow(conv) {
  if (conv.error) {
    return el("div", { class: "older-row newer-row", role: "alert" }, el("span", { text: "Couldn't load newer messages." }),
      el("button", { type: "button", class: "link-btn", dataset: { action: "newer" }, text: "Try again" }));
  }
  return el("div", { class: ["older-row", "newer-row", conv.loadingNewer && "loading"] },
    conv.loadingNewer
      ? [el("span", { class: "spinner", "aria-hidden": "true" }), el("span", { text: "Loading newer messages…" })]
      : el("button", { type: "button", class: "link-btn", dataset: { action: "newer" }, text: "Load newer messages" }));
}

const LOCK = "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z";

export function intro(channel) {
  const name = channel ? channel.name : "";
  const topic = channel && channel.topic ? ` ${channel.topic}` : "";
  if (channel && channel.kind === "private") {
    // A private channel has a lock, as in the sidebar and the header, never a "#".
    return el("div", { class: "conv-intro" },
      el("div", { class: "conv-intro-icon", "aria-hidden": "true" }, svgIcon(LOCK)),
      el("h2", { text: `Welcome to ${name}` }),
      el("p", { text: `This is the very beginning of ${name}. Only its members can see it.${topic}` }));
  }
  return el("div", { class: "conv-intro" },
    el("div", { class: "conv-intro-icon", "aria-hidden": "true", text: "#" }),
    el("h2", { text: `Welcome to #${name}` }),
    el("p", { text: `This is the very beginning of #${name}.${topic}` }));
}

export function dayDivider(label) {
  return el("div", { class: "day-divider", role: "separator", "aria-label": label }, el("span", { text: label }));
}

/**
 * One message. `editorNode` (the inline editor) replaces the body while editing; `me`
 * (the signed-in user) marks mentions of me, and a row that mentions me is highlighted.
 * `decorations` (decorations.js) adds what other features show on a row; `presenceDot`
 * (the presence feature's, handed over by main.js) marks the author's status.
 */
export function messageRow(m, { grouped, own, editorNode = null, me = null, decorations, presenceDot }) {
  const context = { me, own };
  const decorated = (slot) => decorations.render(slot, m, context);
  const time = (cls) => el("time", { class: cls, datetime: m.created_at, title: formatFull(m.created_at), text: formatTime(m.created_at) });
  const row = el("article", {
    class: ["msg", grouped && "grouped", own && "own", m.pending && "pending", m.failed && "failed", m.deleted_at && "deleted", editorNode && "editing"],
    dataset: { key: messageKey(m), id: m.id ?? "", author: (m.author && m.author.username) || "" },
  });
  const face = grouped ? null : avatar(m.author);
  if (face && m.author) face.dataset.profile = String(m.author.id);
  row.append(el("div", { class: "msg-gutter" }, grouped ? time("msg-time-hover") : [face, m.author && presenceDot(m.author.id)]));
  const main = el("div", { class: "msg-main" });
  if (!grouped) {
    main.append(el("div", { class: "msg-head" },
      authorLabel(m.author),
      time("msg-time"), ...decorated("badges")));
  } else {
    main.append(el("span", { class: "visually-hidden", text: `${authorName(m.author)}, ${formatTime(m.created_at)}: ` }));
  }
  if (grouped) main.append(...decorated("badges"));
  if (!m.deleted_at) main.append(...decorated("quote"));
  if (editorNode) {
    main.append(editorNode);
  } else if (m.deleted_at) {
    main.append(el("p", { class: "msg-body msg-tombstone" }, el("em", { text: "message deleted" })));
  } else {
    const body = el("div", { class: "msg-body", html: m.html });
    if (markMentions(body, me && me.username) && !own) row.classList.add("mentions-me");
    if (m.edited_at) {
      const marker = el("span", { class: "msg-edited", title: `Edited ${formatFull(m.edited_at)}`, text: "(edited)" });
      const lastBlock = body.lastElementChild;
      (lastBlock && lastBlock.tagName === "P" ? lastBlock : body).append(" ", marker);
    }
    main.append(body);
    for (const slot of ["files", "preview", "reactions"]) main.append(...decorated(slot));
  }
  if (m.pending && !m.failed) main.append(el("span", { class: "msg-sending", text: "Sending…" }));
  if (m.failed) {
    main.append(el("div", { class: "msg-failed", role: "alert" },
      el("span", { text: `Not sent${m.error ? `: ${m.error}` : "."}` }),
      el("button", { type: "button", class: "link-btn", dataset: { action: "retry" }, text: "Retry" }),
      el("button", { type: "button", class: "link-btn", dataset: { action: "discard" }, text: "Discard" })));
  }
  row.append(main);
  if (!m.pending && !m.deleted_at && !editorNode) {
    const buttons = decorated("actions");
    if (own) {
      buttons.push(iconButton("edit", "Edit message", "M4 20h4l10-10-4-4L4 16v4zM14 6l4 4"),
        iconButton("delete", "Delete message", "M5 7h14M10 11v6M14 11v6M6 7l1 12h10l1-12M9 7V4h6v3"));
    }
    if (buttons.length) row.append(el("div", { class: "msg-actions", role: "group", "aria-label": "Message actions" }, buttons));
  }
  return row;
}
