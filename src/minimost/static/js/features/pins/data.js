// Pins: the per-conversation pins list shown in the pins panel, kept live by
// message.pinned / message.unpinned / message.deleted, and the `pinned` flag of loaded
// messages. No DOM here.
//
// An entry is { items: [{message, pinned_by, pinned_at}], loaded, loading, error, stale }
// with items newest pin first. A pin event carries the message id only: the message comes
// from the loaded history when it is there, otherwise the entry is marked `stale` and the
// panel refetches it when shown.

export const PIN_EVENTS = new Set(["message.pinned", "message.unpinned", "message.deleted"]);

const emptyEntry = () => ({ items: [], loaded: false, loading: false, error: null, stale: false });

/** The list after `frame`, given the loaded messages of its conversation (`conv`). */
export function applyPinFrame(entry, frame, conv) {
  const d = frame.data || {};
  if (frame.type === "message.pinned") {
    if (entry.items.some((p) => p.message.id === d.message_id)) return entry;
    const message = conv && conv.items.find((m) => !m.pending && m.id === d.message_id);
    if (!message) return entry.stale ? entry : { ...entry, stale: true };
    const pin = { message: { ...message, pinned: true }, pinned_by: d.pinned_by ?? null, pinned_at: d.pinned_at ?? null };
    return { ...entry, items: [pin].concat(entry.items) };
  }
  const id = frame.type === "message.deleted" ? d.id : d.message_id;
  const items = entry.items.filter((p) => p.message.id !== id);
  return items.length === entry.items.length ? entry : { ...entry, items };
}

/** The pins to show, each with the freshest copy of its message (edits, reactions). */
export function pinsToShow(entry, conv) {
  if (!entry) return [];
  return entry.items.map((p) => {
    const live = conv && conv.items.find((m) => !m.pending && m.id === p.message.id);
    return live ? { ...p, message: live } : p;
  });
}

/** Should the panel fetch the pins of `convId` now? */
export function needsPins(state, convId) {
  const entry = state.byConv[convId];
  return convId !== null && convId !== undefined && (!entry || (!entry.loading && (entry.stale || (!entry.loaded && !entry.error))));
}

// ---- reducer --------------------------------------------------------------

const initial = { open: false, byConv: {} };

function put(state, convId, entry) {
  return { ...state, byConv: { ...state.byConv, [convId]: entry } };
}

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "pins/open":
      return state.open ? state : { ...state, open: true };
    case "pins/close":
    case "mentions/open": // one side panel at a time
      return state.open ? { ...state, open: false } : state;
    case "pins/loading":
      return put(state, action.convId, { ...(state.byConv[action.convId] || emptyEntry()), loading: true, error: null, stale: false });
    case "pins/loaded":
      // Stale again if a pin event came in while loading (the list may predate it).
      return put(state, action.convId, { items: action.pins, loaded: true, loading: false, error: null, stale: Boolean(state.byConv[action.convId] && state.byConv[action.convId].stale) });
    case "pins/error":
      return put(state, action.convId, { ...(state.byConv[action.convId] || emptyEntry()), loading: false, error: action.error });
    case "messages/invalidate":
      // A resync: events were missed; fetch again when shown.
      return Object.keys(state.byConv).length ? { ...state, byConv: {} } : state;
    case "event": {
      const { frame } = action;
      if (!PIN_EVENTS.has(frame.type)) return state;
      const convId = frame.conversation ?? (frame.data && frame.data.conversation_id);
      const entry = state.byConv[convId];
      if (!entry) return state;
      if (entry.loading) return put(state, convId, { ...entry, stale: true }); // refetch after
      const conv = root.messages && root.messages.byConv[convId];
      const next = applyPinFrame(entry, frame, conv);
      return next === entry ? state : put(state, convId, next);
    }
    default:
      return state;
  }
}

// Live: the `pinned` flag (row badge, Pin/Unpin action) of loaded messages. main.js gives
// these to the messages reducer (messagesReducer).
export const pinPatches = Object.freeze({
  "message.pinned": (m) => (m.pinned ? m : { ...m, pinned: true }),
  "message.unpinned": (m) => (m.pinned ? { ...m, pinned: false } : m),
});
