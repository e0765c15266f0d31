// The connection feature's public surface: the `connection` slice and its banner.

export { reduce as reduceConnection } from "./data.js";
export { mountConnection } from "./ui.js";
