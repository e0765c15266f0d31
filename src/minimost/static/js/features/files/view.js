// Attachments in a message row: images as thumbnails (their box reserved from the known
// size, so nothing jumps when they load) that open a full-size viewer; other files as
// download links with their original name and size.

import { el } from "../../core/dom.js";
import { svgIcon } from "../../ui/icons.js";
import { messageKey } from "../messages/index.js";
import { humanSize, thumbBox } from "./data.js";

const FILE_ICON = "M6 3h8l4 4v14H6zM14 3v4h4";
const DOWNLOAD_ICON = "M12 4v11M7 10l5 5 5-5M5 20h14";

function imageTile(file) {
  const box = thumbBox(file.width, file.height);
  return el("button", { type: "button", class: "file-image", dataset: { viewFile: String(file.id) }, "aria-label": `View image ${file.name}`, title: file.name },
    el("img", { src: file.thumbnail_url || file.url, alt: file.name, width: box.width, height: box.height, loading: "lazy", decoding: "async" }));
}

function fileLink(file) {
  return el("a", { class: "file-link", href: file.url, download: file.name, title: `Download ${file.name}` },
    el("span", { class: "file-icon" }, svgIcon(FILE_ICON)),
    el("span", { class: "file-meta" },
      el("span", { class: "file-name", text: file.name }),
      el("span", { class: "file-size", text: humanSize(file.size) })),
    el("span", { class: "file-download" }, svgIcon(DOWNLOAD_ICON)));
}

export function renderFiles(message) {
  const files = message.files || [];
  if (!files.length) return null;
  return el("div", { class: "msg-files" }, files.map((file) => (file.is_image ? imageTile(file) : fileLink(file))));
}

/** The full-size viewer: a modal <dialog> (Esc and focus return come with it). */
export function createViewer() {
  const img = el("img", { class: "viewer-image", alt: "" });
  const caption = el("span", { class: "viewer-name" });
  const download = el("a", { class: "btn btn-secondary viewer-download", text: "Download" });
  const close = el("button", { type: "button", class: "icon-btn viewer-close", "aria-label": "Close image", title: "Close (Esc)", text: "×" });
  const dialog = el("dialog", { class: "viewer", id: "image-viewer", "aria-label": "Image viewer" },
    el("div", { class: "viewer-bar" }, caption, download, close),
    el("div", { class: "viewer-stage" }, img));
  document.body.append(dialog);
  let returnTo = null;

  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog || event.target.classList.contains("viewer-stage")) dialog.close();
  });
  dialog.addEventListener("close", () => {
    img.removeAttribute("src");
    if (returnTo && returnTo.isConnected) returnTo.focus();
    returnTo = null;
  });

  return {
    open(file) {
      returnTo = document.activeElement;
      img.src = file.url;
      img.alt = file.name;
      if (file.width && file.height) {
        img.width = file.width;
        img.height = file.height;
      }
      caption.textContent = file.name;
      download.href = file.url;
      download.setAttribute("download", file.name);
      dialog.showModal();
      close.focus();
    },
  };
}

/** `decorations`: the message rows' extension points (messages feature, from main.js). */
export function mountFileViews(store, { list, decorations }) {
  decorations.decorate("files", renderFiles);
  const viewer = createViewer();
  list.addEventListener("click", (event) => {
    const tile = event.target.closest("[data-view-file]");
    if (!tile) return;
    const row = tile.closest(".msg");
    const id = Number(tile.dataset.viewFile);
    const state = store.get();
    const conv = state.messages.byConv[state.channels.activeId];
    const message = conv && row && conv.items.find((m) => messageKey(m) === row.dataset.key);
    const file = message && (message.files || []).find((f) => f.id === id);
    if (file) viewer.open(file);
  });
}
