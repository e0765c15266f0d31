// Attaching files to the next message: the paperclip, paste and drag-and-drop. Each file
// uploads at once (with a progress bar on its chip); the message goes out with the ids of
// the uploaded ones, text optional. Pending attachments are kept per conversation.

import { describeError, upload } from "../../core/api.js";
import { el } from "../../core/dom.js";
import {
  draggingFiles, filesOf, humanSize, MAX_ATTACHMENTS, newEntry, percent, refusal,
  remove, sendState, takeReady, update,
} from "./data.js";

/** `composer`: the composer feature's mount (mountComposer), which the attachments extend. */
export function mountAttachments(store, { form, input, button, picker, list, dropZone, toast, composer }) {
  const byConv = new Map(); // convId -> entries
  const uploads = new Map(); // key -> { abort }
  let shownConv = null;

  const entries = (convId) => byConv.get(convId) ?? [];
  const refreshComposer = composer.allowSendWithout((convId) => sendState(entries(convId)));

  function set(convId, next) {
    if (next.length) byConv.set(convId, next);
    else byConv.delete(convId);
    if (convId === shownConv) render();
    refreshComposer();
  }

  composer.extendSend((state, convId) => {
    const { files, rest } = takeReady(entries(convId));
    if (!files.length) return null;
    set(convId, rest);
    return { body: { file_ids: files.map((f) => f.id) }, pending: { files } };
  });

  function add(files) {
    const convId = store.get().channels.activeId;
    if (convId === null || !files.length) return;
    let current = entries(convId);
    for (const file of files) {
      const problem = refusal(file, store.get().limits.upload);
      if (problem) {
        toast(problem, { kind: "error" });
        continue;
      }
      if (current.length >= MAX_ATTACHMENTS) {
        toast(`At most ${MAX_ATTACHMENTS} files per message.`, { kind: "error" });
        break;
      }
      const entry = newEntry(file);
      current = current.concat([entry]);
      start(convId, entry, file);
    }
    set(convId, current);
  }

  function start(convId, entry, file) {
    const job = upload("POST", "/api/v1/files", file, {
      onProgress: (loaded) => {
        const next = update(entries(convId), entry.key, { loaded });
        byConv.set(convId, next);
        if (convId === shownConv) renderProgress(entry.key, next);
      },
    });
    uploads.set(entry.key, job);
    job.promise.then(
      (answer) => set(convId, update(entries(convId), entry.key, { status: "done", file: answer.file, loaded: entry.size })),
      (err) => {
        if (err && err.name === "AbortError") return;
        set(convId, update(entries(convId), entry.key, { status: "error", error: describeError(err) }));
      },
    ).finally(() => uploads.delete(entry.key));
  }

  function discard(key) {
    const job = uploads.get(key);
    if (job) job.abort();
    set(shownConv, remove(entries(shownConv), key));
    input.focus();
  }

  // ---- rendering ----------------------------------------------------------

  function chip(entry) {
    const state = entry.status === "error" ? `Failed: ${entry.error}` : entry.status === "uploading" ? "Uploading…" : humanSize(entry.size);
    return el("li", { class: ["attachment", `is-${entry.status}`], dataset: { key: entry.key } },
      el("span", { class: "attachment-name", title: entry.name, text: entry.name }),
      el("span", { class: "attachment-state", text: state }),
      entry.status === "uploading"
        ? el("progress", { class: "attachment-progress", max: "100", value: String(percent(entry)), "aria-label": `Uploading ${entry.name}` })
        : null,
      el("button", { type: "button", class: "icon-btn attachment-remove", "aria-label": `Remove ${entry.name}`, title: "Remove", dataset: { remove: entry.key }, text: "×" }));
  }

  function render() {
    const current = entries(shownConv);
    list.replaceChildren(...current.map(chip));
    list.hidden = current.length === 0;
  }

  function renderProgress(key, current) {
    const entry = current.find((e) => e.key === key);
    const bar = list.querySelector(`[data-key="${key}"] progress`);
    if (entry && bar) bar.value = percent(entry);
  }

  store.subscribe((state) => {
    if (state.channels.activeId === shownConv) return;
    shownConv = state.channels.activeId;
    render();
  });
  shownConv = store.get().channels.activeId;
  render();

  // ---- inputs -------------------------------------------------------------

  button.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    add(Array.from(picker.files || []));
    picker.value = "";
    input.focus();
  });
  list.addEventListener("click", (event) => {
    const removeButton = event.target.closest("[data-remove]");
    if (removeButton) discard(removeButton.dataset.remove);
  });
  input.addEventListener("paste", (event) => {
    const files = filesOf(event.clipboardData);
    if (!files.length) return; // plain text pastes as usual
    event.preventDefault();
    add(files);
  });

  let depth = 0; // dragenter/leave fire for every child crossed
  dropZone.addEventListener("dragenter", (event) => {
    if (!draggingFiles(event.dataTransfer)) return;
    depth++;
    dropZone.classList.add("dropping");
  });
  dropZone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropZone.classList.remove("dropping");
  });
  dropZone.addEventListener("dragover", (event) => {
    if (!draggingFiles(event.dataTransfer)) return;
    event.preventDefault(); // allow the drop
    event.dataTransfer.dropEffect = "copy";
  });
  dropZone.addEventListener("drop", (event) => {
    depth = 0;
    dropZone.classList.remove("dropping");
    const files = filesOf(event.dataTransfer);
    if (!files.length) return;
    event.preventDefault();
    add(files);
    input.focus();
  });
  form.addEventListener("reset", () => set(shownConv, []));

  return { add };
}
