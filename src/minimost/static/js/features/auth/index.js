// The auth feature's public surface: the signed-in user (the `session` slice), and the
// form rules and behaviour of the login, signup and reset-password pages and Settings.

export { authErrorMessages, checkUsername, reduceSession } from "./data.js";
export {
  bindPasswordRules, bindRevealButtons, clearErrors, setBusy, setFieldError, showErrors,
} from "./ui.js";
