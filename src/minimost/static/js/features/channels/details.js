// The open conversation's header actions: mute/unmute, and a details dialog with the
// name and topic (editable by who may), the members (removable by who may), adding
// people to a private channel, and leaving (channels) or hiding (DMs).

import { describeError } from "../../core/api.js";
import { el, hashIndex, initials } from "../../core/dom.js";
import { personName } from "../../core/people.js";
import { svgIcon as icon } from "../../ui/icons.js";
import { createModal } from "../../ui/modal.js";
import { createPeoplePicker } from "../../ui/people-picker.js";
import { profileLink } from "../../ui/profile-link.js";
import { addMember, leaveConversation, listMembers, removeMember, updateConversation } from "./actions.js";
import { activeConversation, canAddPeople, canEditTopic, canRemoveOthers, canRename, conversationTitle } from "./data.js";
import { LOCK } from "./ui.js";

/** How a channel is named in sentences: "#general", but a private one has no "#". */
function channelRef(conv) {
  return conv.kind === "private" ? conv.name : `#${conv.name}`;
}

export function mountConversationActions(store, { muteButton, detailsButton, ask, toast, onGone }) {
  const modal = createModal({ title: "Details", className: "details-dialog" });
  let convId = null;
  let members = [];
  let loadSeq = 0;
  const me = () => store.get().session.user;
  const current = () => store.get().channels.list.find((c) => c.id === convId) ?? null;

  // ---- header buttons -------------------------------------------------------

  let prev = null;
  function renderHeader(state) {
    const conv = activeConversation(state.channels);
    if (conv === prev) return;
    prev = conv;
    muteButton.hidden = !conv;
    detailsButton.hidden = !conv;
    if (!conv) return;
    muteButton.setAttribute("aria-pressed", conv.muted ? "true" : "false");
    const label = conv.muted ? "Unmute conversation" : "Mute conversation";
    muteButton.setAttribute("aria-label", label);
    muteButton.title = label;
    muteButton.classList.toggle("on", Boolean(conv.muted));
    if (modal.isOpen && conv.id === convId) renderDialog();
  }

  async function toggleMute(conv = activeConversation(store.get().channels)) {
    if (!conv) return;
    try {
      await updateConversation(store, conv.id, { muted: !conv.muted });
    } catch (err) {
      toast(`Couldn't change notifications: ${describeError(err)}`, { kind: "error" });
    }
  }

  muteButton.addEventListener("click", () => toggleMute());
  detailsButton.addEventListener("click", () => {
    const conv = activeConversation(store.get().channels);
    if (conv) open(conv.id);
  });

  // ---- details dialog -------------------------------------------------------

  const about = el("div", { class: "details-about" });
  const actions = el("div", { class: "details-actions" });
  const membersHeading = el("h3", { class: "details-heading", text: "Members" });
  const memberList = el("ul", { class: "member-list", "aria-label": "Members" });
  const status = el("p", { class: "picker-status", role: "status" });
  const addSection = el("div", { class: "details-add" });
  modal.body.append(about, actions, membersHeading, status, memberList, addSection);

  const addButton = el("button", { type: "button", class: "btn btn-primary btn-small", text: "Add" });
  const picker = createPeoplePicker({
    label: "Add people",
    meId: () => me()?.id ?? null,
    exclude: () => members.map((m) => m.id),
    onSubmit: () => addChosen(),
  });
  addButton.addEventListener("click", () => addChosen());
  addSection.append(el("h3", { class: "details-heading", text: "Add people" }), picker.root,
    el("div", { class: "dialog-actions" }, addButton));

  function aboutForm(conv) {
    const rename = canRename(conv, me());
    const retopic = canEditTopic(conv, me());
    if (!rename && !retopic) {
      return conv.topic ? el("p", { class: "details-topic", text: conv.topic }) : null;
    }
    const name = rename ? el("input", { type: "text", id: "details-name", class: "field-input", maxlength: 64, value: conv.name ?? "" }) : null;
    const topic = el("input", { type: "text", id: "details-topic", class: "field-input", maxlength: 250, value: conv.topic ?? "" });
    const error = el("p", { class: "form-error", role: "alert", hidden: true });
    const form = el("form", { class: "modal-form details-form", novalidate: true },
      name ? el("div", { class: "modal-field" }, el("label", { for: "details-name", text: "Name" }), name) : null,
      el("div", { class: "modal-field" }, el("label", { for: "details-topic", text: "Topic" }), topic),
      error,
      el("div", { class: "dialog-actions" }, el("button", { type: "submit", class: "btn btn-primary btn-small", text: "Save" })));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const patch = { topic: topic.value.trim() };
      if (name) {
        if (!name.value.trim()) {
          error.textContent = "The name can't be empty.";
          error.hidden = false;
          return;
        }
        patch.name = name.value.trim();
      }
      try {
        await updateConversation(store, conv.id, patch);
        error.hidden = true;
        toast("Saved.");
      } catch (err) {
        error.textContent = `Couldn't save: ${describeError(err)}`;
        error.hidden = false;
      }
    });
    return form;
  }

  function renderDialog() {
    const conv = current();
    if (!conv) {
      modal.close();
      return;
    }
    if (conv.kind === "private") modal.heading.replaceChildren(icon(LOCK, "title-lock"), conv.name ?? "");
    else modal.heading.textContent = conversationTitle(conv, me()?.id);
    // Keep a half-typed name/topic: only rebuild the form when the server's values change.
    const aboutSig = `${conv.name}|${conv.topic}|${conv.created_by}`;
    if (about.dataset.sig !== aboutSig) {
      about.dataset.sig = aboutSig;
      about.replaceChildren(...[aboutForm(conv)].filter(Boolean));
    }
    const muteLabel = conv.muted ? "Unmute" : "Mute";
    const exit = conv.kind === "dm"
      ? el("button", { type: "button", class: "btn btn-secondary btn-small", text: "Hide conversation", onclick: () => hide(conv) })
      : el("button", { type: "button", class: "btn btn-danger btn-small", text: "Leave channel", onclick: () => leave(conv) });
    actions.replaceChildren(
      el("button", { type: "button", class: "btn btn-secondary btn-small", "aria-pressed": conv.muted ? "true" : "false", text: muteLabel, onclick: () => toggleMute(conv) }),
      exit);
    addSection.hidden = !canAddPeople(conv);
    renderMembers(conv);
  }

  function renderMembers(conv) {
    const mayRemove = canRemoveOthers(conv, me());
    membersHeading.textContent = members.length ? `Members (${members.length})` : "Members";
    memberList.replaceChildren(...members.map((m) => {
      const self = me() && m.id === me().id;
      return el("li", { class: "member", dataset: { userId: m.id } },
        profileLink(el("span", { class: ["mini-avatar", `av-${hashIndex(m.username || m.id, 8)}`], "aria-hidden": "true", text: initials(personName(m)) }), m),
        profileLink(el("button", { type: "button", class: "member-names profile-link", title: "Show profile" },
          el("span", { class: "member-name", text: `${personName(m)}${self ? " (you)" : ""}` }),
          el("span", { class: "member-username", text: `@${m.username}` })), m),
        conv.kind !== "dm" && m.id === conv.created_by ? el("span", { class: "member-role", text: "creator" }) : null,
        mayRemove && !self
          ? el("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Remove ${personName(m)}`, text: "Remove", onclick: () => remove(conv, m) })
          : null);
    }));
  }

  async function loadMembers() {
    const seq = ++loadSeq;
    const id = convId;
    try {
      const list = await listMembers(id);
      if (seq !== loadSeq || id !== convId) return;
      members = list.slice().sort((a, b) => String(a.username).localeCompare(String(b.username)));
      status.textContent = "";
    } catch (err) {
      if (seq !== loadSeq) return;
      status.textContent = `Couldn't load members: ${describeError(err)}`;
    }
    if (modal.isOpen) renderDialog();
  }

  async function addChosen() {
    const chosen = picker.chosen();
    if (!chosen.length || convId === null) return;
    addButton.disabled = true;
    try {
      for (const user of chosen) await addMember(convId, user.id);
      picker.reset();
      await loadMembers();
    } catch (err) {
      picker.setStatus(`Couldn't add: ${describeError(err)}`);
    } finally {
      addButton.disabled = false;
    }
  }

  async function remove(conv, member) {
    const ok = await ask({ heading: `Remove ${personName(member)}?`, text: `They will no longer see ${channelRef(conv)}.`, confirmLabel: "Remove" });
    if (!ok) return;
    try {
      await removeMember(conv.id, member.id);
      await loadMembers();
    } catch (err) {
      status.textContent = `Couldn't remove: ${describeError(err)}`;
    }
  }

  async function leave(conv) {
    const text = conv.kind === "private"
      ? "You'll need someone to add you again to come back."
      : "You can join again from Browse channels.";
    modal.close();
    const ok = await ask({ heading: `Leave ${channelRef(conv)}?`, text, confirmLabel: "Leave" });
    if (!ok) return;
    try {
      await leaveConversation(store, conv.id);
      onGone(conv.id);
    } catch (err) {
      toast(`Couldn't leave: ${describeError(err)}`, { kind: "error" });
    }
  }

  async function hide(conv) {
    modal.close();
    try {
      await updateConversation(store, conv.id, { hidden: true });
      onGone(conv.id);
    } catch (err) {
      toast(`Couldn't hide the conversation: ${describeError(err)}`, { kind: "error" });
    }
  }

  function open(id) {
    convId = id;
    members = [];
    about.dataset.sig = "";
    picker.reset();
    status.textContent = "Loading members…";
    renderDialog();
    modal.open();
    loadMembers();
  }

  modal.onClose(() => {
    picker.reset();
    loadSeq++;
  });

  store.subscribe(renderHeader);
  renderHeader(store.get());

  return {
    open,
    toggleMute,
    /** A socket frame: refresh the open dialog's members when they change. */
    onFrame(frame) {
      if (!modal.isOpen || convId === null) return;
      if ((frame.type === "member.added" || frame.type === "member.removed") && frame.conversation === convId) loadMembers();
    },
  };
}
