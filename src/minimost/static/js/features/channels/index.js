// The channels feature's public surface: the conversation list (sidebar, hash, read
// positions), its I/O and its dialogs. Other features import from here only.

export {
  browseChannels, joinChannel, loadConversations, markRead, openDirectMessage, refreshConversation,
} from "./actions.js";
export { mountCreatePrivate } from "./create.js";
export {
  activeConversation, conversationForHash, conversationLabel, conversationTitle, countText, hashFor, mentionsMe,
  pickConversation, reduce as reduceChannels, sidebarOrder, unreadTotal,
} from "./data.js";
export { mountConversationActions } from "./details.js";
export { dmIntro } from "./intro.js";
export { createConversationSync, goElsewhere } from "./sync.js";
export { mountChannels } from "./ui.js";
