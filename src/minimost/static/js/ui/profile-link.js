// Names and faces that open a person's profile card from anywhere (members list, search
// results, mentions and pins panels): `profileLink(node, user)` marks the node and
// remembers whom it shows; the profile feature opens the card on a click. Message rows
// resolve their author from the message instead (they set data-profile themselves).
//
// The user rides on the node itself (a symbol-keyed property, gone with the node), so
// this module keeps no state of its own.

const USER = Symbol("profile user");

/** Mark `node` as opening `user`'s profile card; returns the node. */
export function profileLink(node, user) {
  if (!user || user.id === undefined || user.id === null) return node;
  node.dataset.profile = String(user.id);
  node[USER] = user;
  return node;
}

/** The user a profile link shows (null for nodes made elsewhere). */
export const profileOf = (node) => node[USER] ?? null;
