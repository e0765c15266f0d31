import assert from "node:assert/strict";
import { test } from "node:test";

import { checkPassword, PASSWORD_RULES } from "../../src/minimost/static/js/features/auth/password.js";
import { authErrorMessages, checkUsername } from "../../src/minimost/static/js/features/auth/data.js";

const failing = (p) => checkPassword(p).rules.filter((r) => !r.ok).map((r) => r.id);

test("a strong password passes every rule", () => {
  assert.equal(checkPassword("Correct-Horse1").ok, true);
  assert.deepEqual(failing("Abcdef1!"), []);
});

test("each rule is reported on its own", () => {
  assert.deepEqual(failing(""), ["length", "upper", "digit", "special"]);
  assert.deepEqual(failing("Abc1!"), ["length"]);
  assert.deepEqual(failing("abcdefg1!"), ["upper"]);
  assert.deepEqual(failing("Abcdefgh!"), ["digit"]);
  assert.deepEqual(failing("Abcdefgh1"), ["special"]);
  assert.deepEqual(failing("Abcdefg 1"), ["special"], "a space is not a special character");
  assert.deepEqual(failing("Abcdefg1€"), ["special"], "only ASCII punctuation counts, as on the server");
  for (const ch of "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") assert.deepEqual(failing(`Abcdefg1${ch}`), [], ch);
});

test("length counts characters, not UTF-16 units", () => {
  assert.deepEqual(failing("A1!😀😀😀"), ["length"]);
});

test("very long passwords are refused", () => {
  assert.equal(checkPassword(`A1!${"x".repeat(1022)}`).ok, false);
});

test("rules have labels for the checklist", () => {
  assert.equal(PASSWORD_RULES.length, 4);
  for (const r of PASSWORD_RULES) assert.ok(r.label.length > 5);
});

test("usernames: 1–32 of a-z 0-9 . _ -, case-insensitive", () => {
  assert.equal(checkUsername("kevin.b_2-x"), null);
  assert.equal(checkUsername("Kevin"), null);
  assert.ok(checkUsername(""));
  assert.ok(checkUsername("a".repeat(33)));
  assert.ok(checkUsername("kev in"));
  assert.ok(checkUsername("kévin"));
});

test("server errors map to field and form messages", () => {
  assert.deepEqual(authErrorMessages({ code: "username_taken" }).fields, { username: "That username is taken." });
  assert.deepEqual(authErrorMessages({ code: "validation_error", fields: { password: "too weak" } }),
    { form: null, fields: { password: "too weak" } });
  const nul = { code: "invalid_characters", message: "not allowed", fields: { password: "no controls" } };
  assert.deepEqual(authErrorMessages(nul), { form: null, fields: { password: "no controls" } });
  assert.match(authErrorMessages({ code: "rate_limited", retryAfter: 30 }).form, /30 s/);
  assert.match(authErrorMessages({ code: "invalid_credentials" }).form, /Wrong username or password/);
});
