// Typing: tells the server we are typing in the open conversation (at most every 3 s
// while the composer has text) and shows who else is, in a line above the composer
// whose height is always reserved, so nothing jumps when it appears.

import { el } from "../../core/dom.js";
import { authorName } from "../../ui/avatar.js";
import { membersOf } from "../mentions/index.js";
import { createTypingThrottle, nextExpiry, typingText, typistsIn } from "./data.js";

export function mountTyping(store, { form, input, send }) {
  const indicator = el("div", { class: "typing-indicator", id: "typing-indicator", role: "status", "aria-live": "polite" },
    el("span", { class: "typing-dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
    el("span", { class: "typing-text" }));
  const text = indicator.lastChild;
  form.prepend(indicator);

  const throttle = createTypingThrottle();
  input.addEventListener("input", () => {
    const convId = store.get().channels.activeId;
    if (convId === null || !input.value.trim()) return;
    if (throttle.notify(convId, Date.now())) send({ type: "typing", conversation: convId });
  });

  let timer = null;
  let shown = null;

  function nameOf(state, convId, userId) {
    const members = membersOf(state.members, convId) || [];
    const conv = state.channels.list.find((c) => c.id === convId);
    const user = members.find((m) => String(m.id) === userId) || (conv && (conv.members || []).find((m) => String(m.id) === userId));
    return user ? authorName(user) : "Someone";
  }

  function render(state, _prev, action) {
    if (action && action.type === "messages/pending") throttle.reset(); // we sent: next keystroke is a new burst
    const now = Date.now();
    const convId = state.channels.activeId;
    const ids = convId === null ? [] : typistsIn(state.typing, convId, now);
    const names = ids.map((id) => nameOf(state, convId, id));
    const sentence = typingText(names);
    if (sentence !== shown) {
      shown = sentence;
      text.textContent = sentence;
      indicator.classList.toggle("active", sentence !== "");
      indicator.dataset.userIds = ids.join(",");
    }
    // Wake up when the next name expires (and drop expired entries then).
    clearTimeout(timer);
    const next = nextExpiry(state.typing, now);
    if (next !== null) timer = setTimeout(() => store.dispatch({ type: "typing/expire", now: Date.now() }), next - now + 20);
  }

  store.subscribe(render);
  render(store.get());
}
