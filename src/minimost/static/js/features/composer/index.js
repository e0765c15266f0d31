// The composer feature's public surface. Other features import from here only.

export { reduce as reduceComposer } from "./data.js";
export { mountComposer } from "./ui.js";
