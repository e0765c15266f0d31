// /reset-password/<token>: choose a new password (rules shown live), then sign in.
// The token is read from the address and only ever sent in the POST body.

import { api } from "./core/api.js";
import { $ } from "./core/dom.js";
import {
  authErrorMessages, bindPasswordRules, bindRevealButtons, clearErrors, setBusy, setFieldError, showErrors,
} from "./features/auth/index.js";
import { resetErrorMessages, tokenFromPath } from "./features/settings/index.js";

const form = $("#reset-form");
const rulesList = $("#password-rules");
const token = tokenFromPath(location.pathname);
bindRevealButtons(form);
const checkRules = bindPasswordRules(form.elements.new_password, rulesList);

form.elements.new_password.addEventListener("input", () => setFieldError(form, "new_password", null));
form.elements.confirm.addEventListener("input", () => setFieldError(form, "confirm", null));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const password = form.elements.new_password.value;
  const confirm = form.elements.confirm.value;
  if (!checkRules().ok) {
    setFieldError(form, "new_password", password ? "This password doesn't meet every rule below." : "Choose a password.");
    rulesList.classList.add("attention");
    form.elements.new_password.focus();
    return;
  }
  if (confirm !== password) {
    setFieldError(form, "confirm", "The two passwords differ.");
    form.elements.confirm.focus();
    return;
  }
  setBusy(form, true, "Saving…");
  try {
    const done = await api.post("/api/v1/auth/reset-password", { token, new_password: password }, { auth: false });
    location.replace(`/login?reset=1&username=${encodeURIComponent(done.username)}`);
  } catch (err) {
    setBusy(form, false);
    showErrors(form, resetErrorMessages(err, authErrorMessages));
  }
});
