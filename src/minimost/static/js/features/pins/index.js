// The pins feature's public surface: the `pins` slice, what pin events do to loaded
// messages, and the Pin action, badge and panel.

export { pinPatches, reduce as reducePins } from "./data.js";
export { mountPins } from "./ui.js";
