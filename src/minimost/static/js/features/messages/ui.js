// The message list: renders rows keyed by message (reusing DOM nodes whose message
// did not change), keeps the view pinned to the newest message unless you scrolled
// up, loads older pages near the top without jumping, and hosts the inline editor.
// In window mode (a message far back, data.js) it loads newer pages near the bottom
// and the jump button says "Jump to present" (End does the same).

import { describeError } from "../../core/api.js";
import { clear, isTyping } from "../../core/dom.js";
import { dayKey, dayLabel } from "../../core/time.js";
import { activeConversation, dmIntro } from "../channels/index.js";
import { jumpToPresent, loadNewer, loadNewest, loadOlder, retrySend } from "./actions.js";
import { revealAnchor, withNewMessagesDivider } from "./anchors.js";
import { buildRows, isDetached, messageKey, newerCount } from "./data.js";
import { createEditor } from "./editor.js";
import { dayDivider, intro, loadError, messageRow, newerRow, olderRow, skeleton } from "./rows.js";

const NEAR_BOTTOM_PX = 64;
const LOAD_OLDER_PX = 480;

/**
 * mountMessages(store, { scroller, list, jumpButton, ask, toast, focusComposer, decorations, presenceDot })
 *   decorations   what other features add to every row (decorations.js createDecorations)
 *   presenceDot   (userId) => the presence feature's dot for a message's author
 */
