// Conversation I/O: the sidebar list, joining, leaving, creating, members, settings,
// and read positions. Results go through the channels reducer; the matching socket
// events arrive too and are applied idempotently.

import { api, request } from "../../core/api.js";

const conv = (id) => `/api/v1/conversations/${encodeURIComponent(id)}`;

export async function loadConversations(store) {
  const { conversations } = await api.get("/api/v1/conversations");
  store.dispatch({ type: "channels/loaded", conversations });
  return conversations;
}

/** Fetch one conversation (with your per-user fields and a DM's members) into the list. */
export async function refreshConversation(store, convId) {
  const { conversation } = await api.get(conv(convId));
  store.dispatch({ type: "channels/upsert", conversation });
  return conversation;
}

export async function browseChannels(query, { signal } = {}) {
  const { conversations } = await api.get(`/api/v1/channels?q=${encodeURIComponent(query.trim())}`, { signal });
  return conversations;
}

export async function listMembers(convId) {
  const { members } = await api.get(`${conv(convId)}/members`);
  return members;
}

/** Join a public channel; it is in the sidebar when this resolves. */
export async function joinChannel(store, channel) {
  const me = store.get().session.user;
  await request("PUT", `${conv(channel.id)}/members/${me.id}`);
  store.dispatch({ type: "channels/upsert", conversation: { ...channel, is_member: true } });
}

export async function addMember(convId, userId) {
  await request("PUT", `${conv(convId)}/members/${userId}`);
}

export async function removeMember(convId, userId) {
  await api.del(`${conv(convId)}/members/${userId}`);
}

/** Leave a channel: it leaves the sidebar now (the member.removed event agrees later). */
export async function leaveConversation(store, convId) {
  const me = store.get().session.user;
  await removeMember(convId, me.id);
  store.dispatch({ type: "channels/remove", id: convId });
}

/** PATCH name/topic/hidden/muted; the answer is the updated conversation. */
export async function updateConversation(store, convId, patch) {
  const { conversation } = await api.patch(conv(convId), patch);
  store.dispatch({ type: "channels/upsert", conversation });
  return conversation;
}

export async function createPrivateChannel(store, { name, topic, members }) {
  const body = { kind: "private", name, members };
  if (topic) body.topic = topic;
  const { conversation } = await api.post("/api/v1/conversations", body);
  store.dispatch({ type: "channels/upsert", conversation });
  return conversation;
}

/** Open (or create) the DM with these people; reopening a hidden one unhides it. */
export async function openDirectMessage(store, body) {
  const { conversation } = await api.post("/api/v1/conversations", body);
  store.dispatch({ type: "channels/upsert", conversation: { ...conversation, hidden: false } });
  return conversation;
}

export async function markRead(store, convId, messageId) {
  const answer = await api.post(`${conv(convId)}/read`, { message_id: messageId });
  store.dispatch({ type: "channels/read", ...answer, conversation_id: answer.conversation_id ?? convId });
  return answer;
}
