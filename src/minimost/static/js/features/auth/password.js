// The password rule, shown live on the signup page and checked before submitting.
// The server enforces the same rule (8+ characters, an uppercase letter, a digit,
// a special character); keep the two in step.

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

// The same ASCII punctuation the server counts as special (string.punctuation).
export const PASSWORD_SPECIALS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

export const PASSWORD_RULES = Object.freeze([
  { id: "length", label: `At least ${PASSWORD_MIN_LENGTH} characters`, test: (p) => [...p].length >= PASSWORD_MIN_LENGTH },
  { id: "upper", label: "An uppercase letter", test: (p) => /[A-Z]/.test(p) },
  { id: "digit", label: "A number", test: (p) => /[0-9]/.test(p) },
  { id: "special", label: "A special character, like ! ? # @", test: (p) => [...p].some((ch) => PASSWORD_SPECIALS.includes(ch)) },
]);

/** { ok, rules: [{ id, label, ok }] } for a candidate password. */
export function checkPassword(password) {
  const text = String(password ?? "");
  const rules = PASSWORD_RULES.map(({ id, label, test }) => ({ id, label, ok: test(text) }));
  const ok = rules.every((r) => r.ok) && [...text].length <= PASSWORD_MAX_LENGTH;
  return { ok, rules };
}
