// Profiles in the app: the "Profile" dialog (avatar with preview, display name, name
// colour), the profile card that opens from any author name or avatar, and the me card.
// Changes arrive for everyone as `user.updated` events, which the reducers apply.

import { api, describeError, upload } from "../../core/api.js";
import { el } from "../../core/dom.js";
import { authorName, avatar } from "../../ui/avatar.js";
import { createModal } from "../../ui/modal.js";
import { profileOf } from "../../ui/profile-link.js";
import { openDirectMessage } from "../channels/index.js";
import { humanSize } from "../files/index.js";
import { messageKey } from "../messages/index.js";
import { statusLabel, statusOf } from "../presence/index.js";
import { cleanDisplayName, displayNameProblem, MAX_DISPLAY_NAME, PALETTE, validColor } from "./data.js";

const IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp";

/** Apply a profile answer at once (the socket's copy of the event will change nothing). */
function applyUser(store, user) {
  store.dispatch({ type: "event", frame: { type: "user.updated", conversation: null, data: { user } } });
}

function createProfileDialog(store, { toast }) {
  const modal = createModal({ title: "Profile", className: "profile-dialog" });
  const preview = el("span", { class: "profile-preview" });
  const fileInput = el("input", { type: "file", accept: IMAGE_TYPES, class: "visually-hidden", id: "avatar-input", tabindex: "-1" });
  const uploadButton = el("button", { type: "button", class: "btn btn-secondary", id: "avatar-upload", text: "Upload picture" });
  const removeButton = el("button", { type: "button", class: "btn btn-secondary", id: "avatar-remove", text: "Remove" });
  const avatarStatus = el("p", { class: "field-hint", role: "status" });
  const nameInput = el("input", { type: "text", id: "profile-display-name", class: "field-input", maxlength: String(MAX_DISPLAY_NAME), autocomplete: "nickname" });
  const nameError = el("p", { class: "field-error", id: "profile-name-error", role: "alert" });
  const custom = el("input", { type: "color", id: "profile-color-custom", "aria-label": "Custom colour", class: "swatch-custom" });
  const sample = el("span", { class: "profile-sample", "aria-hidden": "true" });
  const saveButton = el("button", { type: "submit", class: "btn btn-primary", id: "profile-save", text: "Save" });
  const formError = el("p", { class: "field-error", role: "alert" });

  const swatch = (value, label) => {
    const radio = el("input", { type: "radio", name: "profile-color", value, "aria-label": label, class: "swatch-radio" });
    const dot = el("span", { class: ["swatch", value ? null : "swatch-default"], "aria-hidden": "true", text: value ? "" : "A" });
    if (value) dot.style.backgroundColor = value;
    return el("label", { class: "swatch-label", title: label }, radio, dot);
  };
  const swatches = el("div", { class: "swatches", role: "radiogroup", "aria-label": "Name colour" },
    swatch("", "Default colour"), PALETTE.map((c) => swatch(c.value, c.name)),
    el("label", { class: "swatch-label", title: "Custom colour" }, el("input", { type: "radio", name: "profile-color", value: "custom", "aria-label": "Custom colour", class: "swatch-radio" }), custom));

  const form = el("form", { class: "profile-form", novalidate: true },
    el("div", { class: "profile-avatar-row" }, preview,
      el("div", { class: "profile-avatar-actions" }, el("div", { class: "btn-row" }, uploadButton, removeButton), avatarStatus, fileInput)),
    el("label", { class: "field-label", for: "profile-display-name", text: "Display name" }),
    nameInput, nameError,
    el("fieldset", { class: "profile-colors" }, el("legend", { class: "field-label", text: "Name colour" }), swatches,
      el("p", { class: "field-hint" }, "Shown as ", sample)),
    formError,
    el("div", { class: "dialog-actions" },
      el("button", { type: "button", class: "btn btn-secondary", text: "Cancel", onclick: () => modal.close() }), saveButton));
  modal.body.append(form);

  const me = () => store.get().session.user;

  function chosenColor() {
    const picked = form.querySelector("input[name=profile-color]:checked");
    if (!picked || !picked.value) return null;
    return picked.value === "custom" ? custom.value : picked.value;
  }

  function renderSample() {
    const user = me() || {};
    const color = chosenColor();
    sample.textContent = cleanDisplayName(nameInput.value) || user.username || "";
    sample.style.color = color || "";
  }

  function renderAvatar(user) {
    preview.replaceChildren(avatar(user, "avatar-large"));
    removeButton.hidden = !user.avatar_url;
  }

  function fill() {
    const user = me();
    if (!user) return;
    renderAvatar(user);
    nameInput.value = user.display_name || "";
    nameError.textContent = formError.textContent = avatarStatus.textContent = "";
    const color = user.color || "";
    const preset = form.querySelector(`input[name=profile-color][value="${PALETTE.some((c) => c.value === color) || !color ? color : "custom"}"]`);
    if (preset) preset.checked = true;
    custom.value = validColor(color) ? color : "#7cc4ff";
    renderSample();
  }

  nameInput.addEventListener("input", () => {
    nameError.textContent = displayNameProblem(nameInput.value) || "";
    renderSample();
  });
  swatches.addEventListener("change", renderSample);
  custom.addEventListener("input", () => {
    form.querySelector("input[name=profile-color][value=custom]").checked = true;
    renderSample();
  });

  uploadButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    const { avatar: maxBytes } = store.get().limits;
    if (maxBytes && file.size > maxBytes) {
      avatarStatus.textContent = `That picture is ${humanSize(file.size)}; the limit is ${humanSize(maxBytes)}.`;
      return;
    }
    // Preview at once from the local file; the server's square crop replaces it.
    const local = URL.createObjectURL(file);
    preview.replaceChildren(el("span", { class: "avatar avatar-image avatar-large", "aria-hidden": "true" }, el("img", { src: local, alt: "" })));
    avatarStatus.textContent = "Uploading…";
    uploadButton.disabled = true;
    try {
      const { user } = await upload("PUT", "/api/v1/me/avatar", file).promise;
      applyUser(store, user);
      renderAvatar(user);
      avatarStatus.textContent = "Picture updated.";
    } catch (err) {
      renderAvatar(me());
      avatarStatus.textContent = `Couldn't use that picture: ${describeError(err)}`;
    } finally {
      URL.revokeObjectURL(local);
      uploadButton.disabled = false;
    }
  });
  removeButton.addEventListener("click", async () => {
    try {
      const { user } = await api.del("/api/v1/me/avatar");
      applyUser(store, user);
      renderAvatar(user);
      avatarStatus.textContent = "Back to initials.";
    } catch (err) {
      avatarStatus.textContent = describeError(err);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = displayNameProblem(nameInput.value);
    if (problem) {
      nameError.textContent = problem;
      nameInput.focus();
      return;
    }
    saveButton.disabled = true;
    formError.textContent = "";
    try {
      const { user } = await api.patch("/api/v1/me", { display_name: cleanDisplayName(nameInput.value), color: chosenColor() });
      applyUser(store, user);
      modal.close();
      toast("Profile saved.");
    } catch (err) {
      formError.textContent = describeError(err);
    } finally {
      saveButton.disabled = false;
    }
  });

  return {
    open() {
      fill();
      modal.open();
      nameInput.focus();
    },
  };
}

