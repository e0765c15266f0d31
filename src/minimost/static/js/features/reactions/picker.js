// The emoji picker: a popover next to the button that opened it. Search by name, keyword
// or shortcode; categories; recently used first (kept in localStorage). Keyboard: focus
// stays in the search box and the arrows move through the emoji (aria-activedescendant),
// Enter picks, Esc closes and returns focus. The data (static/data/emoji.json) is fetched
// the first time the picker opens.

import { el } from "../../core/dom.js";
import { iconButton } from "../../ui/icons.js";
import { indexEmoji, pushRecent, searchEmoji } from "./data.js";

const DATA_URL = "/static/data/emoji.json";
const RECENT_KEY = "minimost.emoji.recent";
const DEFAULT_RECENT = ["👍", "❤️", "😄", "🎉", "😮", "😢", "🙏", "👀"];
const SMILEY = "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01";

/**
 * A loader of the emoji index: each call of the function it returns gives the index,
 * fetched once (one loader per page, shared by the picker and the chips' titles).
 */
export function createEmojiLoader() {
  let indexPromise = null;
  return function loadEmojiIndex() {
    if (!indexPromise) {
      indexPromise = fetch(DATA_URL, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then(indexEmoji)
        .catch((err) => {
          indexPromise = null; // try again next time
          throw err;
        });
    }
    return indexPromise;
  };
}

export function readRecent() {
  try {
    const stored = JSON.parse(localStorage.getItem(RECENT_KEY) || "null");
    return Array.isArray(stored) && stored.length ? stored.filter((e) => typeof e === "string") : DEFAULT_RECENT;
  } catch {
    return DEFAULT_RECENT;
  }
}

function rememberRecent(emoji) {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(pushRecent(readRecent(), emoji)));
  } catch {
    /* storage disabled: recents just don't persist */
  }
}

/** The "Add reaction" button in every message's action bar. */
export function registerReactAction(decorations) {
  decorations.decorate("actions", (m) => (m.id !== null && m.id !== undefined && !m.deleted_at ? iconButton("react", "Add reaction", SMILEY) : null));
}