export function mountMessages(store, { scroller, list, jumpButton, ask, toast, focusComposer, decorations, presenceDot }) {
  let shownConv = null;
  let rows = new Map(); // key -> { node, sig }
  let stick = true;
  let prev = {};

  function conversation(state = store.get()) {
    return state.messages.byConv[state.channels.activeId] ?? null;
  }

  function findByKey(key) {
    const conv = conversation();
    return conv ? conv.items.find((m) => messageKey(m) === key) ?? null : null;
  }

  const editor = createEditor(store, {
    ask,
    toast,
    focusComposer,
    findMessageById: (id) => {
      const conv = conversation();
      return conv ? conv.items.find((m) => !m.pending && m.id === id) ?? null : null;
    },
  });

  // ---- rendering ----------------------------------------------------------

  function render(state) {
    const { channels, messages, session } = state;
    if (channels === prev.channels && messages === prev.messages && session === prev.session) return;
    prev = { channels, messages, session };
    const convId = channels.activeId;
    if (convId !== shownConv) {
      shownConv = convId;
      clear(list);
      rows = new Map();
      stick = true;
    }
    if (convId === null) return;
    const conv = messages.byConv[convId];
    const me = session.user;
    const editing = messages.editing && messages.editing.convId === convId ? messages.editing : null;
    const editorNode = editor.sync(editing, conv);

    const atBottom = isNearBottom();
    const prevHeight = scroller.scrollHeight;
    const prevTop = scroller.scrollTop;
    const prevFirst = firstMessageKey();
    const prevLast = lastMessageKey();

    // The "New messages" line goes above the first unread message (anchors.js).
    const wanted = withNewMessagesDivider(desiredRows(conv, activeConversation(channels), me, editing, editorNode), conv, channels);
    const next = new Map();
    for (const row of wanted) {
      const old = rows.get(row.key);
      const node = old && sameSig(old.sig, row.sig) ? old.node : row.build();
      next.set(row.key, { node, sig: row.sig });
    }
    for (const [key, { node }] of rows) {
      if (!next.has(key) || next.get(key).node !== node) node.remove();
    }
    let cursor = list.firstChild;
    for (const { node } of next.values()) {
      if (node === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(node, cursor);
    }
    rows = next;

    const last = conv && conv.items[conv.items.length - 1];
    if (last && last.pending && messageKey(last) !== prevLast) stick = true; // we just sent it
    if (isDetached(conv)) {
      // An old window: the bottom is not the present, so never stick to it (newer pages
      // come in below without moving the view). `stick` waits for the present.
      if (prevFirst && firstMessageKey() !== prevFirst) scroller.scrollTop = prevTop + (scroller.scrollHeight - prevHeight);
    } else if (stick || atBottom) {
      scroller.scrollTop = scroller.scrollHeight;
      if (conv && conv.loaded) stick = false;
    } else if (prevFirst && firstMessageKey() !== prevFirst) {
      scroller.scrollTop = prevTop + (scroller.scrollHeight - prevHeight); // older page above: stay put
    }
    // A notification's message, or the "New messages" line when opening: scroll to it once.
    if (revealAnchor(store, { list, scroller, channels, loaded: conv })) stick = false;
    editor.focusIfNew();
    updateJump();
    maybeLoadOlder();
    maybeLoadNewer();
  }

  function desiredRows(conv, channel, me, editing, editorNode) {
    const out = [];
    if (!conv || (!conv.loaded && !conv.error)) {
      out.push({ key: "loading", sig: ["loading"], build: skeleton });
      return out;
    }
    if (!conv.loaded) {
      out.push({ key: "error", sig: ["error", conv.error], build: () => loadError(conv.error) });
      return out;
    }
    if (conv.hasMore) {
      const sig = ["older", conv.loadingOlder, conv.error];
      out.push({ key: "older", sig, build: () => olderRow(conv) });
    } else {
      const sig = ["intro", channel && channel.name, channel && channel.topic, channel && channel.members];
      const dm = channel && channel.kind === "dm";
      out.push({ key: "intro", sig, build: () => (dm ? dmIntro(channel, me) : intro(channel)) });
    }
    const now = new Date();
    for (const row of buildRows(conv.items, dayKey)) {
      if (row.kind === "day") {
        const label = dayLabel(row.at, now);
        out.push({ key: row.key, sig: ["day", label], build: () => dayDivider(label) });
      } else {
        const m = row.message;
        const own = Boolean(me && m.author && m.author.id === me.id);
        const node = editorNode && editing && !m.pending && editing.id === m.id ? editorNode : null;
        const opts = { grouped: row.grouped, own, editorNode: node, me, decorations, presenceDot };
        out.push({ key: row.key, sig: [m, row.grouped, own, node], build: () => messageRow(m, opts) });
      }
    }
    if (conv.hasNewer) out.push({ key: "newer", sig: ["newer", conv.loadingNewer, conv.error], build: () => newerRow(conv) });
    return out;
  }

  function sameSig(a, b) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  function firstMessageKey() {
    const node = list.querySelector(".msg");
    return node ? node.dataset.key : null;
  }

  function lastMessageKey() {
    const nodes = list.querySelectorAll(".msg");
    return nodes.length ? nodes[nodes.length - 1].dataset.key : null;
  }

  // ---- scrolling ----------------------------------------------------------

  function isNearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  const jumpLabel = jumpButton.querySelector(".jump-latest-label") || jumpButton;
  let jumpText = null;
  function updateJump() {
    const conv = conversation();
    const detached = isDetached(conv);
    const far = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight > scroller.clientHeight;
    jumpButton.hidden = !far && !detached;
    const count = detached ? newerCount(conv) : 0;
    const text = !detached ? "Jump to latest" : count ? `Jump to present (${count} new)` : "Jump to present";
    if (text !== jumpText) {
      jumpText = text;
      jumpLabel.textContent = text;
      jumpButton.classList.toggle("detached", detached);
    }
  }

  function maybeLoadNewer() {
    const conv = conversation();
    if (!conv || !conv.loaded || !conv.hasNewer || conv.loadingNewer || conv.error) return;
    if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < LOAD_OLDER_PX) loadNewer(store, shownConv);
  }

  /** Leave an old window for the newest page (the end of the list otherwise). */
  async function toPresent() {
    const convId = shownConv;
    if (!isDetached(conversation())) {
      scroller.scrollTo({ top: scroller.scrollHeight, behavior: "smooth" });
      return;
    }
    stick = true; // applies once the newest page replaced the window
    try {
      await jumpToPresent(store, convId);
    } catch (err) {
      toast(`Couldn't load the newest messages: ${describeError(err)}`, { kind: "error" });
    }
  }

  function maybeLoadOlder() {
    const conv = conversation();
    if (conv && conv.loaded && conv.hasMore && !conv.loadingOlder && !conv.error && scroller.scrollTop < LOAD_OLDER_PX) {
      loadOlder(store, shownConv);
    }
  }

  scroller.addEventListener("scroll", () => {
    updateJump();
    maybeLoadOlder();
    maybeLoadNewer();
  }, { passive: true });

  jumpButton.addEventListener("click", () => {
    toPresent();
    focusComposer();
  });

  // End (outside text fields and dialogs) leaves an old window; otherwise it scrolls as usual.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "End" || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping() || document.querySelector("dialog[open]") || !isDetached(conversation())) return;
    event.preventDefault();
    toPresent();
  });

  // ---- actions (delegated) ------------------------------------------------

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const row = event.target.closest(".msg");
    if (!button) {
      // Touch screens have no hover: a tap on a message reveals its actions.
      if (row && row.querySelector(":scope > .msg-actions") && !event.target.closest("a, img, summary")) {
        for (const other of list.querySelectorAll(".msg.show-actions")) if (other !== row) other.classList.remove("show-actions");
        row.classList.toggle("show-actions");
      }
      return;
    }
    const action = button.dataset.action;
    if (action === "reload") return loadNewest(store, shownConv, { reset: true });
    if (action === "older") {
      store.dispatch({ type: "messages/error", convId: shownConv, error: null });
      return loadOlder(store, shownConv);
    }
    if (action === "newer") {
      store.dispatch({ type: "messages/error", convId: shownConv, error: null });
      return loadNewer(store, shownConv);
    }
    const message = row && findByKey(row.dataset.key);
    if (!message) return;
    if (action === "edit") store.dispatch({ type: "edit/start", id: message.id, convId: shownConv });
    else if (action === "delete") editor.confirmDelete(message);
    else if (action === "retry") retrySend(store, shownConv, message.client_id);
    else if (action === "discard") store.dispatch({ type: "messages/discard", convId: shownConv, clientId: message.client_id });
  });

  store.subscribe(render);
  render(store.get());

  // Day labels ("Today") go stale at midnight: re-render once a minute.
  setInterval(() => {
    prev = {};
    render(store.get());
  }, 60_000);

  return {
    scrollToBottom() {
      stick = true;
      scroller.scrollTop = scroller.scrollHeight;
    },
  };
}
