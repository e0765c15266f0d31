// Live connection status for the banner. "online" once the server said hello.

const initial = { status: "connecting", since: 0 };

export function reduce(state = initial, action) {
  if (action.type !== "connection/status" || action.status === state.status) return state;
  return { status: action.status, since: action.at ?? Date.now() };
}

/** The banner shows after the socket has been down for BANNER_DELAY_MS. */
export const BANNER_DELAY_MS = 2000;
