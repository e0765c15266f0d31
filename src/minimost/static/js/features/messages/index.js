// The messages feature's public surface: the message list, history I/O, sending, and
// showing any message in context. Other features import from here only.

export { loadNewest, sendMessage } from "./actions.js";
export { lastOwnMessage, messageKey, messagesReducer, needsLoad } from "./data.js";
export { createDecorations } from "./decorations.js";
export { jumpToMessage } from "./jump.js";
export { mountMessages } from "./ui.js";
