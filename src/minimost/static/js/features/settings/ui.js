// The Settings dialog, Security tab: change password, signed-in sessions, personal access
// tokens and account deletion. Opened from the gear in the sidebar's account card.

import { api, request } from "../../core/api.js";
import { clear, el } from "../../core/dom.js";
import { createModal } from "../../ui/modal.js";
import { bindPasswordRules } from "../auth/index.js";
import { ago, deletionRequest, describeAgent, settingsErrorMessage, sortSessions } from "./data.js";

/**
 * mountSettings({ button, toast, signOut })
 *   signOut(query)  leave the app for /login<query> (stops the socket first)
 */
export function mountSettings({ button, toast, signOut }) {
  const modal = createModal({ title: "Settings", className: "settings-modal" });
  const tabs = el("div", { class: "settings-tabs", role: "tablist", "aria-label": "Settings sections" },
    el("button", { type: "button", role: "tab", id: "settings-tab-security", class: "settings-tab",
      "aria-selected": "true", "aria-controls": "settings-security", text: "Security" }));
  const panel = el("div", { class: "settings-panel", role: "tabpanel", id: "settings-security",
    "aria-labelledby": "settings-tab-security" });
  modal.body.append(tabs, panel);

  const password = passwordSection({ toast, onChanged: () => sessions.load() });
  const sessions = sessionsSection({ toast, signOut });
  const tokens = tokensSection({ toast });
  const deletion = deletionSection({ toast, signOut });
  panel.append(password.node, sessions.node, tokens.node, deletion.node);

  button.addEventListener("click", () => {
    password.reset();
    deletion.reset();
    modal.open();
    sessions.load();
    tokens.load();
  });
  return { open: () => button.click() };
}

function section(title, id, ...children) {
  return el("section", { class: "settings-section", "aria-labelledby": id },
    el("h3", { class: "settings-heading", id, text: title }), ...children);
}

function field(label, input, ...extra) {
  return el("div", { class: "settings-field" }, el("label", { for: input.id, text: label }), input, ...extra);
}

function passwordInput(id, autocomplete) {
  return el("input", { id, name: id, type: "password", class: "field-input", autocomplete, required: true, maxlength: 1024 });
}

function setStatus(node, message, kind = "error") {
  node.textContent = message || "";
  node.dataset.kind = kind;
  node.hidden = !message;
}

function passwordSection({ toast, onChanged }) {
  const current = passwordInput("settings-current-password", "current-password");
  const next = passwordInput("settings-new-password", "new-password");
  const confirm = passwordInput("settings-confirm-password", "new-password");
  const rules = el("ul", { class: "rules settings-rules", "aria-live": "polite", "aria-label": "Your new password needs" });
  const status = el("p", { class: "settings-status", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "btn btn-primary", text: "Change password" });
  const form = el("form", { class: "settings-form", id: "settings-password-form", novalidate: true },
    status,
    field("Current password", current),
    field("New password", next, rules),
    field("Repeat the new password", confirm),
    el("p", { class: "settings-hint", text: "Your other sessions are signed out; this one stays." }),
    el("div", { class: "dialog-actions" }, submit));
  const check = bindPasswordRules(next, rules);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setStatus(status, null);
    if (!current.value) return setStatus(status, "Enter your current password.");
    if (!check().ok) return setStatus(status, "The new password doesn't meet every rule.");
    if (next.value !== confirm.value) return setStatus(status, "The two new passwords differ.");
    submit.disabled = true;
    try {
      const done = await api.post("/api/v1/me/password", { current_password: current.value, new_password: next.value });
      reset();
      const others = done.ended_sessions;
      setStatus(status, others ? `Password changed. ${others} other session${others === 1 ? " was" : "s were"} signed out.` : "Password changed.", "ok");
      toast("Password changed.");
      onChanged();
    } catch (err) {
      setStatus(status, settingsErrorMessage(err));
    } finally {
      submit.disabled = false;
    }
  });

  function reset() {
    form.reset();
    check();
    setStatus(status, null);
  }
  return { node: section("Password", "settings-password-heading", form), reset };
}

