// The replies feature's public surface: the `replies` slice and the Reply action, bar
// and quotes.

export { reduce as reduceReplies } from "./data.js";
export { mountReplies } from "./ui.js";
