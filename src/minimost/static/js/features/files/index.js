// The files feature's public surface: attachments in the composer and in messages, and
// the server's size limits. Other features import from here only.

export { mountAttachments } from "./composer.js";
export { humanSize, reduceLimits } from "./data.js";
export { mountFileViews } from "./view.js";
