// Extension points of a message row. Features (replies, files, link previews, reactions,
// pins) register what they add to every row here, so rows.js never has to import them and
// each feature stays in its own folder. A renderer gets the message and
// { me, own } and returns a Node, an array of Nodes, or null.

const SLOTS = ["quote", "files", "preview", "reactions", "badges", "actions"];
const renderers = Object.fromEntries(SLOTS.map((slot) => [slot, []]));

/** Add a renderer to a slot: "quote" (above the body), "files", "preview", "reactions"
 * (below it, in that order), "badges" (next to the time, e.g. "pinned") or "actions"
 * (buttons in the hover bar of every sent message). */
export function decorate(slot, render) {
  if (!renderers[slot]) throw new Error(`unknown message slot: ${slot}`);
  renderers[slot].push(render);
}

/** The nodes the registered renderers give for `message` in `slot`. */
export function decorations(slot, message, context) {
  const nodes = [];
  for (const render of renderers[slot]) {
    const out = render(message, context);
    if (Array.isArray(out)) nodes.push(...out.filter(Boolean));
    else if (out) nodes.push(out);
  }
  return nodes;
}
