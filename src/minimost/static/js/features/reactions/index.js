// The reactions feature's public surface: what reaction events do to loaded messages,
// and the reactions row and emoji picker.

export { reactionPatches } from "./data.js";
export { mountReactions } from "./bar.js";