export function createPicker(loadEmojiIndex) {
  const search = el("input", {
    type: "search", class: "field-input emoji-search", placeholder: "Search emoji", "aria-label": "Search emoji",
    role: "combobox", "aria-expanded": "true", "aria-controls": "emoji-grid", autocomplete: "off", spellcheck: "false",
  });
  const tabs = el("div", { class: "emoji-tabs", role: "toolbar", "aria-label": "Emoji categories" });
  const grid = el("div", { class: "emoji-grid", id: "emoji-grid", role: "listbox", "aria-label": "Emoji" });
  const preview = el("div", { class: "emoji-preview", "aria-hidden": "true" });
  const status = el("p", { class: "emoji-status", role: "status" });
  const popover = el("div", { class: "emoji-picker", role: "dialog", "aria-label": "Choose an emoji", hidden: true },
    search, tabs, grid, status, preview);
  document.body.append(popover);

  let index = null;
  let options = []; // the visible option nodes, in order
  let active = -1;
  let anchor = null;
  let onPick = null;

  function option(e, section, n) {
    const code = e.shortcodes.length ? ` :${e.shortcodes[0]}:` : "";
    return el("button", {
      type: "button", role: "option", tabindex: "-1", class: "emoji-option", id: `emoji-${section}-${n}`,
      "aria-label": e.name, title: `${e.name}${code}`, "aria-selected": "false", dataset: { char: e.char },
    }, e.char);
  }

  function section(key, title, list) {
    return el("section", { class: "emoji-section", dataset: { key } },
      el("h3", { class: "emoji-section-title", text: title }),
      el("div", { class: "emoji-section-items", role: "group", "aria-label": title }, list.map((e, n) => option(e, key, n))));
  }

  function byChar(char) {
    return index.emoji.find((e) => e.char === char) || { char, name: char, shortcodes: [], keywords: [] };
  }

  function render() {
    if (!index) return;
    const query = search.value;
    let sections;
    if (query.trim()) {
      const found = searchEmoji(index, query);
      sections = found.length ? [section("results", "Search results", found)] : [];
      status.textContent = found.length ? "" : "No emoji found";
    } else {
      status.textContent = "";
      sections = [section("recent", "Recently used", readRecent().map(byChar))];
      index.categories.forEach((c, n) => sections.push(section(c.key, c.name, index.emoji.filter((e) => e.category === n))));
    }
    status.hidden = !status.textContent;
    grid.replaceChildren(...sections);
    grid.scrollTop = 0;
    options = [...grid.querySelectorAll(".emoji-option")];
    setActive(options.length ? 0 : -1, { scroll: false });
    tabs.hidden = Boolean(query.trim());
  }

  function renderTabs() {
    const items = [{ key: "recent", name: "Recently used", icon: "🕘" }].concat(
      index.categories.map((c, n) => ({ ...c, icon: (index.emoji.find((e) => e.category === n) || {}).char || "?" })));
    tabs.replaceChildren(...items.map((c) => el("button", {
      type: "button", class: "emoji-tab", title: c.name, "aria-label": c.name, dataset: { key: c.key }, tabindex: "-1",
    }, c.icon)));
  }

  function setActive(n, { scroll = true } = {}) {
    if (options[active]) options[active].setAttribute("aria-selected", "false");
    active = n;
    const node = options[active];
    if (!node) {
      search.removeAttribute("aria-activedescendant");
      preview.textContent = "";
      return;
    }
    node.setAttribute("aria-selected", "true");
    search.setAttribute("aria-activedescendant", node.id);
    preview.textContent = `${node.dataset.char}  ${node.title}`;
    if (scroll) node.scrollIntoView({ block: "nearest" });
  }

  /** The option in the row above/below the active one, nearest horizontally. */
  function vertical(direction) {
    const current = options[active];
    if (!current) return 0;
    const top = current.offsetTop + current.parentElement.offsetTop;
    const left = current.offsetLeft;
    let best = -1;
    let bestTop = direction > 0 ? Infinity : -Infinity;
    let bestDx = Infinity;
    options.forEach((node, n) => {
      const t = node.offsetTop + node.parentElement.offsetTop;
      if (direction > 0 ? t <= top : t >= top) return;
      const dx = Math.abs(node.offsetLeft - left);
      const closerRow = direction > 0 ? t < bestTop : t > bestTop;
      if (closerRow || (t === bestTop && dx < bestDx)) {
        best = n;
        bestTop = t;
        bestDx = dx;
      }
    });
    return best === -1 ? active : best;
  }

  function place() {
    const r = anchor.getBoundingClientRect();
    const width = popover.offsetWidth;
    const height = popover.offsetHeight;
    const below = r.bottom + 6 + height <= innerHeight;
    const top = below ? r.bottom + 6 : Math.max(8, r.top - 6 - height);
    const left = Math.min(Math.max(8, r.right - width), innerWidth - width - 8);
    popover.style.top = `${Math.round(top)}px`;
    popover.style.left = `${Math.round(Math.max(8, left))}px`;
  }

  function pick(char) {
    const done = onPick;
    rememberRecent(char);
    close();
    if (done) done(char);
  }

  async function open(trigger, picked) {
    if (!popover.hidden && anchor === trigger) return close();
    anchor = trigger;
    onPick = picked;
    popover.hidden = false;
    search.value = "";
    status.hidden = false;
    place();
    search.focus();
    if (!index) {
      status.textContent = "Loading emoji…";
      try {
        index = await loadEmojiIndex();
        renderTabs();
      } catch {
        status.textContent = "Couldn't load the emoji. Try again.";
        return;
      }
    }
    if (!popover.hidden) {
      render();
      place();
    }
  }

  function close({ refocus = true } = {}) {
    if (popover.hidden) return;
    popover.hidden = true;
    const back = anchor;
    anchor = null;
    onPick = null;
    if (refocus && back && back.isConnected) back.focus();
  }

  search.addEventListener("input", render);
  search.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: () => active + 1, ArrowLeft: () => active - 1, ArrowDown: () => vertical(1), ArrowUp: () => vertical(-1) };
    // Left/Right move through the grid too: a search is a word or two, rarely edited mid-way.
    if (moves[event.key] && options.length) {
      event.preventDefault();
      setActive(Math.min(options.length - 1, Math.max(0, moves[event.key]())));
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (options[active]) pick(options[active].dataset.char);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Tab") {
      close({ refocus: false });
    }
  });
  grid.addEventListener("click", (event) => {
    const node = event.target.closest(".emoji-option");
    if (node) pick(node.dataset.char);
  });
  grid.addEventListener("mousemove", (event) => {
    const node = event.target.closest(".emoji-option");
    const n = node ? options.indexOf(node) : -1;
    if (n !== -1 && n !== active) setActive(n, { scroll: false });
  });
  tabs.addEventListener("click", (event) => {
    const tab = event.target.closest(".emoji-tab");
    const target = tab && grid.querySelector(`.emoji-section[data-key="${CSS.escape(tab.dataset.key)}"]`);
    if (target) grid.scrollTop = target.offsetTop - grid.offsetTop;
    search.focus();
  });
  document.addEventListener("pointerdown", (event) => {
    if (!popover.hidden && !popover.contains(event.target) && !(anchor && anchor.contains(event.target))) close({ refocus: false });
  });
  addEventListener("resize", () => {
    if (!popover.hidden && anchor && anchor.isConnected) place();
  });

  return { open, close, isOpen: () => !popover.hidden };
}
