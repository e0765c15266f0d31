// The unreads feature's public surface: the tab title and badge, marking read, Ctrl+J/K,
// and where the "New messages" line goes. Other features import from here only.

export { firstUnread } from "./data.js";
export { mountUnreads } from "./ui.js";
