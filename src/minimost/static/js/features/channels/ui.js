// Sidebar channel list, the top bar title, and the drawer on narrow screens.

import { el } from "../../core/dom.js";
import { activeConversation, totalUnread } from "./data.js";

export function mountChannels(store, { list, title, topic, toggle, backdrop, closeButton, sidebar, onSelect }) {
  let prev = null;
  const buttons = new Map();

  function render(state) {
    const channels = state.channels;
    if (channels === prev) return;
    const listChanged = !prev || prev.list !== channels.list;
    prev = channels;
    if (listChanged) {
      list.replaceChildren();
      buttons.clear();
      for (const c of channels.list) {
        const badge = el("span", { class: "badge", hidden: true });
        const button = el("button", { type: "button", class: "channel", dataset: { id: c.id } },
          el("span", { class: "channel-hash", "aria-hidden": "true", text: "#" }),
          el("span", { class: "channel-name", text: c.name }), badge);
        buttons.set(c.id, { button, badge, name: c.name });
        list.append(el("li", {}, button));
      }
    }
    for (const [id, { button, badge, name }] of buttons) {
      const active = id === channels.activeId;
      const unread = channels.unread[id] || 0;
      button.classList.toggle("active", active);
      button.classList.toggle("unread", unread > 0);
      if (active) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
      badge.hidden = unread === 0;
      badge.textContent = unread > 99 ? "99+" : String(unread);
      button.setAttribute("aria-label", unread ? `${name}, ${unread} unread` : name);
    }
    const conv = activeConversation(channels);
    title.textContent = conv ? conv.name : "";
    topic.textContent = conv && conv.topic ? conv.topic : "";
    topic.hidden = !(conv && conv.topic);
    const count = totalUnread(channels);
    document.title = `${count ? `(${count}) ` : ""}${conv ? `#${conv.name} · ` : ""}MiniMost`;
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.channel");
    if (!button) return;
    const conv = store.get().channels.list.find((c) => String(c.id) === button.dataset.id);
    if (conv) onSelect(conv.id);
    closeDrawer();
  });

  // ---- drawer (narrow screens) --------------------------------------------
  function openDrawer() {
    document.body.classList.add("drawer-open");
    toggle.setAttribute("aria-expanded", "true");
    backdrop.hidden = false;
    const current = list.querySelector("[aria-current=page]") || list.querySelector("button");
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
    if (event.key === "Escape" && document.body.classList.contains("drawer-open")) {
      event.preventDefault();
      closeDrawer();
    }
  });

  store.subscribe(render);
  render(store.get());
  return { closeDrawer };
}
