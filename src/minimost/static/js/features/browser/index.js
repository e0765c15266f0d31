// The channel browser's public surface: "Browse channels".

export { mountChannelBrowser } from "./ui.js";
