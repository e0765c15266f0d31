// /signup: create an account (password rules shown live), then go to the app.

import { api } from "./core/api.js";
import { $ } from "./core/dom.js";
import {
  authErrorMessages, bindPasswordRules, bindRevealButtons, checkUsername, clearErrors, setBusy, setFieldError, showErrors,
} from "./features/auth/index.js";

const form = $("#signup-form");
const rulesList = $("#password-rules");
bindRevealButtons(form);
const checkRules = bindPasswordRules(form.elements.password, rulesList);

form.elements.username.addEventListener("blur", () => {
  const value = form.elements.username.value;
  if (value) setFieldError(form, "username", checkUsername(value));
});
form.elements.username.addEventListener("input", () => setFieldError(form, "username", null));
form.elements.password.addEventListener("input", () => setFieldError(form, "password", null));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const username = form.elements.username.value.trim();
  const displayName = form.elements.display_name.value.trim();
  const password = form.elements.password.value;

  const usernameProblem = checkUsername(username);
  const passwordOk = checkRules().ok;
  if (usernameProblem) setFieldError(form, "username", usernameProblem);
  if (!passwordOk) {
    setFieldError(form, "password", password ? "This password doesn't meet every rule below." : "Choose a password.");
    rulesList.classList.add("attention");
  }
  if (usernameProblem || !passwordOk) {
    form.querySelector("[aria-invalid=true]").focus();
    return;
  }

  setBusy(form, true, "Creating account…");
  try {
    const body = { username, password };
    if (displayName) body.display_name = displayName;
    await api.post("/api/v1/auth/signup", body, { auth: false });
    location.replace("/");
  } catch (err) {
    setBusy(form, false);
    showErrors(form, authErrorMessages(err));
  }
});
