// Presence in the page: tells the server whether this tab is active or idle, keeps every
// presence dot current, and runs the status menu on my card ("Appear away", "Do not
// disturb", "Automatic").

import { describeError, request } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { activityStatus, IDLE_AFTER_MS, ownStatus, statusLabel } from "./data.js";

const CHOICES = [
  { override: "auto", label: "Automatic", hint: "Online while you use MiniMost" },
  { override: "away", label: "Appear away", hint: "Shown as away" },
  { override: "dnd", label: "Do not disturb", hint: "Shown as busy" },
];
const INPUT_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "focus"];

/** `dots`: this page's presence dots (createPresenceDots), which this keeps current. */
export function mountPresence(store, { send, button, meDot, menu, toast, dots }) {
  // ---- this tab's activity ---------------------------------------------------
  let told = null; // what the server last heard from this tab
  let lastInputAt = Date.now();
  let idleTimer = null;

  function evaluate() {
    const now = Date.now();
    const status = activityStatus({ hidden: document.visibilityState === "hidden", lastInputAt, now });
    if (status !== told) {
      told = status;
      send({ type: "presence", status });
    }
    clearTimeout(idleTimer);
    // Look again when the quiet period would run out; input in between pushes it back.
    if (status === "active") idleTimer = setTimeout(evaluate, lastInputAt + IDLE_AFTER_MS - now + 50);
  }

  function onInput() {
    lastInputAt = Date.now();
    if (told !== "active") evaluate();
  }

  for (const type of INPUT_EVENTS) document.addEventListener(type, onInput, { capture: true, passive: true });
  document.addEventListener("visibilitychange", evaluate);

  // ---- dots and my card ------------------------------------------------------
  // Other features leave `.presence-slot`s in their markup; fill them as they appear.
  dots.fillSlots(document.body);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === 1) dots.fillSlots(node);
    }
  }).observe(document.body, { childList: true, subtree: true });
  let prevPresence = null;
  let prevMine = null;

  function render(state) {
    if (state.presence !== prevPresence) {
      prevPresence = state.presence;
      dots.refresh(document);
    }
    const me = state.session.user;
    const mine = me ? ownStatus(state.presence, me.id, state.connection && state.connection.status === "online") : "offline";
    const key = `${mine}|${state.presence.override}`;
    if (key === prevMine) return;
    prevMine = key;
    meDot.dataset.presence = mine;
    button.setAttribute("aria-label", `Your status: ${statusLabel(mine)}. Change status`);
    button.title = `${statusLabel(mine)} · change status`;
    for (const item of menu.querySelectorAll("[data-override]")) {
      item.setAttribute("aria-checked", String(item.dataset.override === state.presence.override));
    }
  }

  // ---- the status menu -------------------------------------------------------
  menu.replaceChildren(...CHOICES.map(({ override, label, hint }) =>
    el("button", { type: "button", class: "presence-choice", role: "menuitemradio", "aria-checked": "false", tabindex: "-1", dataset: { override } },
      el("span", { class: "presence-dot", "aria-hidden": "true", dataset: { presence: override === "auto" ? "online" : override } }),
      el("span", { class: "presence-choice-text" }, el("span", { text: label }), el("span", { class: "presence-choice-hint", text: hint })))));
  const items = () => [...menu.querySelectorAll("[role=menuitemradio]")];

  function openMenu() {
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const checked = items().find((i) => i.getAttribute("aria-checked") === "true") ?? items()[0];
    checked.focus();
  }

  function closeMenu(refocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  async function choose(override) {
    closeMenu();
    const previous = store.get().presence.override;
    store.dispatch({ type: "presence/override", override });
    store.dispatch({ type: "presence/saving", value: true });
    try {
      const answer = await request("PUT", "/api/v1/me/presence", { status: override });
      const me = store.get().session.user;
      if (me && answer && answer.presence) store.dispatch({ type: "presence/set", users: { [me.id]: answer.presence } });
    } catch (err) {
      store.dispatch({ type: "presence/override", override: previous });
      toast(`Couldn't change your status: ${describeError(err)}`, { kind: "error" });
    } finally {
      store.dispatch({ type: "presence/saving", value: false });
    }
  }

  button.addEventListener("click", () => (menu.hidden ? openMenu() : closeMenu()));
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("[data-override]");
    if (item) choose(item.dataset.override);
  });
  menu.addEventListener("keydown", (event) => {
    const all = items();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      all[(at + step + all.length) % all.length].focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      all[event.key === "Home" ? 0 : all.length - 1].focus();
    } else if (event.key === "Escape" || event.key === "Tab") {
      if (event.key === "Escape") event.preventDefault();
      event.stopPropagation();
      closeMenu(event.key === "Escape");
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) closeMenu(false);
  });

  store.subscribe(render);
  render(store.get());

  return {
    /** A (re)connected socket: the server starts from scratch, so say where this tab is. */
    connected() {
      told = null;
      evaluate();
    },
  };
}
