// "Browse channels": search the public channels, join one (or open one you are in).
// Also offers "Create private channel", since this is where people look for it.

import { describeError } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { createModal } from "../../ui/modal.js";
import { browseChannels, joinChannel } from "../channels/index.js";
import { browseRows, memberCountText } from "./data.js";

const SEARCH_DELAY_MS = 150;

export function mountChannelBrowser(store, { openButton, onOpen, onCreatePrivate }) {
  const modal = createModal({ title: "Browse channels", className: "browser-dialog" });
  const search = el("input", {
    type: "search",
    class: "field-input browser-search",
    "aria-label": "Search channels",
    placeholder: "Search channels",
    autocomplete: "off",
  });
  const list = el("ul", { class: "browser-list", "aria-label": "Public channels" });
  const status = el("p", { class: "picker-status", role: "status" });
  modal.body.append(search, status, list,
    el("div", { class: "dialog-actions" },
      el("button", { type: "button", class: "btn btn-secondary", text: "Create private channel", onclick: () => {
        modal.close();
        onCreatePrivate();
      } })));

  let timer = null;
  let controller = null;

  function row(channel) {
    const joined = channel.is_member || store.get().channels.list.some((c) => c.id === channel.id);
    const action = el("button", {
      type: "button",
      class: ["btn", "btn-small", joined ? "btn-secondary" : "btn-primary"],
      "aria-label": `${joined ? "Open" : "Join"} ${channel.name}`,
      text: joined ? "Open" : "Join",
    });
    action.addEventListener("click", () => pick(channel, joined, action));
    return el("li", { class: "browser-row", dataset: { id: channel.id } },
      el("div", { class: "browser-info" },
        el("span", { class: "browser-name" }, el("span", { class: "channel-hash", "aria-hidden": "true", text: "#" }), channel.name),
        channel.topic ? el("span", { class: "browser-topic", text: channel.topic }) : null,
        el("span", { class: "browser-count", text: memberCountText(channel.member_count) })),
      action);
  }

  async function load() {
    if (controller) controller.abort();
    controller = new AbortController();
    const query = search.value;
    status.textContent = "Loading…";
    try {
      const rows = browseRows(await browseChannels(query, { signal: controller.signal }));
      if (query !== search.value) return;
      list.replaceChildren(...rows.map(row));
      status.textContent = rows.length ? "" : query.trim() ? "No channel matches." : "No public channels yet.";
    } catch (err) {
      if (err && err.name === "AbortError") return;
      status.textContent = `Couldn't load channels: ${describeError(err)}`;
    }
  }

  async function pick(channel, joined, button) {
    if (!joined) {
      button.disabled = true;
      try {
        await joinChannel(store, channel);
      } catch (err) {
        button.disabled = false;
        status.textContent = `Couldn't join ${channel.name}: ${describeError(err)}`;
        return;
      }
    }
    modal.close();
    onOpen(channel.id);
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, SEARCH_DELAY_MS);
  });
  // Down from the search box goes to the first channel's button.
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      const first = list.querySelector("button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Enter") {
      event.preventDefault();
      const only = list.querySelectorAll("button");
      if (only.length === 1) only[0].click();
    }
  });
  list.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const buttons = [...list.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (at === -1) return;
    event.preventDefault();
    const next = buttons[at + (event.key === "ArrowDown" ? 1 : -1)];
    (next || (event.key === "ArrowUp" ? search : buttons[at])).focus();
  });
  modal.onClose(() => {
    clearTimeout(timer);
    if (controller) controller.abort();
  });

  function open() {
    search.value = "";
    list.replaceChildren();
    modal.open();
    search.focus();
    load();
  }

  openButton.addEventListener("click", open);
  return { open };
}
