// Extension points of a message row. Features (replies, files, link previews, reactions,
// pins) add what they show on every row to the page's one `decorations` object, which
// main.js creates and hands to the message list and to them; so rows.js never imports
// them and each feature stays in its own folder. A renderer gets the message and
// { me, own } and returns a Node, an array of Nodes, or null.

const SLOTS = Object.freeze(["quote", "files", "preview", "reactions", "badges", "actions"]);

export function createDecorations() {
  const renderers = Object.fromEntries(SLOTS.map((slot) => [slot, []]));
  return {
    /** Add a renderer to a slot: "quote" (above the body), "files", "preview", "reactions"
     * (below it, in that order), "badges" (next to the time, e.g. "pinned") or "actions"
     * (buttons in the hover bar of every sent message). Renderers of a slot run in the
     * order they were added. */
    decorate(slot, render) {
      if (!renderers[slot]) throw new Error(`unknown message slot: ${slot}`);
      renderers[slot].push(render);
    },
    /** The nodes the registered renderers give for `message` in `slot`. */
    render(slot, message, context) {
      const nodes = [];
      for (const render of renderers[slot]) {
        const out = render(message, context);
        if (Array.isArray(out)) nodes.push(...out.filter(Boolean));
        else if (out) nodes.push(out);
      }
      return nodes;
    },
  };
}
