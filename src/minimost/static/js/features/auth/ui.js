// Shared form behaviour for the login and signup pages: field errors, a form-level
// alert, a busy submit button and the show/hide password toggle.

import { el, $ } from "../../core/dom.js";
import { checkPassword, PASSWORD_RULES } from "./password.js";

export function setFieldError(form, name, message) {
  const input = form.elements.namedItem(name);
  const slot = form.querySelector(`[data-error-for="${name}"]`);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  if (slot) {
    slot.textContent = message || "";
    slot.hidden = !message;
  }
}

export function setFormError(form, message) {
  const alert = $(".form-error", form);
  alert.textContent = message || "";
  alert.hidden = !message;
}

export function clearErrors(form) {
  setFormError(form, null);
  for (const slot of form.querySelectorAll("[data-error-for]")) setFieldError(form, slot.dataset.errorFor, null);
}

/** Show server/field errors; focus the first field in error. */
export function showErrors(form, { form: formMessage, fields }) {
  setFormError(form, formMessage);
  let first = null;
  for (const [name, message] of Object.entries(fields || {})) {
    const known = form.querySelector(`[data-error-for="${name}"]`);
    if (known) {
      setFieldError(form, name, message);
      first ??= form.elements.namedItem(name);
    } else if (!formMessage) {
      setFormError(form, message);
    }
  }
  if (first && typeof first.focus === "function") first.focus();
}

export function setBusy(form, busy, busyLabel) {
  const button = $("button[type=submit]", form);
  button.disabled = busy;
  button.setAttribute("aria-busy", busy ? "true" : "false");
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = busyLabel;
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
}

/** Wire every `.reveal` button to toggle its password input between hidden and shown. */
export function bindRevealButtons(root = document) {
  for (const button of root.querySelectorAll("button.reveal")) {
    const input = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
      button.textContent = show ? "Hide" : "Show";
      button.setAttribute("aria-label", show ? "Hide password" : "Show password");
    });
  }
}

/** Render the live password checklist into `list` and keep it in step with `input`. */
export function bindPasswordRules(input, list) {
  const items = new Map();
  for (const rule of PASSWORD_RULES) {
    const state = el("span", { class: "visually-hidden", text: "not met: " });
    const item = el("li", { class: "rule", dataset: { rule: rule.id, state: "unmet" } },
      el("span", { class: "rule-icon", "aria-hidden": "true" }), state, el("span", { text: rule.label }));
    items.set(rule.id, { item, state });
    list.append(item);
  }
  const update = () => {
    const result = checkPassword(input.value);
    for (const { id, ok } of result.rules) {
      const { item, state } = items.get(id);
      item.dataset.state = ok ? "met" : "unmet";
      state.textContent = ok ? "met: " : "not met: ";
    }
    list.dataset.complete = String(result.ok);
    return result;
  };
  input.addEventListener("input", () => {
    update();
    list.classList.remove("attention");
  });
  update();
  return update;
}
