// A tiny store: one state object, slice reducers, subscribers told after each change.
// Reducers are pure (state, action, root) => state and return the same object when
// nothing changed, so subscribers can compare slices by reference.
//
// Besides the state, the store keeps which requests are in flight (`store.requests`),
// so a feature never holds a module-level "in flight" set: one store, one page, one
// truth. Starting or ending a request is not a change anybody renders, so it tells no
// subscriber.

export function createStore(reducers, initial = {}) {
  let state = {};
  for (const [name, reduce] of Object.entries(reducers)) {
    state[name] = initial[name] ?? reduce(undefined, { type: "@init" }, state);
  }
  const listeners = new Set();
  const inFlight = new Set();

  function dispatch(action) {
    const prev = state;
    let changed = false;
    const next = {};
    for (const [name, reduce] of Object.entries(reducers)) {
      next[name] = reduce(prev[name], action, prev);
      if (next[name] !== prev[name]) changed = true;
    }
    if (!changed) return;
    state = next;
    for (const listener of [...listeners]) listener(state, prev, action);
  }

  return {
    get: () => state,
    dispatch,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    requests: {
      /** Claim request `key` ("messages/older:5"): false when it is already in flight. */
      start(key) {
        if (inFlight.has(key)) return false;
        inFlight.add(key);
        return true;
      },
      done(key) {
        inFlight.delete(key);
      },
      busy: (key) => inFlight.has(key),
    },
  };
}
