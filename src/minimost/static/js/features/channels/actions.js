// Loading the sidebar's conversations.

import { api } from "../../core/api.js";

export async function loadConversations(store) {
  const { conversations } = await api.get("/api/v1/conversations");
  store.dispatch({ type: "channels/loaded", conversations });
  return conversations;
}
