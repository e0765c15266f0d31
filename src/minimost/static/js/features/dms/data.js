// The people picker behind "New direct message", "Create private channel" and
// "Add people": which users to offer, what a key does, and the request it makes.

export const MAX_DM_OTHERS = 8;

/** Users to offer: not already chosen (nor excluded), you last, at most `limit`. */
export function candidates(users, { chosen = [], exclude = [], meId = null, limit = 20 } = {}) {
  const skip = new Set([...chosen.map((u) => u.id), ...exclude]);
  const out = users.filter((u) => !skip.has(u.id));
  out.sort((a, b) => (a.id === meId) - (b.id === meId));
  return out.slice(0, limit);
}

/**
 * What a key does in the picker's search box:
 *   "next" / "prev"  move the highlight;  "choose"  add the highlighted person;
 *   "submit"  open the DM / run the dialog's action;  "unchoose"  drop the last chip.
 */
export function pickerKey(event, { query, highlighted, chosenCount }) {
  switch (event.key) {
    case "ArrowDown":
      return "next";
    case "ArrowUp":
      return "prev";
    case "Enter":
      if (event.isComposing) return null;
      if (query.trim() && highlighted !== null) return "choose";
      if (!query.trim() && highlighted !== null && chosenCount === 0) return "choose";
      return chosenCount > 0 ? "submit" : null;
    case "Backspace":
      return !query && chosenCount > 0 ? "unchoose" : null;
    default:
      return null;
  }
}

/** Highlight index after `action`, wrapping within `count` options. */
export function moveHighlight(index, action, count) {
  if (count === 0) return null;
  if (index === null) return action === "prev" ? count - 1 : 0;
  return action === "prev" ? (index - 1 + count) % count : (index + 1) % count;
}

/** The POST /conversations body for a DM with the chosen people (yourself alone: a note to self). */
export function dmRequest(chosen, meId) {
  const others = [...new Set(chosen.map((u) => u.id))].filter((id) => id !== meId);
  if (others.length === 0) return chosen.length ? { kind: "dm", members: [meId] } : null;
  if (others.length > MAX_DM_OTHERS) return null;
  return { kind: "dm", members: others };
}

/** Can one more person be added (DMs hold at most MAX_DM_OTHERS others)? */
export function canChooseMore(chosen, meId, max = MAX_DM_OTHERS) {
  return chosen.filter((u) => u.id !== meId).length < max;
}
