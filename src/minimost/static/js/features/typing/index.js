// The typing feature's public surface: telling who is typing, and showing who else is.

export { reduce as reduceTyping } from "./data.js";
export { mountTyping } from "./ui.js";
