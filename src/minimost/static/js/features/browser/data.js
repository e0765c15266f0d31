// The channel browser's rows: public channels by name, with what to show for each.

/** Public channels from GET /channels, archived ones dropped, sorted by name. */
export function browseRows(conversations) {
  return conversations
    .filter((c) => c.kind === "public" && !c.archived)
    .sort((a, b) => String(a.name).localeCompare(String(b.name), undefined, { sensitivity: "base" }));
}

export function memberCountText(n) {
  if (typeof n !== "number") return "";
  return n === 1 ? "1 member" : `${n.toLocaleString()} members`;
}
