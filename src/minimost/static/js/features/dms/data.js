// The DM picker's rules: how many people a DM holds and the request it makes. The people
// picker itself (which users to offer, what a key does) is ui/people-picker.js.

export const MAX_DM_OTHERS = 8;

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
