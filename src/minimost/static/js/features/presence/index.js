// The presence feature's public surface: who is online, the dots that show it, and this
// tab's own status. Other features import from here only.

export { reduce as reducePresence, statusLabel, statusOf } from "./data.js";
export { createPresenceDots } from "./dot.js";
export { mountPresence } from "./ui.js";
