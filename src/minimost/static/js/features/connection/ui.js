// The "Reconnecting…" banner: shown when the live connection has been down for
// more than BANNER_DELAY_MS, hidden again as soon as the server says hello.

import { BANNER_DELAY_MS } from "./data.js";

export function mountConnection(store, { banner, text, retryButton, onRetry }) {
  let status = null;
  let timer = null;
  let shown = false;

  function render(state) {
    const next = state.connection.status;
    if (next === status) return;
    status = next;
    document.body.dataset.connection = status; // for tests and styling
    clearTimeout(timer);
    if (status === "online") {
      if (shown) {
        banner.dataset.state = "online";
        text.textContent = "Connected";
        retryButton.hidden = true;
        timer = setTimeout(hide, 1200);
      }
      return;
    }
    timer = setTimeout(show, BANNER_DELAY_MS);
  }

  function show() {
    shown = true;
    banner.dataset.state = "offline";
    text.textContent = "Connection lost. Reconnecting…";
    retryButton.hidden = false;
    banner.hidden = false;
    document.body.classList.add("offline");
  }

  function hide() {
    shown = false;
    banner.hidden = true;
    document.body.classList.remove("offline");
  }

  retryButton.addEventListener("click", onRetry);
  store.subscribe(render);
  render(store.get());
}
