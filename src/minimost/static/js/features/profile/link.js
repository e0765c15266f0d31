// Names and faces that open a person's profile card from anywhere (members list, search
// results, mentions and pins panels): `profileLink(node, user)` marks the node and
// remembers whom it shows; profile/ui.js opens the card on a click. Message rows resolve
// their author from the message instead (messages/rows.js sets data-profile itself).

const users = new WeakMap();

/** Mark `node` as opening `user`'s profile card; returns the node. */
export function profileLink(node, user) {
  if (!user || user.id === undefined || user.id === null) return node;
  node.dataset.profile = String(user.id);
  users.set(node, user);
  return node;
}

/** The user a profile link shows (null for nodes made elsewhere). */
export const profileOf = (node) => users.get(node) ?? null;
