// Auth form rules that do not touch the DOM: username shape and error mapping.

import { mergeUser } from "../../core/people.js";

export const USERNAME_PATTERN = /^[a-z0-9._-]{1,32}$/i;

export function checkUsername(name) {
  const value = String(name ?? "").trim();
  if (!value) return "Choose a username.";
  if (value.length > 32) return "Use at most 32 characters.";
  if (!USERNAME_PATTERN.test(value)) return "Use only letters, numbers, dots, dashes and underscores.";
  return null;
}

/** Map an ApiError from signup/login to { form, fields } messages for display. */
export function authErrorMessages(err) {
  const fields = {};
  let form = null;
  switch (err && err.code) {
    case "validation_error":
    case "invalid_characters": // a control character pasted into a field: say which
      Object.assign(fields, err.fields || {});
      if (Object.keys(fields).length === 0) form = err.message;
      break;
    case "username_taken":
      fields.username = "That username is taken.";
      break;
    case "invalid_credentials":
      form = "Wrong username or password.";
      break;
    case "account_locked":
      form = err.message || "This account is locked after too many failed attempts. Try again later.";
      break;
    case "rate_limited":
      form = err.retryAfter ? `Too many attempts. Try again in ${err.retryAfter} s.` : "Too many attempts. Try again shortly.";
      break;
    case "network_error":
      form = "Can't reach the server. Check your connection and try again.";
      break;
    default:
      form = (err && err.message) || "Something went wrong. Try again.";
  }
  return { form, fields };
}

// The signed-in user, kept in the app store.
export function reduceSession(state = { user: null }, action) {
  if (action.type === "session/loaded") return { user: action.user };
  // My own profile changed (here or in another tab): keep is_admin, take the rest.
  if (action.type === "event" && action.frame && action.frame.type === "user.updated") {
    const user = mergeUser(state.user, action.frame.data && action.frame.data.user);
    return user === state.user ? state : { user };
  }
  return state;
}
