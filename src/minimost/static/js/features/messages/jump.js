// Showing any message in context, however far back: search results, reply quotes, pins,
// mentions and notifications all come here. A message a few pages back is reached by
// loading older pages (the list stays continuous with the present); beyond that the list
// is replaced by a window around it (window mode, data.js), detached from the present
// until you page forward or jump back. Then the list scrolls to it and flashes it,
// through the channels slice's `focus` (anchors.js revealAnchor).

import { describeError } from "../../core/api.js";
import { loadOlder, loadWindow } from "./actions.js";

// Older pages (50 messages each) tried before switching to a window.
export const JUMP_OLDER_PAGES = 3;
const WAIT_MS = 15_000;

const isLoaded = (conv, id) => Boolean(conv && conv.items.some((m) => !m.pending && m.id === id));
const settled = (conv) => Boolean(conv && (conv.loaded || conv.error) && !conv.loading && !conv.loadingOlder);

/** Resolve with the state once `ready(state)` holds (or after WAIT_MS, whatever it is). */
function until(store, ready) {
  return new Promise((resolve) => {
    if (ready(store.get())) return resolve(store.get());
    let stop = null;
    const timer = setTimeout(() => {
      stop();
      resolve(store.get());
    }, WAIT_MS);
    stop = store.subscribe((state) => {
      if (!ready(state)) return;
      clearTimeout(timer);
      stop();
      resolve(state);
    });
  });
}

/**
 * Show message `id` of `convId`: open the conversation (through `open`), bring the
 * message into the list, then scroll to it and flash it. Resolves true when it is shown.
 */
export async function jumpToMessage(store, convId, id, { open = null, toast = null } = {}) {
  store.dispatch({ type: "channels/focus", convId, messageId: id });
  if (store.get().channels.activeId !== convId && open) open(convId);
  const conv = () => store.get().messages.byConv[convId];
  await until(store, (s) => settled(s.messages.byConv[convId]));
  if (isLoaded(conv(), id)) return true;
  // Just above what is loaded: a few older pages keep the list continuous.
  for (let page = 0; page < JUMP_OLDER_PAGES; page++) {
    const c = conv();
    const oldest = c && c.items.find((m) => !m.pending);
    if (!c || !c.loaded || c.error || !c.hasMore || !oldest || id > oldest.id) break;
    await loadOlder(store, convId);
    await until(store, (s) => settled(s.messages.byConv[convId]));
    if (isLoaded(conv(), id)) return true;
  }
  let problem = "That message is no longer available.";
  try {
    if (await loadWindow(store, convId, id)) return true;
  } catch (err) {
    problem = `Couldn't show that message: ${describeError(err)}`;
  }
  if (store.get().channels.focus && store.get().channels.focus.messageId === id) store.dispatch({ type: "channels/focused" });
  if (toast) toast(problem, { kind: "error" });
  return false;
}
