// Sound and desktop notifications for DMs and mentions. The toggles live in this
// browser's localStorage; desktop permission is asked only when you switch it on.
// Clicking a notification brings the tab forward on that conversation and message.

import { el } from "../../core/dom.js";
import { createModal } from "../../ui/modal.js";
import { DEFAULT_PREFS, parsePrefs, PREFS_KEY, shouldNotify } from "./data.js";

const SOUND_GAP_MS = 1500;

function readPrefs() {
  try {
    return parsePrefs(localStorage.getItem(PREFS_KEY));
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

function writePrefs(prefs) {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    /* storage disabled: the toggles last for this page */
  }
}

const permission = () => ("Notification" in window ? Notification.permission : "unsupported");

/** A short two-note chime from WebAudio: no audio file to ship. */
function createChime() {
  let ctx = null;
  let lastAt = 0;
  const unlock = () => {
    // Browsers start audio only after a user gesture; make the context on the first one.
    if (!ctx && (window.AudioContext || window.webkitAudioContext)) ctx = new (window.AudioContext || window.webkitAudioContext)();
    if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
  };
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { capture: true, passive: true });
  return function play() {
    const now = Date.now();
    if (!ctx || ctx.state !== "running" || now - lastAt < SOUND_GAP_MS) return false;
    lastAt = now;
    const t = ctx.currentTime;
    for (const [freq, start] of [[880, 0], [1320, 0.09]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + start);
      gain.gain.exponentialRampToValueAtTime(0.12, t + start + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + start);
      osc.stop(t + start + 0.25);
    }
    return true;
  };
}

export function mountNotifications(store, { muteAllButton, settingsButton, openConversation, focusMessage }) {
  let prefs = readPrefs();
  const chime = createChime();

  // ---- settings dialog -----------------------------------------------------
  const modal = createModal({ title: "Notifications", className: "notify-dialog" });
  const sound = el("input", { type: "checkbox", id: "notify-sound" });
  const desktop = el("input", { type: "checkbox", id: "notify-desktop" });
  const muteAll = el("input", { type: "checkbox", id: "notify-mute-all" });
  const note = el("p", { class: "field-hint", id: "notify-permission", role: "status" });
  const toggle = (input, label, hint) => {
    input.setAttribute("aria-describedby", `${input.id}-hint`);
    return el("div", { class: "toggle-row" }, input,
      el("span", { class: "toggle-text" },
        el("label", { class: "toggle-label", for: input.id, text: label }),
        el("span", { class: "toggle-hint", id: `${input.id}-hint`, text: hint })));
  };
  modal.body.append(
    el("p", { class: "modal-hint", text: "For direct messages and mentions of you, in this browser." }),
    toggle(sound, "Sound", "A short chime."),
    toggle(desktop, "Desktop notifications", "Shown by your system, even when this tab is in the background."),
    note,
    toggle(muteAll, "Mute everything", "No sound and no desktop notifications until you switch this off."),
    el("div", { class: "dialog-actions" }, el("button", { type: "button", class: "btn btn-primary", text: "Done", onclick: () => modal.close() })));

  function render() {
    sound.checked = prefs.sound;
    desktop.checked = prefs.desktop && permission() === "granted";
    muteAll.checked = prefs.muteAll;
    const p = permission();
    desktop.disabled = p === "unsupported" || p === "denied";
    note.textContent = p === "unsupported" ? "This browser can't show desktop notifications."
      : p === "denied" ? "Notifications are blocked for this site in the browser's settings."
        : "";
    note.hidden = !note.textContent;
    const label = prefs.muteAll ? "Unmute all notifications" : "Mute all notifications";
    muteAllButton.setAttribute("aria-pressed", prefs.muteAll ? "true" : "false");
    muteAllButton.setAttribute("aria-label", label);
    muteAllButton.title = label;
    muteAllButton.classList.toggle("on", prefs.muteAll);
  }

  function save(patch) {
    prefs = { ...prefs, ...patch };
    writePrefs(prefs);
    render();
  }

  sound.addEventListener("change", () => save({ sound: sound.checked }));
  muteAll.addEventListener("change", () => save({ muteAll: muteAll.checked }));
  desktop.addEventListener("change", async () => {
    if (!desktop.checked) return save({ desktop: false });
    // Asked here, from your click, never on page load.
    const answer = permission() === "granted" ? "granted" : await Notification.requestPermission();
    save({ desktop: answer === "granted" });
  });
  muteAllButton.addEventListener("click", () => save({ muteAll: !prefs.muteAll }));
  settingsButton.addEventListener("click", () => {
    render();
    modal.open();
    sound.focus();
  });
  window.addEventListener("storage", (event) => {
    if (event.key === PREFS_KEY) {
      prefs = readPrefs();
      render();
    }
  });

  // ---- deciding and showing -------------------------------------------------

  function show(decision) {
    const n = new Notification(decision.title, { body: decision.body, tag: decision.tag, icon: "/static/img/logo.svg" });
    n.onclick = () => {
      window.focus();
      openConversation(decision.convId);
      focusMessage(decision.convId, decision.messageId);
      n.close();
    };
  }

  render();

  return {
    /** A socket frame, after the store applied it. */
    onFrame(frame) {
      if (frame.type !== "message.created") return;
      const state = store.get();
      const convId = frame.conversation ?? frame.data?.conversation_id;
      const decision = shouldNotify({
        frame,
        me: state.session.user,
        conv: state.channels.list.find((c) => c.id === convId),
        activeId: state.channels.activeId,
        visible: document.visibilityState === "visible",
        focused: document.hasFocus(),
        prefs,
        permission: permission(),
      });
      if (!decision) return;
      if (decision.sound) chime();
      if (decision.desktop) {
        try {
          show(decision);
        } catch {
          /* some mobile browsers allow notifications only from a service worker */
        }
      }
    },
  };
}