function sessionsSection({ toast, signOut }) {
  const list = el("ul", { class: "settings-list", id: "settings-sessions", "aria-live": "polite" });
  const status = el("p", { class: "settings-status", role: "alert", hidden: true });

  async function load() {
    setStatus(status, null);
    try {
      const { sessions } = await api.get("/api/v1/me/sessions");
      render(sortSessions(sessions));
    } catch (err) {
      setStatus(status, settingsErrorMessage(err));
    }
  }

  function render(sessions) {
    clear(list);
    for (const s of sessions) {
      const revoke = el("button", { type: "button", class: "btn btn-secondary btn-small",
        text: "Sign out", "aria-label": `Sign out ${describeAgent(s.user_agent)}` });
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await api.del(`/api/v1/me/sessions/${s.id}`);
          if (s.current) return signOut("?logged_out=1");
          toast("Session signed out.");
          await load();
        } catch (err) {
          revoke.disabled = false;
          setStatus(status, settingsErrorMessage(err));
        }
      });
      list.append(el("li", { class: "settings-item", dataset: { sessionId: s.id, current: String(s.current) } },
        el("div", { class: "settings-item-main" },
          el("span", { class: "settings-item-title" }, describeAgent(s.user_agent),
            s.current ? el("span", { class: "settings-badge", text: "This browser" }) : null),
          el("span", { class: "settings-item-meta",
            text: [s.ip || "unknown address", `active ${ago(s.last_seen_at)}`, `signed in ${new Date(s.created_at).toLocaleDateString()}`].join(" · ") })),
        revoke));
    }
  }

  const node = section("Where you're signed in", "settings-sessions-heading",
    el("p", { class: "settings-hint", text: "Sign out a browser you no longer use; its open tabs return to the sign-in page." }),
    status, list);
  return { node, load };
}

function tokensSection({ toast }) {
  const list = el("ul", { class: "settings-list", id: "settings-tokens" });
  const empty = el("p", { class: "settings-hint", text: "No personal access tokens.", hidden: true });
  const status = el("p", { class: "settings-status", role: "alert", hidden: true });

  async function load() {
    setStatus(status, null);
    try {
      const { tokens } = await api.get("/api/v1/me/tokens");
      clear(list);
      empty.hidden = tokens.length > 0;
      for (const t of tokens) {
        const revoke = el("button", { type: "button", class: "btn btn-secondary btn-small", text: "Revoke", "aria-label": `Revoke token ${t.name}` });
        revoke.addEventListener("click", async () => {
          revoke.disabled = true;
          try {
            await api.del(`/api/v1/me/tokens/${t.id}`);
            toast(`Token “${t.name}” revoked.`);
            await load();
          } catch (err) {
            revoke.disabled = false;
            setStatus(status, settingsErrorMessage(err));
          }
        });
        list.append(el("li", { class: "settings-item" },
          el("div", { class: "settings-item-main" },
            el("span", { class: "settings-item-title", text: t.name }),
            el("span", { class: "settings-item-meta", text: `created ${new Date(t.created_at).toLocaleDateString()}` })),
          revoke));
      }
    } catch (err) {
      setStatus(status, settingsErrorMessage(err));
    }
  }

  const node = section("Personal access tokens", "settings-tokens-heading",
    el("p", { class: "settings-hint", text: "Scripts use these (Authorization: Bearer …). Create them with POST /api/v1/tokens." }),
    status, empty, list);
  return { node, load };
}

function deletionSection({ signOut }) {
  const radio = (value, title, text) => {
    const id = `settings-delete-${value}`;
    return el("label", { class: "settings-choice", for: id },
      el("input", { type: "radio", name: "mode", value, id }),
      el("span", {}, el("strong", { text: title }), el("span", { class: "settings-choice-text", text })));
  };
  const pw = passwordInput("settings-delete-password", "current-password");
  const understood = el("input", { type: "checkbox", id: "settings-delete-confirm", name: "confirmed" });
  const status = el("p", { class: "settings-status", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "btn btn-danger", text: "Delete my account" });
  const form = el("form", { class: "settings-form settings-danger", id: "settings-delete-form", novalidate: true },
    el("p", { class: "settings-warning",
      text: "Deleting your account signs you out everywhere, revokes your tokens and frees your username. It cannot be undone." }),
    el("fieldset", { class: "settings-choices" },
      el("legend", { text: "Your messages" }),
      radio("soft", "Keep my messages", "They stay in the conversations, shown as “Deleted User”."),
      radio("hard", "Delete my messages", "Every message and file you posted, and your reactions, are removed for everyone.")),
    field("Your password", pw),
    el("label", { class: "settings-check", for: understood.id }, understood,
      el("span", { text: "I understand that this cannot be undone." })),
    status,
    el("div", { class: "dialog-actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setStatus(status, null);
    const mode = form.elements.mode.value;
    const { body, error } = deletionRequest({ mode, password: pw.value, confirmed: understood.checked });
    if (error) return setStatus(status, error);
    submit.disabled = true;
    submit.textContent = mode === "hard" ? "Deleting messages…" : "Deleting…";
    try {
      await request("DELETE", "/api/v1/me", body);
      signOut("?deleted=1");
    } catch (err) {
      submit.disabled = false;
      submit.textContent = "Delete my account";
      setStatus(status, settingsErrorMessage(err));
    }
  });

  function reset() {
    form.reset();
    setStatus(status, null);
  }
  return { node: section("Delete account", "settings-delete-heading", form), reset };
}
