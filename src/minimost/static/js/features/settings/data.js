// Settings → Security, without the DOM: error wording, session descriptions, the
// reset-link token. Tested with node (tests/js/settings.test.js).

/** The token of a /reset-password/<token> address ("" when there is none). */
export function tokenFromPath(pathname) {
  const match = /^\/reset-password\/([^/?#]+)\/?$/.exec(String(pathname ?? ""));
  if (!match) return "";
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return "";
  }
}

/** { form, fields } for the reset page; `fallback` maps the errors all auth forms share. */
export function resetErrorMessages(err, fallback) {
  if (err && err.code === "reset_link_invalid") {
    return { form: "This link is invalid, already used or expired. Ask your administrator for a new one.", fields: {} };
  }
  const mapped = fallback(err);
  const fields = {};
  for (const [name, message] of Object.entries(mapped.fields || {})) {
    fields[name === "password" ? "new_password" : name] = message;
  }
  return { form: mapped.form, fields };
}

/** Settings' own error wording: a wrong current password, a lockout, a weak new one. */
export function settingsErrorMessage(err) {
  switch (err && err.code) {
    case "wrong_password":
      return "That password is not right.";
    case "account_locked":
      return err.message || "Too many wrong passwords. Try again later.";
    case "rate_limited":
      return err.retryAfter ? `Too many attempts. Try again in ${err.retryAfter} s.` : "Too many attempts. Try again shortly.";
    case "validation_error":
    case "invalid_characters": {
      const first = Object.values(err.fields || {})[0];
      if (!first) return err.message || "Check the form and try again.";
      const text = first.startsWith("needs ") ? `The new password ${first}` : first;
      return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
    }
    case "network_error":
      return "Can't reach the server. Check your connection and try again.";
    default:
      return (err && err.message) || "Something went wrong. Try again.";
  }
}

const BROWSERS = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrome\//, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Firefox on Linux" from a User-Agent header; the raw text when nothing is recognised. */
export function describeAgent(userAgent) {
  const ua = String(userAgent ?? "");
  if (!ua) return "Unknown browser";
  const browser = (BROWSERS.find(([re]) => re.test(ua)) || [null, null])[1];
  const system = (SYSTEMS.find(([re]) => re.test(ua)) || [null, null])[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser || system) return browser || system;
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago" (never in the future). */
export function ago(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return "just now";
  const units = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return `${n} ${name}${n === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}

/** Sessions for display: the current one first, then by last activity. */
export function sortSessions(sessions) {
  return [...(sessions || [])].sort((a, b) => {
    if (a.current !== b.current) return a.current ? -1 : 1;
    return String(b.last_seen_at).localeCompare(String(a.last_seen_at));
  });
}

/** The body for DELETE /api/v1/me, or an error text when the form is incomplete. */
export function deletionRequest({ mode, password, confirmed }) {
  if (mode !== "soft" && mode !== "hard") return { error: "Choose what happens to your messages." };
  if (!password) return { error: "Enter your password to confirm." };
  if (!confirmed) return { error: "Tick the box to confirm that this cannot be undone." };
  return { body: { password, mode } };
}
