// Fetching members (for the open conversation) and the Mentions panel's pages.

import { api, describeError } from "../../core/api.js";
import { needsMembers } from "./members.js";

export const MENTIONS_PAGE = 30;

export async function loadMembers(store, convId) {
  store.dispatch({ type: "members/loading", convId });
  try {
    const { members } = await api.get(`/api/v1/conversations/${encodeURIComponent(convId)}/members`);
    store.dispatch({ type: "members/loaded", convId, members });
  } catch (err) {
    store.dispatch({ type: "members/error", convId, error: describeError(err) });
  }
}

/** Fetch the open conversation's members whenever we have none for it (open, resync). */
export function keepMembersLoaded(store) {
  let queued = false;
  const run = () => {
    queued = false;
    const state = store.get();
    const convId = state.channels.activeId;
    if (needsMembers(state.members, convId)) loadMembers(store, convId);
  };
  // Not from inside the store's notification: dispatch after it finished.
  const check = (state) => {
    if (queued || !needsMembers(state.members, state.channels.activeId)) return;
    queued = true;
    queueMicrotask(run);
  };
  store.subscribe(check);
  check(store.get());
}

export async function loadMentions(store, { older = false } = {}) {
  if (!store.requests.start("mentions/page")) return;
  const { items } = store.get().mentions;
  const before = older && items.length ? `&before=${items[items.length - 1].id}` : "";
  store.dispatch({ type: "mentions/loading" });
  try {
    const page = await api.get(`/api/v1/mentions?limit=${MENTIONS_PAGE}${before}`);
    store.dispatch({ type: "mentions/page", messages: page.messages, hasMore: page.has_more, older });
  } catch (err) {
    store.dispatch({ type: "mentions/error", error: describeError(err) });
  } finally {
    store.requests.done("mentions/page");
  }
}
