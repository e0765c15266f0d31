// A confirm dialog on <dialog> (focus trap, Esc and backdrop for free) instead of
// window.confirm, which blocks the page and cannot be styled.

import { $ } from "../core/dom.js";

export function createConfirm(dialog) {
  const title = $(".dialog-title", dialog);
  const body = $(".dialog-body", dialog);
  const ok = $("[data-dialog=confirm]", dialog);
  const cancel = $("[data-dialog=cancel]", dialog);
  let resolve = null;

  function finish(result) {
    if (!resolve) return;
    const done = resolve;
    resolve = null;
    if (dialog.open) dialog.close();
    done(result);
  }

  ok.addEventListener("click", () => finish(true));
  cancel.addEventListener("click", () => finish(false));
  dialog.addEventListener("close", () => finish(false));
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) finish(false); // click on the backdrop
  });

  return function ask({ heading, text, confirmLabel = "Confirm" }) {
    finish(false);
    title.textContent = heading;
    body.textContent = text;
    ok.textContent = confirmLabel;
    dialog.showModal();
    ok.focus();
    return new Promise((r) => {
      resolve = r;
    });
  };
}
