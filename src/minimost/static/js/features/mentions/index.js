// The mentions feature's public surface: members of conversations (the `members` slice,
// which typing names, receipts and reaction titles read), mention autocomplete and the
// Mentions panel. Other features import from here only.

export { keepMembersLoaded } from "./actions.js";
export { mountMentionAutocomplete } from "./autocomplete.js";
export { reduce as reduceMentions } from "./data.js";
export { membersOf, reduce as reduceMembers } from "./members.js";
export { mountMentionsPanel } from "./panel.js";
