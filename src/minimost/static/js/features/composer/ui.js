// The composer: Enter sends, Shift+Enter adds a line, ArrowUp in an empty box edits
// your last message; `i` focuses it from anywhere, Esc leaves it.

import { autosize, isTyping } from "../../core/dom.js";
import { bindFormatKeys } from "../../ui/format.js";
import { activeConversation, conversationTitle } from "../channels/index.js";
import { lastOwnMessage, sendMessage } from "../messages/index.js";
import { enterAction, MAX_MESSAGE_LENGTH, sendableText } from "./data.js";

const COUNTER_FROM = MAX_MESSAGE_LENGTH - 1000;

/**
 * The composer. Other features extend it through the object this returns (main.js hands
 * it to them): `extendSend(extend)` adds to every send (see messages/actions.js
 * sendMessage), `allowSendWithout(check)` lets a message go out without text
 * (attachments): check(convId) -> "ready" (sendable as is) | "busy" (hold the send) |
 * null; call the function it returns when the answer may have changed.
 */
export function mountComposer(store, { form, input, label, counter, sendButton }) {
  const sendExtensions = [];
  const sendables = [];
  let shownConv = null;

  function extraState(convId) {
    const states = sendables.map((check) => check(convId));
    return states.includes("busy") ? "busy" : states.includes("ready") ? "ready" : null;
  }

  const fit = autosize(input);
  bindFormatKeys(input); // Ctrl+B/I/U/S

  function render(state) {
    const convId = state.channels.activeId;
    if (convId === shownConv) return;
    if (shownConv !== null) store.dispatch({ type: "composer/draft", convId: shownConv, text: input.value });
    shownConv = convId;
    const conv = activeConversation(state.channels);
    const name = conv ? conversationTitle(conv, state.session.user && state.session.user.id) : ""; // "#general", "@Jason"
    input.placeholder = `Message ${name}`;
    label.textContent = `Message ${name}`;
    input.value = store.get().composer.drafts[convId] ?? "";
    updateCounter();
  }

  function updateCounter() {
    fit();
    const length = input.value.length;
    const over = length > MAX_MESSAGE_LENGTH;
    counter.hidden = length < COUNTER_FROM;
    counter.textContent = `${length.toLocaleString()} / ${MAX_MESSAGE_LENGTH.toLocaleString()}`;
    counter.classList.toggle("over", over);
    const extra = extraState(shownConv);
    sendButton.disabled = over || extra === "busy" || (!input.value.trim() && extra !== "ready");
    form.classList.toggle("has-text", Boolean(input.value.trim()));
  }

  function send() {
    const extra = extraState(shownConv);
    const text = sendableText(input.value) ?? (extra === "ready" ? "" : null);
    if (text === null || text.length > MAX_MESSAGE_LENGTH || shownConv === null || extra === "busy") return;
    sendMessage(store, shownConv, text, sendExtensions);
    input.value = "";
    store.dispatch({ type: "composer/draft", convId: shownConv, text: "" });
    updateCounter();
    input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });

  input.addEventListener("input", updateCounter);

  input.addEventListener("keydown", (event) => {
    const action = enterAction(event);
    if (action === "send") {
      event.preventDefault();
      send();
    } else if (event.key === "ArrowUp" && input.value === "" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      const state = store.get();
      const conv = state.messages.byConv[shownConv];
      const mine = conv && lastOwnMessage(conv.items, state.session.user && state.session.user.id);
      if (mine) {
        event.preventDefault();
        store.dispatch({ type: "edit/start", id: mine.id, convId: shownConv });
      }
    } else if (event.key === "Escape") {
      input.blur();
    }
  });

  // Global keys: `i` focuses the composer when nothing takes typing; Esc leaves a field.
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "i" && !isTyping() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      input.focus();
    } else if (event.key === "Escape" && isTyping() && document.activeElement !== input) {
      document.activeElement.blur();
    }
  });

  store.subscribe(render);
  render(store.get());

  return {
    focus() {
      if (!store.get().messages.editing) input.focus();
    },
    extendSend(extend) {
      sendExtensions.push(extend);
    },
    allowSendWithout(check) {
      sendables.push(check);
      return updateCounter;
    },
  };
}
