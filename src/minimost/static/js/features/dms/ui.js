// The DM picker: `o` (outside text fields) or the "+" by Direct messages opens it; pick
// one or more people, Enter opens the conversation with them (created if new).

import { describeError } from "../../core/api.js";
import { el, isTyping } from "../../core/dom.js";
import { createModal } from "../../ui/modal.js";
import { createPeoplePicker } from "../../ui/people-picker.js";
import { openDirectMessage } from "../channels/index.js";
import { canChooseMore, dmRequest } from "./data.js";

export function mountDmPicker(store, { openButton, onOpen }) {
  const modal = createModal({ title: "Direct message", className: "dm-dialog" });
  const meId = () => store.get().session.user?.id ?? null;
  let busy = false;

  const goButton = el("button", { type: "button", class: "btn btn-primary", text: "Go", disabled: true });
  const picker = createPeoplePicker({
    label: "Find people",
    meId,
    canChoose: (chosen) => canChooseMore(chosen, meId()),
    onSubmit: submit,
    onChange: (chosen) => {
      goButton.disabled = chosen.length === 0 || busy;
    },
  });
  modal.body.append(
    el("p", { class: "modal-hint", text: "Type to find people. Enter adds the highlighted person; Enter on an empty box opens the conversation." }),
    picker.root,
    el("div", { class: "dialog-actions" },
      el("button", { type: "button", class: "btn btn-secondary", text: "Cancel", onclick: () => modal.close() }),
      goButton));
  goButton.addEventListener("click", submit);
  modal.onClose(() => picker.reset());

  async function submit() {
    const body = dmRequest(picker.chosen(), meId());
    if (!body || busy) return;
    busy = true;
    goButton.disabled = true;
    try {
      const conv = await openDirectMessage(store, body);
      modal.close();
      onOpen(conv.id);
    } catch (err) {
      picker.setStatus(`Couldn't open the conversation: ${describeError(err)}`);
    } finally {
      busy = false;
      goButton.disabled = picker.chosen().length === 0;
    }
  }

  function open() {
    picker.reset();
    modal.open();
    picker.start();
    picker.focus();
  }

  openButton.addEventListener("click", open);
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "o" && !isTyping() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      open();
    }
  });

  return { open };
}
