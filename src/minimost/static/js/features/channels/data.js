// The sidebar's conversations, which one is open, and unread counts. No DOM here.

const initial = { list: [], activeId: null, unread: {}, loaded: false };

export function sortConversations(list) {
  return list.slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/** Which conversation to open: the one named in the URL hash, the remembered one, else the first. */
export function pickConversation(list, { hashName = null, rememberedId = null } = {}) {
  if (list.length === 0) return null;
  if (hashName) {
    const byName = list.find((c) => c.name === hashName);
    if (byName) return byName.id;
  }
  if (rememberedId !== null && list.some((c) => String(c.id) === String(rememberedId))) {
    return list.find((c) => String(c.id) === String(rememberedId)).id;
  }
  const general = list.find((c) => c.name === "general");
  return (general ?? list[0]).id;
}

export function reduce(state = initial, action, root = {}) {
  switch (action.type) {
    case "channels/loaded":
      return { ...state, list: sortConversations(action.conversations), loaded: true };
    case "channels/select": {
      if (state.activeId === action.id && !state.unread[action.id]) return state;
      const unread = { ...state.unread };
      delete unread[action.id];
      return { ...state, activeId: action.id, unread };
    }
    case "event": {
      const { frame } = action;
      if (frame.type !== "message.created") return state;
      const convId = frame.conversation ?? (frame.data && frame.data.conversation_id);
      const me = root.session && root.session.user;
      const author = frame.data && frame.data.author;
      if (convId === state.activeId || !author || (me && author.id === me.id)) return state;
      if (!state.list.some((c) => c.id === convId)) return state;
      return { ...state, unread: { ...state.unread, [convId]: (state.unread[convId] || 0) + 1 } };
    }
    default:
      return state;
  }
}

export const activeConversation = (state) => state.list.find((c) => c.id === state.activeId) ?? null;

export const totalUnread = (state) => Object.values(state.unread).reduce((a, b) => a + b, 0);
