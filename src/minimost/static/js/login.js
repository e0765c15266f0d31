// /login: sign in, then go to the app.

import { api } from "./core/api.js";
import { $ } from "./core/dom.js";
import { authErrorMessages, bindRevealButtons, clearErrors, setBusy, setFieldError, showErrors } from "./features/auth/index.js";

const form = $("#login-form");
bindRevealButtons(form);

const params = new URLSearchParams(location.search);
if (params.has("logged_out")) $("#auth-notice").hidden = false;
// After a password reset or an account deletion (features/settings, reset-password.js).
const NOTICES = { reset: "Your password was changed. Sign in with the new one.", deleted: "Your account was deleted." };
for (const [key, text] of Object.entries(NOTICES)) {
  if (params.has(key)) Object.assign($("#auth-notice"), { textContent: text, hidden: false });
}
if (params.get("username")) form.elements.username.value = params.get("username");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  let missing = false;
  if (!username) {
    setFieldError(form, "username", "Enter your username.");
    missing = true;
  }
  if (!password) {
    setFieldError(form, "password", "Enter your password.");
    missing = true;
  }
  if (missing) {
    form.querySelector("[aria-invalid=true]").focus();
    return;
  }
  setBusy(form, true, "Signing in…");
  try {
    await api.post("/api/v1/auth/login", { username, password }, { auth: false });
    location.replace("/");
  } catch (err) {
    setBusy(form, false);
    showErrors(form, authErrorMessages(err));
    if (err.code === "invalid_credentials") {
      form.elements.password.select();
      form.elements.password.focus();
    }
  }
});
