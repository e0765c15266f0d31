// The sidebar: Channels, Private channels and Direct messages with unread and mention
// badges, the top bar title, and the drawer on narrow screens. Rows are keyed by
// conversation id and updated in place, so a badge changing never steals focus.

import { el, hashIndex, initials } from "../../core/dom.js";
import { svgIcon as icon } from "../../ui/icons.js";
import { activeConversation, conversationLabel, countText, dmOthers, sections } from "./data.js";

export const LOCK = "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z";

function rowIcon(conv, meId) {
  if (conv.kind === "public") return el("span", { class: "channel-icon channel-hash", "aria-hidden": "true", text: "#" });
  if (conv.kind === "private") return el("span", { class: "channel-icon", "aria-hidden": "true" }, icon(LOCK));
  const others = dmOthers(conv, meId);
  if (others.length > 1) return el("span", { class: "channel-icon dm-group", "aria-hidden": "true", text: String(others.length) });
  const person = others[0] || (conv.members || [])[0] || { username: "?" };
  const name = person.display_name || person.username;
  // The presence feature fills `.presence-slot` (keyed by data-user-id) with a dot.
  return el("span", { class: "channel-icon dm-avatar", "aria-hidden": "true" },
    el("span", { class: ["mini-avatar", `av-${hashIndex(person.username || person.id, 8)}`], text: initials(name) }),
    el("span", { class: "presence-slot", dataset: { userId: person.id ?? "" } }));
}

function accessibleName(label, conv) {
  const parts = [label];
  if (conv.kind === "private") parts.push("private channel");
  if (conv.unread_count > 0) parts.push(`${conv.unread_count} unread`);
  if (conv.mention_count > 0) parts.push(`${conv.mention_count} ${conv.mention_count === 1 ? "mention" : "mentions"}`);
  if (conv.muted) parts.push("muted");
  return parts.join(", ");
}

export function mountChannels(store, { lists, title, topic, sigil, toggle, backdrop, closeButton, sidebar, nav, onSelect }) {
  let prev = null;
  let prevMe = null;
  const rows = new Map(); // id -> { li, button, iconSig, nameNode, mention, badge }

  function row(conv, meId) {
    let r = rows.get(conv.id);
    const label = conversationLabel(conv, meId);
    const iconSig = `${conv.kind}|${label}`;
    if (!r) {
      const button = el("button", { type: "button", class: "channel", dataset: { id: conv.id, kind: conv.kind } });
      r = {
        li: el("li", {}, button),
        button,
        iconSig: null,
        nameNode: el("span", { class: "channel-name" }),
        mention: el("span", { class: "mention-count", "aria-hidden": "true", hidden: true }),
        badge: el("span", { class: "badge", "aria-hidden": "true", hidden: true }),
      };
      rows.set(conv.id, r);
    }
    if (r.iconSig !== iconSig) {
      r.iconSig = iconSig;
      r.nameNode.textContent = label;
      r.button.replaceChildren(rowIcon(conv, meId), r.nameNode, r.mention, r.badge);
      const others = conv.kind === "dm" ? dmOthers(conv, meId) : [];
      if (others.length === 1) r.button.dataset.userId = others[0].id;
      else delete r.button.dataset.userId;
    }
    return { r, label };
  }

  function update({ r, label }, conv, activeId) {
    const active = conv.id === activeId;
    const unread = conv.unread_count || 0;
    const mentions = conv.mention_count || 0;
    const b = r.button;
    b.classList.toggle("active", active);
    b.classList.toggle("unread", unread > 0);
    b.classList.toggle("muted", Boolean(conv.muted));
    b.classList.toggle("has-mentions", mentions > 0);
    if (active) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
    r.mention.hidden = mentions === 0;
    r.mention.textContent = countText(mentions);
    // A mention badge says it all; the plain count shows when nobody mentioned you.
    r.badge.hidden = unread === 0 || mentions > 0;
    r.badge.textContent = countText(unread);
    b.setAttribute("aria-label", accessibleName(label, conv));
  }

  function place(ul, items) {
    let cursor = ul.firstChild;
    for (const li of items) {
      if (li === cursor) cursor = cursor.nextSibling;
      else ul.insertBefore(li, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
  }

  function render(state) {
    const channels = state.channels;
    const me = state.session.user;
    if (channels === prev && me === prevMe) return;
    prev = channels;
    prevMe = me;
    const meId = me ? me.id : null;
    const parts = sections(channels.list, channels.activeId);
    const seen = new Set();
    for (const [key, ul] of Object.entries(lists)) {
      const items = [];
      for (const conv of parts[key]) {
        const built = row(conv, meId);
        update(built, conv, channels.activeId);
        items.push(built.r.li);
        seen.add(conv.id);
      }
      place(ul, items);
      ul.closest("section")?.classList.toggle("empty", items.length === 0);
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);

    // On a phone the sidebar is a closed drawer: a dot on its button says something
    // elsewhere is unread (red when it mentions you), as the badges would.
    const elsewhere = channels.list.filter((c) => c.id !== channels.activeId && !c.muted && !c.hidden && !c.archived);
    toggle.classList.toggle("has-unread", elsewhere.some((c) => c.unread_count > 0));
    toggle.classList.toggle("has-mentions", elsewhere.some((c) => c.mention_count > 0 || (c.kind === "dm" && c.unread_count > 0)));

    const conv = activeConversation(channels);
    title.textContent = conv ? conversationLabel(conv, meId) : "";
    topic.textContent = conv && conv.topic ? conv.topic : "";
    topic.hidden = !(conv && conv.topic);
    sigil.replaceChildren();
    sigil.hidden = !conv || conv.kind === "dm";
    if (conv && conv.kind === "private") sigil.append(icon(LOCK, "sigil-lock"));
    else if (conv && conv.kind === "public") sigil.textContent = "#";
  }

  nav.addEventListener("click", (event) => {
    const button = event.target.closest("button.channel");
    if (!button) return;
    const conv = store.get().channels.list.find((c) => String(c.id) === button.dataset.id);
    if (conv) onSelect(conv.id);
    closeDrawer();
  });

  // Up/Down walk the sidebar's conversations, Home/End jump to its ends.
  nav.addEventListener("keydown", (event) => {
    const current = event.target.closest && event.target.closest("button.channel");
    if (!current || event.altKey || event.ctrlKey || event.metaKey) return;
    const all = [...nav.querySelectorAll("button.channel")];
    const at = all.indexOf(current);
    let next = null;
    if (event.key === "ArrowDown") next = all[at + 1];
    else if (event.key === "ArrowUp") next = all[at - 1];
    else if (event.key === "Home") next = all[0];
    else if (event.key === "End") next = all[all.length - 1];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // ---- drawer (narrow screens) --------------------------------------------
  function openDrawer() {
    document.body.classList.add("drawer-open");
    toggle.setAttribute("aria-expanded", "true");
    backdrop.hidden = false;
    const current = nav.querySelector("[aria-current=page]") || nav.querySelector("button");
    if (current) current.focus();
  }

  function closeDrawer() {
    if (!document.body.classList.contains("drawer-open")) return;
    document.body.classList.remove("drawer-open");
    toggle.setAttribute("aria-expanded", "false");
    backdrop.hidden = true;
    if (sidebar.contains(document.activeElement)) toggle.focus();
  }

  toggle.addEventListener("click", () => (document.body.classList.contains("drawer-open") ? closeDrawer() : openDrawer()));
  backdrop.addEventListener("click", closeDrawer);
  closeButton.addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("drawer-open") && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      closeDrawer();
    }
  });

  store.subscribe(render);
  render(store.get());
  return { closeDrawer };
}
