// The settings feature's public surface: the Settings dialog, and the rules the
// reset-password page shares with it.

export { resetErrorMessages, tokenFromPath } from "./data.js";
export { mountSettings } from "./ui.js";