function createProfileCard(store, { onOpen, editProfile, toast }) {
  const card = el("div", { class: "profile-card", role: "dialog", "aria-modal": "false", hidden: true, tabindex: "-1" });
  document.body.append(card);
  let returnTo = null;

  function close() {
    if (card.hidden) return;
    card.hidden = true;
    card.replaceChildren();
    if (returnTo && returnTo.isConnected) returnTo.focus();
    returnTo = null;
  }

  async function message(user) {
    try {
      const conv = await openDirectMessage(store, { kind: "dm", members: [user.id] });
      const dialog = card.closest("dialog[open]"); // opened from the members list
      close();
      if (dialog) dialog.close();
      onOpen(conv.id);
    } catch (err) {
      toast(`Couldn't open the conversation: ${describeError(err)}`, { kind: "error" });
    }
  }

  function open(user, anchor) {
    const state = store.get();
    const meId = state.session.user && state.session.user.id;
    const status = statusOf(state.presence, user.id);
    const name = el("h2", { class: "profile-card-name", text: authorName(user) });
    if (user.color) name.style.color = user.color;
    const action = String(user.id) === String(meId)
      ? el("button", { type: "button", class: "btn btn-secondary", text: "Edit profile", onclick: () => { close(); editProfile(); } })
      : el("button", { type: "button", class: "btn btn-primary", dataset: { dm: String(user.id) }, text: "Message", onclick: () => message(user) });
    card.setAttribute("aria-label", `Profile of ${authorName(user)}`);
    card.replaceChildren(
      avatar(user, "avatar-large"),
      el("div", { class: "profile-card-names" }, name,
        el("p", { class: "profile-card-username", text: `@${user.username}` }),
        el("p", { class: "profile-card-presence" },
          el("span", { class: "presence-dot", dataset: { presence: status }, "aria-hidden": "true" }), statusLabel(status))),
      action);
    returnTo = anchor;
    // Above a modal dialog (the members list) the card must live in it (its top layer).
    const host = anchor.closest("dialog[open]") || document.body;
    if (card.parentNode !== host) host.append(card);
    card.hidden = false;
    // Beside what was clicked, kept inside the window (CSSOM positions: allowed by the CSP).
    const box = anchor.getBoundingClientRect();
    const width = card.offsetWidth;
    const height = card.offsetHeight;
    card.style.left = `${Math.max(8, Math.min(box.left, innerWidth - width - 8))}px`;
    card.style.top = `${box.bottom + height + 8 > innerHeight ? Math.max(8, box.top - height - 6) : box.bottom + 6}px`;
    action.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !card.hidden) {
      event.preventDefault();
      close();
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (!card.hidden && !card.contains(event.target) && !event.target.closest("[data-profile]")) close();
  });
  return { open, close, get isOpen() { return !card.hidden; } };
}

