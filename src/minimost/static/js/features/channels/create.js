// "Create private channel": a name, an optional topic, and the people to invite.

import { describeError } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { createModal } from "../../ui/modal.js";
import { createPeoplePicker } from "../../ui/people-picker.js";
import { createPrivateChannel } from "./actions.js";

export const NAME_MAX = 64;

function field(label, input, hint = null) {
  const id = input.id;
  return el("div", { class: "modal-field" },
    el("label", { for: id, text: label }), input, hint ? el("p", { class: "field-hint", text: hint }) : null);
}

export function mountCreatePrivate(store, { openButton, onOpen }) {
  const modal = createModal({ title: "Create private channel", className: "create-dialog" });
  const me = () => store.get().session.user;
  const name = el("input", { type: "text", id: "create-name", class: "field-input", maxlength: NAME_MAX, required: true, autocomplete: "off" });
  const topic = el("input", { type: "text", id: "create-topic", class: "field-input", maxlength: 250, autocomplete: "off" });
  const error = el("p", { class: "form-error", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "btn btn-primary", text: "Create" });
  const picker = createPeoplePicker({
    label: "Invite people",
    meId: () => me()?.id ?? null,
    exclude: () => (me() ? [me().id] : []),
    onSubmit: () => form.requestSubmit(),
  });
  const form = el("form", { class: "modal-form", novalidate: true },
    field("Name", name, "Only the people you invite can see a private channel."),
    field("Topic (optional)", topic),
    el("div", { class: "modal-field" }, el("span", { class: "field-label", text: "Invite people" }), picker.root),
    error,
    el("div", { class: "dialog-actions" },
      el("button", { type: "button", class: "btn btn-secondary", text: "Cancel", onclick: () => modal.close() }),
      submit));
  modal.body.append(form);

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const trimmed = name.value.trim();
    if (!trimmed) {
      name.setAttribute("aria-invalid", "true");
      showError("Give the channel a name.");
      name.focus();
      return;
    }
    name.removeAttribute("aria-invalid");
    submit.disabled = true;
    showError("");
    try {
      const conv = await createPrivateChannel(store, {
        name: trimmed,
        topic: topic.value.trim(),
        members: picker.chosen().map((u) => u.id),
      });
      modal.close();
      onOpen(conv.id);
    } catch (err) {
      showError(`Couldn't create the channel: ${describeError(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  function open() {
    form.reset();
    picker.reset();
    showError("");
    name.removeAttribute("aria-invalid");
    modal.open();
    picker.start();
    name.focus();
  }

  openButton.addEventListener("click", open);
  return { open };
}
