// The notifications feature's public surface: sound and desktop notifications.

export { mountNotifications } from "./ui.js";
