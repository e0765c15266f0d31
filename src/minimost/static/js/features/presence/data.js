// Presence state and the rules around it, no DOM. Who is online comes from the socket:
// the hello frame carries everyone who is not offline, `presence` frames carry changes.
// Keys are user ids as strings (that is how JSON object keys arrive).

export const STATUSES = ["online", "away", "dnd", "offline"];
export const OVERRIDES = ["auto", "away", "dnd"];
export const IDLE_AFTER_MS = 5 * 60 * 1000;

const LABELS = { online: "Online", away: "Away", dnd: "Do not disturb", offline: "Offline" };

export const statusLabel = (status) => LABELS[status] ?? LABELS.offline;

/** Accept `{id: status}` or `[{user_id|id, status|presence}]`; drop unknown statuses. */
export function normalizePresence(raw) {
  const out = {};
  if (!raw || typeof raw !== "object") return out;
  const entries = Array.isArray(raw)
    ? raw.map((e) => [e && (e.user_id ?? e.id), e && (e.status ?? e.presence)])
    : Object.entries(raw);
  for (const [id, status] of entries) {
    if (id === undefined || id === null || !STATUSES.includes(status)) continue;
    out[String(id)] = status;
  }
  return out;
}

/**
 * A user's status. Once a hello told us the full picture (`known`), anyone missing is
 * offline; before that, `fallback` (e.g. the `presence` field of a fetched user) stands.
 */
export function statusOf(state, userId, fallback = "offline") {
  const status = state.byUser[String(userId)];
  if (status) return status;
  return state.known ? "offline" : STATUSES.includes(fallback) ? fallback : "offline";
}

/**
 * The status shown on my own card. The server's word wins; until it has spoken (or if
 * it still lists me offline while my socket is up) my override, or online, stands in.
 */
export function ownStatus(state, meId, connected) {
  const status = state.byUser[String(meId)];
  if (status && status !== "offline") return status;
  if (!connected) return "offline";
  return state.override === "auto" ? "online" : state.override;
}

/** What this tab tells the server: "idle" when hidden or untouched for IDLE_AFTER_MS. */
export function activityStatus({ hidden, lastInputAt, now, idleAfter = IDLE_AFTER_MS }) {
  return hidden || now - lastInputAt >= idleAfter ? "idle" : "active";
}

function merge(state, changes) {
  const ids = Object.keys(changes);
  if (ids.every((id) => state.byUser[id] === changes[id])) return state;
  // "offline" is kept explicitly: before a hello it must beat a stale fallback.
  return { ...state, byUser: { ...state.byUser, ...changes } };
}

const initial = { byUser: {}, known: false, override: "auto", saving: false };

export function reduce(state = initial, action) {
  switch (action.type) {
    case "presence/hello": {
      // A hello without presence (an older server) leaves what we know alone.
      const data = action.data || {};
      if (!("presence" in data)) return state;
      return { ...state, byUser: normalizePresence(data.presence), known: true };
    }
    case "presence/override":
      if (!OVERRIDES.includes(action.override) || state.override === action.override) return state;
      return { ...state, override: action.override };
    case "presence/saving":
      return state.saving === action.value ? state : { ...state, saving: action.value };
    case "presence/set":
      return merge(state, normalizePresence(action.users));
    case "event": {
      const { frame } = action;
      if (frame.type !== "presence" || !frame.data) return state;
      return merge(state, normalizePresence(frame.data.users));
    }
    default:
      return state;
  }
}
