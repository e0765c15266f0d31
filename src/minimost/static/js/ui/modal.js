// A modal on <dialog> for the app's dialogs (browser, DM picker, create, details, profile,
// notifications, settings): the browser gives focus trapping and Esc; we add a title, a
// close button, closing on the backdrop, and focus going back where it was.

import { el, nextId } from "../core/dom.js";

export function createModal({ title, className = "" }) {
  const id = nextId("modal-");
  const heading = el("h2", { class: "dialog-title", id: `${id}-title`, text: title });
  const body = el("div", { class: "modal-body" });
  const close = el("button", { type: "button", class: "icon-btn modal-close", "aria-label": "Close", title: "Close", text: "×" });
  const dialog = el("dialog", { class: ["dialog", "modal", className], "aria-labelledby": `${id}-title` },
    el("div", { class: "modal-head" }, heading, close), body);
  document.body.append(dialog);
  let returnTo = null;
  const closers = new Set();

  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // the backdrop
  });
  dialog.addEventListener("close", () => {
    for (const fn of closers) fn();
    if (returnTo && returnTo.isConnected) returnTo.focus();
    returnTo = null;
  });

  return {
    id,
    dialog,
    body,
    heading,
    get isOpen() {
      return dialog.open;
    },
    open() {
      if (dialog.open) return;
      for (const other of document.querySelectorAll("dialog.modal[open]")) other.close();
      returnTo = document.activeElement;
      dialog.showModal();
    },
    close() {
      if (dialog.open) dialog.close();
    },
    /** `fn` runs whenever the modal closes (abort searches, clear state). */
    onClose(fn) {
      closers.add(fn);
    },
  };
}
