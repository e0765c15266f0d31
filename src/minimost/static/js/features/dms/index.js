// The DMs feature's public surface: the "Direct message" picker.

export { mountDmPicker } from "./ui.js";
