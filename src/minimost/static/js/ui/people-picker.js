// A people picker: a search box (ARIA combobox) over GET /users?q=, a listbox of
// matches, and the chosen people as removable chips. Used by the DM picker, the
// "Create private channel" dialog and "Add people".

import { api, describeError } from "../core/api.js";
import { el, hashIndex, initials, nextId } from "../core/dom.js";
import { personName } from "../core/people.js";

const SEARCH_DELAY_MS = 120;

export async function searchUsers(query, { limit = 20, signal } = {}) {
  const q = encodeURIComponent(query.trim());
  const { users } = await api.get(`/api/v1/users?q=${q}&limit=${limit}`, { signal });
  return users;
}

/** Users to offer: not already chosen (nor excluded), you last, at most `limit`. */
export function candidates(users, { chosen = [], exclude = [], meId = null, limit = 20 } = {}) {
  const skip = new Set([...chosen.map((u) => u.id), ...exclude]);
  const out = users.filter((u) => !skip.has(u.id));
  out.sort((a, b) => (a.id === meId) - (b.id === meId));
  return out.slice(0, limit);
}

/**
 * What a key does in the picker's search box:
 *   "next" / "prev"  move the highlight;  "choose"  add the highlighted person;
 *   "submit"  open the DM / run the dialog's action;  "unchoose"  drop the last chip.
 */
export function pickerKey(event, { query, highlighted, chosenCount }) {
  switch (event.key) {
    case "ArrowDown":
      return "next";
    case "ArrowUp":
      return "prev";
    case "Enter":
      if (event.isComposing) return null;
      if (query.trim() && highlighted !== null) return "choose";
      if (!query.trim() && highlighted !== null && chosenCount === 0) return "choose";
      return chosenCount > 0 ? "submit" : null;
    case "Backspace":
      return !query && chosenCount > 0 ? "unchoose" : null;
    default:
      return null;
  }
}

/** Highlight index after `action`, wrapping within `count` options. */
export function moveHighlight(index, action, count) {
  if (count === 0) return null;
  if (index === null) return action === "prev" ? count - 1 : 0;
  return action === "prev" ? (index - 1 + count) % count : (index + 1) % count;
}

function miniAvatar(user) {
  return el("span", {
    class: ["mini-avatar", `av-${hashIndex(user.username || user.id, 8)}`],
    "aria-hidden": "true",
    text: initials(personName(user)),
  });
}

/**
 * createPeoplePicker({ label, meId, exclude, canChoose, onSubmit, onChange })
 *   meId()         your id (marked "you" in the list)
 *   exclude()      ids never offered (e.g. current members)
 *   canChoose(c)   whether one more person fits (given the chosen list)
 *   onSubmit()     Enter with people chosen and an empty search box
 */
export function createPeoplePicker({ label, meId: meIdOf = () => null, exclude = () => [], canChoose = () => true, onSubmit = () => {}, onChange = () => {} }) {
  const id = nextId("people-");
  const me = () => (typeof meIdOf === "function" ? meIdOf() : meIdOf);
  let chosen = [];
  let options = [];
  let highlighted = null;
  let timer = null;
  let controller = null;

  const chips = el("ul", { class: "chips", "aria-label": "Chosen people" });
  const input = el("input", {
    type: "text",
    class: "picker-input",
    role: "combobox",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": label,
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": `${id}-list`,
    placeholder: "Type a name",
  });
  const list = el("ul", { class: "picker-options", role: "listbox", id: `${id}-list`, "aria-label": "Matching people" });
  const status = el("p", { class: "picker-status", role: "status" });
  const root = el("div", { class: "people-picker" }, el("div", { class: "picker-field" }, chips, input), list, status);

  root.querySelector(".picker-field").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) input.focus();
  });

  function renderChips() {
    chips.replaceChildren(...chosen.map((user) =>
      el("li", { class: "chip", dataset: { userId: user.id } },
        miniAvatar(user),
        el("span", { class: "chip-name", text: user.id === me() ? `${personName(user)} (you)` : personName(user) }),
        el("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${personName(user)}`, text: "×", onclick: () => unchoose(user.id) }))));
    onChange(chosen.slice());
  }

  function renderOptions() {
    list.replaceChildren(...options.map((user, i) =>
      el("li", {
        class: ["picker-option", i === highlighted && "highlighted"],
        role: "option",
        id: `${id}-opt-${user.id}`,
        "aria-selected": i === highlighted ? "true" : "false",
        dataset: { userId: user.id },
      },
      miniAvatar(user),
      el("span", { class: "option-name", text: personName(user) }),
      el("span", { class: "option-username", text: `@${user.username}${user.id === me() ? " (you)" : ""}` }))));
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    if (highlighted !== null && options[highlighted]) {
      input.setAttribute("aria-activedescendant", `${id}-opt-${options[highlighted].id}`);
      list.children[highlighted].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  async function search() {
    if (controller) controller.abort();
    controller = new AbortController();
    const query = input.value;
    try {
      const users = await searchUsers(query, { signal: controller.signal });
      if (query !== input.value) return; // typed on meanwhile
      options = candidates(users, { chosen, exclude: exclude(), meId: me() });
      highlighted = options.length && query.trim() ? 0 : null;
      status.textContent = options.length ? "" : query.trim() ? "No one matches." : "";
    } catch (err) {
      if (err && err.name === "AbortError") return;
      options = [];
      highlighted = null;
      status.textContent = `Couldn't search: ${describeError(err)}`;
    }
    renderOptions();
  }

  function scheduleSearch(delay = SEARCH_DELAY_MS) {
    clearTimeout(timer);
    timer = setTimeout(search, delay);
  }

  function choose(user) {
    if (!user || chosen.some((u) => u.id === user.id)) return;
    if (!canChoose(chosen)) {
      status.textContent = "That's as many people as fit.";
      return;
    }
    chosen = chosen.concat([user]);
    input.value = "";
    renderChips();
    scheduleSearch(0);
    input.focus();
  }

  function unchoose(userId) {
    chosen = chosen.filter((u) => u.id !== userId);
    renderChips();
    scheduleSearch(0);
    input.focus();
  }

  input.addEventListener("input", () => scheduleSearch());
  input.addEventListener("keydown", (event) => {
    const action = pickerKey(event, { query: input.value, highlighted, chosenCount: chosen.length });
    if (event.key === "Enter") event.preventDefault(); // never an implicit form submit
    if (!action) return;
    event.preventDefault();
    if (action === "next" || action === "prev") {
      highlighted = moveHighlight(highlighted, action, options.length);
      renderOptions();
    } else if (action === "choose") {
      choose(options[highlighted]);
    } else if (action === "unchoose") {
      unchoose(chosen[chosen.length - 1].id);
    } else if (action === "submit") {
      onSubmit();
    }
  });
  list.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) choose(options.find((u) => String(u.id) === option.dataset.userId));
  });

  return {
    root,
    input,
    chosen: () => chosen.slice(),
    focus: () => input.focus(),
    reset() {
      clearTimeout(timer);
      if (controller) controller.abort();
      chosen = [];
      options = [];
      highlighted = null;
      input.value = "";
      status.textContent = "";
      renderChips();
      renderOptions();
    },
    /** Load the first suggestions (everyone, by name). */
    start() {
      scheduleSearch(0);
    },
    setStatus(text) {
      status.textContent = text;
    },
  };
}
