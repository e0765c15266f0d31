// The profile feature's public surface: the Profile dialog, profile cards and the me card.

export { mountProfile } from "./ui.js";
