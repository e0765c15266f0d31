// The link previews feature's public surface: the card under a message.

export { mountPreviews } from "./card.js";
