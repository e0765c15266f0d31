// The inline editor of your own message (Enter saves, Esc cancels, an empty text
// offers to delete) and the delete confirmation. The editor's DOM node outlives row
// re-renders, so typing is never lost when the message list updates around it.

import { autosize, el } from "../../core/dom.js";
import { bindFormatKeys } from "../../ui/format.js";
import { deleteMessage, editMessage } from "./actions.js";

export function createEditor(store, { ask, toast, focusComposer, findMessageById }) {
  let editor = null; // { id, message, node, textarea, saveButton, errorNode, justOpened }

  /** Follow the store's `editing` state; returns the editor node to mount, or null. */
  function sync(editing, conv) {
    if (!editing) {
      if (editor) {
        const hadFocus = editor.node.contains(document.activeElement);
        editor = null;
        if (hadFocus) focusComposer();
      }
      return null;
    }
    const message = conv && conv.items.find((m) => !m.pending && m.id === editing.id);
    if (!message) return null;
    if (!editor || editor.id !== editing.id) editor = build(message);
    editor.textarea.disabled = editing.saving;
    editor.saveButton.disabled = editing.saving;
    editor.saveButton.textContent = editing.saving ? "Saving…" : "Save";
    editor.errorNode.textContent = editing.error || "";
    editor.errorNode.hidden = !editing.error;
    return editor.node;
  }

  /** After the row is in the DOM: focus a freshly opened editor, caret at the end. */
  function focusIfNew() {
    if (!editor || !editor.justOpened) return;
    editor.justOpened = false;
    const { textarea } = editor;
    textarea.focus();
    editor.fit();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    editor.node.scrollIntoView({ block: "nearest" });
  }

  function build(message) {
    const textarea = el("textarea", { class: "msg-editor-input", "aria-label": "Edit message", rows: "1", maxlength: "10000" });
    textarea.value = message.text;
    const saveButton = el("button", { type: "submit", class: "btn btn-primary btn-small", text: "Save" });
    const cancelButton = el("button", { type: "button", class: "btn btn-secondary btn-small", text: "Cancel" });
    const errorNode = el("p", { class: "msg-editor-error", role: "alert", hidden: true });
    const node = el("form", { class: "msg-editor" }, textarea,
      el("div", { class: "msg-editor-bar" },
        el("span", { class: "msg-editor-hint" }, el("kbd", { text: "Esc" }), " to cancel · ", el("kbd", { text: "Enter" }), " to save"),
        cancelButton, saveButton),
      errorNode);
    const ed = { id: message.id, message, node, textarea, saveButton, errorNode, justOpened: true, fit: autosize(textarea) };
    bindFormatKeys(textarea); // Ctrl+B/I/U/S, as in the composer
    node.addEventListener("submit", (event) => {
      event.preventDefault();
      save(ed);
    });
    cancelButton.addEventListener("click", cancel);
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        cancel();
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save(ed);
      }
    });
    return ed;
  }

  function cancel() {
    store.dispatch({ type: "edit/end" });
    focusComposer();
  }

  async function save(ed) {
    const current = findMessageById(ed.id) ?? ed.message;
    const text = ed.textarea.value.trim();
    if (text === current.text.trim()) return cancel();
    if (!text) {
      cancel();
      return confirmDelete(current);
    }
    if (await editMessage(store, current, text)) focusComposer();
  }

  async function confirmDelete(message) {
    const yes = await ask({
      heading: "Delete message?",
      text: "This can't be undone. Everyone will see that a message was deleted.",
      confirmLabel: "Delete",
    });
    if (!yes) return;
    const problem = await deleteMessage(store, message);
    if (problem) toast(`Couldn't delete the message: ${problem}`, { kind: "error" });
    focusComposer();
  }

  return { sync, focusIfNew, confirmDelete };
}
