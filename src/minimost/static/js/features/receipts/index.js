// The receipts feature's public surface: "Seen by …" under my last message.

export { mountReceipts } from "./ui.js";
