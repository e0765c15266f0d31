// The one WebSocket per tab: connect with ?since=<cursor>, apply every event once,
// keep alive with pings, and reconnect forever with a backoff that depends on how
// the socket closed. The cursor is the highest event id seen; resuming from it
// means a reconnect or a server restart never loses or repeats an event.

export const PING_INTERVAL_MS = 25_000;
export const SILENCE_LIMIT_MS = 60_000;

/** Delay before reconnect attempt number `attempt` (0-based) after close `code`. */
export function reconnectDelay(code, attempt, random = Math.random) {
  const jitter = (low, high) => low + random() * (high - low);
  switch (code) {
    case 1001: // server going away (restart, deploy): come back quickly
    case 4408: // we were too slow to drain our queue: resume right away
      if (attempt === 0) return jitter(300, 1500);
      break;
    case 4429: // too many streams for this user: back off properly
      return Math.min(60_000, 5_000 * 2 ** attempt) * jitter(0.5, 1);
    case 4403: // bad origin: only a configuration change fixes it
      return jitter(30_000, 60_000);
    default:
      break;
  }
  return Math.min(10_000, 500 * 2 ** attempt) * jitter(0.5, 1);
}

export function socketUrl(since, loc = globalThis.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  const query = since === null || since === undefined ? "" : `?since=${encodeURIComponent(since)}`;
  return `${scheme}//${loc.host}/api/v1/ws${query}`;
}

/**
 * createSocket({ since, onEvent, onHello, onResync, onStatus, onAuthLost })
 *   onEvent(frame)        an event frame with a new id (or an id-less ephemeral frame)
 *   onHello(frame)        each connection's hello (carries e.g. who is online)
 *   onResync()            the server cannot replay from our cursor: refetch state
 *   onStatus(status)      "connecting" | "online" | "offline"
 *   onAuthLost()          closed with 4401: the session is gone
 */
export function createSocket(options) {
  const {
    since = null,
    onEvent,
    onHello = () => {},
    onResync = () => {},
    onStatus = () => {},
    onAuthLost = () => {},
    WebSocketImpl = globalThis.WebSocket,
    timers = globalThis,
    url = socketUrl,
  } = options;

  let cursor = since;
  let ws = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let silenceTimer = null;
  let stopped = false;
  let status = null;
  let helloHead = null;
  let resyncedHere = false; // one refetch per connection is enough

  function setStatus(next) {
    if (next === status) return;
    status = next;
    onStatus(next);
  }

  function connect() {
    timers.clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    setStatus(status === "offline" ? "offline" : "connecting");
    const sentSince = cursor;
    const socket = new WebSocketImpl(url(sentSince));
    ws = socket;
    socket.onmessage = (msg) => {
      if (ws !== socket) return;
      armSilenceTimer();
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        return;
      }
      handleFrame(frame, sentSince);
    };
    socket.onclose = (ev) => {
      if (ws === socket) dropped(ev.code);
    };
    socket.onerror = () => {}; // a close event always follows
    armSilenceTimer();
  }

  function handleFrame(frame, sentSince) {
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "hello") {
      attempt = 0;
      setStatus("online");
      startPings();
      const head = frame.data && Number.isInteger(frame.data.last_event_id) ? frame.data.last_event_id : null;
      helloHead = head;
      resyncedHere = false;
      onHello(frame);
      if (cursor === null && head !== null) {
        cursor = head; // live from now: nothing before the hello concerns us
      } else if (head !== null && sentSince !== null && head < sentSince) {
        // The server's log is behind our cursor (its database was reset): start over.
        cursor = head;
        resyncedHere = true;
        onResync();
      }
      return;
    }
    if (frame.type === "resync") {
      // Our cursor was pruned. The hello told us where the server is now; events after
      // it follow on this socket, and the caller refetches everything before it.
      if (helloHead !== null && (cursor === null || helloHead > cursor)) cursor = helloHead;
      if (!resyncedHere) onResync();
      resyncedHere = true;
      return;
    }
    if (frame.type === "pong") return;
    if (Number.isInteger(frame.id)) {
      if (cursor !== null && frame.id <= cursor) return; // already applied
      cursor = frame.id;
    }
    onEvent(frame);
  }

  function dropped(code) {
    teardown();
    if (stopped) return;
    if (code === 4401) {
      stopped = true;
      setStatus("offline");
      onAuthLost();
      return;
    }
    setStatus("offline");
    const delay = reconnectDelay(code, attempt);
    attempt += 1;
    retryTimer = timers.setTimeout(connect, delay);
  }

  function teardown() {
    timers.clearInterval(pingTimer);
    timers.clearTimeout(silenceTimer);
    pingTimer = null;
    silenceTimer = null;
    const socket = ws;
    ws = null;
    if (socket) {
      socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    }
  }

  function startPings() {
    timers.clearInterval(pingTimer);
    pingTimer = timers.setInterval(() => send({ type: "ping" }), PING_INTERVAL_MS);
  }

  function armSilenceTimer() {
    timers.clearTimeout(silenceTimer);
    // 60 s without a frame (pongs included) means the connection is dead.
    silenceTimer = timers.setTimeout(() => dropped(4000), SILENCE_LIMIT_MS);
  }

  function send(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  connect();

  return {
    send,
    get cursor() {
      return cursor;
    },
    /** Skip the remaining backoff (network came back, tab became visible, user asked). */
    retryNow() {
      if (!stopped && !ws) connect();
    },
    stop() {
      stopped = true;
      timers.clearTimeout(retryTimer);
      teardown();
    },
  };
}