export function mountProfile(store, { openButton, list, meName, meAvatar, onOpen, toast }) {
  const dialog = createProfileDialog(store, { toast });
  const card = createProfileCard(store, { onOpen, editProfile: () => dialog.open(), toast });
  openButton.addEventListener("click", () => dialog.open());

  list.addEventListener("click", (event) => {
    const target = event.target.closest("[data-profile]");
    if (!target) return;
    const row = target.closest(".msg");
    const state = store.get();
    const conv = state.messages.byConv[state.channels.activeId];
    const found = conv && row && conv.items.find((m) => messageKey(m) === row.dataset.key);
    if (!found || !found.author) return;
    event.stopPropagation();
    if (card.isOpen) card.close();
    else card.open(found.author, target);
  });

  // Names and faces elsewhere (members list, search, mentions, pins): ui/profile-link.js.
  // Capture phase: before the panels' own click handlers (which open a message).
  document.addEventListener("click", (event) => {
    const target = event.target.closest && event.target.closest("[data-profile]");
    const user = target && !list.contains(target) ? profileOf(target) : null;
    if (!user) return;
    event.stopPropagation();
    event.preventDefault();
    if (card.isOpen) card.close();
    else card.open(user, target);
  }, true);

  // The me card follows my profile (changed here or in another tab).
  let shown = null;
  store.subscribe((state) => {
    const user = state.session.user;
    if (!user || user === shown) return;
    shown = user;
    meName.textContent = authorName(user);
    meAvatar.replaceChildren(avatar(user));
  });

  return { open: () => dialog.open() };
}
