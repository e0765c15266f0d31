import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ago,
  deletionRequest,
  describeAgent,
  resetErrorMessages,
  settingsErrorMessage,
  sortSessions,
  tokenFromPath,
} from "../../src/minimost/static/js/features/settings/data.js";

test("tokenFromPath takes the token of a reset address only", () => {
  assert.equal(tokenFromPath("/reset-password/abc_DEF-123"), "abc_DEF-123");
  assert.equal(tokenFromPath("/reset-password/abc/"), "abc");
  assert.equal(tokenFromPath("/reset-password/"), "");
  assert.equal(tokenFromPath("/login"), "");
  assert.equal(tokenFromPath("/reset-password/a/b"), "");
  assert.equal(tokenFromPath("/reset-password/%E0%A4%A"), ""); // malformed escape
});

test("resetErrorMessages: one wording for every dead link, field names follow the form", () => {
  const dead = resetErrorMessages({ code: "reset_link_invalid" }, () => assert.fail("not used"));
  assert.match(dead.form, /invalid, already used or expired/);
  const weak = resetErrorMessages({ code: "validation_error" }, () => ({ form: null, fields: { password: "needs a digit" } }));
  assert.deepEqual(weak.fields, { new_password: "needs a digit" });
});

test("settingsErrorMessage words the server's codes", () => {
  assert.equal(settingsErrorMessage({ code: "wrong_password" }), "That password is not right.");
  assert.equal(settingsErrorMessage({ code: "rate_limited", retryAfter: 30 }), "Too many attempts. Try again in 30 s.");
  assert.equal(
    settingsErrorMessage({ code: "validation_error", fields: { new_password: "needs a digit" } }),
    "The new password needs a digit.",
  );
  assert.equal(
    settingsErrorMessage({ code: "validation_error", fields: { new_password: "choose a different password" } }),
    "Choose a different password.",
  );
  assert.equal(
    settingsErrorMessage({ code: "invalid_characters", fields: { new_password: "must not contain controls" } }),
    "Must not contain controls.",
  );
  assert.equal(settingsErrorMessage({ code: "account_locked", message: "locked for 15 minutes" }), "locked for 15 minutes");
});

test("describeAgent names common browsers and systems", () => {
  const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
  const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
  const edge = `${chrome} Edg/126.0`;
  assert.equal(describeAgent(firefox), "Firefox on Linux");
  assert.equal(describeAgent(chrome), "Chrome on Windows");
  assert.equal(describeAgent(edge), "Edge on Windows");
  assert.equal(describeAgent("curl/8.0"), "curl/8.0");
  assert.equal(describeAgent(""), "Unknown browser");
});

test("ago counts down to minutes and never goes negative", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  assert.equal(ago("2026-01-01T11:59:30Z", now), "just now");
  assert.equal(ago("2026-01-01T11:55:00Z", now), "5 minutes ago");
  assert.equal(ago("2026-01-01T11:00:00Z", now), "1 hour ago");
  assert.equal(ago("2025-12-30T12:00:00Z", now), "2 days ago");
  assert.equal(ago("2026-01-01T12:05:00Z", now), "just now");
  assert.equal(ago("not a date", now), "");
});

test("sortSessions puts the current session first, then the most recently active", () => {
  const sorted = sortSessions([
    { id: 1, current: false, last_seen_at: "2026-01-01T10:00:00.000Z" },
    { id: 2, current: false, last_seen_at: "2026-01-01T11:00:00.000Z" },
    { id: 3, current: true, last_seen_at: "2026-01-01T09:00:00.000Z" },
  ]);
  assert.deepEqual(sorted.map((s) => s.id), [3, 2, 1]);
});

test("deletionRequest needs a mode, the password and the confirmation", () => {
  assert.ok(deletionRequest({ mode: "", password: "x", confirmed: true }).error);
  assert.ok(deletionRequest({ mode: "soft", password: "", confirmed: true }).error);
  assert.ok(deletionRequest({ mode: "hard", password: "x", confirmed: false }).error);
  assert.deepEqual(deletionRequest({ mode: "hard", password: "x", confirmed: true }), { body: { password: "x", mode: "hard" } });
});
