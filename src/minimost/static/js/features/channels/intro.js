// The first row of a DM's history (channels use the message list's own intro).

import { el, hashIndex, initials } from "../../core/dom.js";
import { personName } from "../../core/people.js";
import { conversationLabel, dmOthers } from "./data.js";

export function dmIntro(conv, me) {
  const meId = me ? me.id : null;
  const others = dmOthers(conv, meId);
  const people = others.length ? others : conv.members || [];
  const text = others.length === 0
    ? "This is your space for notes, drafts and links. Nobody else sees it."
    : `This is the very beginning of your conversation with ${conversationLabel(conv, meId)}.`;
  return el("div", { class: "conv-intro dm-intro" },
    el("div", { class: "dm-intro-faces", "aria-hidden": "true" }, people.slice(0, 4).map((u) =>
      el("span", { class: ["avatar", `av-${hashIndex(u.username || u.id, 8)}`], text: initials(personName(u)) }))),
    el("h2", { text: conversationLabel(conv, meId) }),
    el("p", { text }));
}
