// The reactions row under a message: one chip per emoji (emoji + count, pressed when it is
// mine, a title naming who reacted), click toggles; "+" opens the picker, as does the
// React button in the message's action bar. Toggles are optimistic: the message changes
// at once, the event of the same change (or the server's refusal) settles it.

import { api, describeError, request } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { membersOf } from "../mentions/index.js";
import { applyReaction, hasMine, labelOf, reactorsTitle, toggle } from "./data.js";
import { createEmojiLoader, createPicker, registerReactAction } from "./picker.js";

const reactionUrl = (messageId, emoji) => `/api/v1/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`;

/** `decorations`: the message rows' extension points (messages feature, from main.js). */
export function mountReactions(store, { list, toast, decorations }) {
  const loadEmojiIndex = createEmojiLoader();
  const picker = createPicker(loadEmojiIndex);
  let emojiIndex = null; // for chip titles (":+1:"), once the picker has loaded the data

  function nameOf(convId) {
    const members = membersOf(store.get().members, convId) || [];
    return (id) => {
      const found = members.find((m) => m.id === id);
      return found ? found.display_name || found.username : null;
    };
  }

  function chip(m, r, me) {
    const mine = Boolean(me && r.users.includes(me.id));
    return el("button", {
      type: "button",
      class: ["reaction-chip", mine && "mine"],
      "aria-pressed": String(mine),
      title: reactorsTitle(r, nameOf(m.conversation_id), me && me.id, labelOf(emojiIndex, r.emoji)),
      dataset: { react: r.emoji },
    }, el("span", { class: "reaction-emoji", text: r.emoji }), el("span", { class: "reaction-count", text: String(r.count) }));
  }

  decorations.decorate("reactions", (m, { me }) => {
    if (!m.reactions || m.reactions.length === 0 || m.pending) return null;
    return el("div", { class: "reactions", role: "group", "aria-label": "Reactions" },
      m.reactions.map((r) => chip(m, r, me)),
      el("button", { type: "button", class: "reaction-chip reaction-add", dataset: { action: "react" }, "aria-label": "Add reaction", title: "Add reaction" }, "+"));
  });
  registerReactAction(decorations);

  function messageOf(row) {
    const state = store.get();
    const conv = state.messages.byConv[state.channels.activeId];
    const id = Number(row.dataset.id);
    return conv ? conv.items.find((m) => !m.pending && m.id === id) ?? null : null;
  }

  /** Set (`on`) or clear my `emoji` on `message`: optimistic, reverted if refused. */
  async function react(message, emoji, on) {
    const me = store.get().session.user;
    const convId = message.conversation_id;
    const apply = (value) => store.dispatch({
      type: "messages/patch", convId, id: message.id,
      patch: (m) => {
        const reactions = applyReaction(m.reactions, emoji, me.id, value);
        return reactions === m.reactions ? m : { ...m, reactions };
      },
    });
    apply(on);
    try {
      const url = reactionUrl(message.id, emoji);
      await (on ? request("PUT", url) : api.del(url));
    } catch (err) {
      apply(!on);
      if (toast) toast(`Couldn't ${on ? "add" : "remove"} the reaction: ${describeError(err)}`, { kind: "error" });
    }
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-react], button[data-action='react']");
    const row = button && button.closest(".msg");
    const message = row && messageOf(row);
    if (!message) return;
    const me = store.get().session.user;
    if (button.dataset.react) {
      react(message, button.dataset.react, toggle(message.reactions, button.dataset.react, me.id).adding);
      return;
    }
    picker.open(button, (emoji) => {
      loadEmojiIndex().then((index) => (emojiIndex = index), () => {});
      const current = messageOf(row) || message;
      if (!hasMine(current.reactions, emoji, me.id)) react(current, emoji, true);
    });
  });

  return { picker };
}
