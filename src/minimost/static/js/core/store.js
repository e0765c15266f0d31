// A tiny store: one state object, slice reducers, subscribers told after each change.
// Reducers are pure (state, action, root) => state and return the same object when
// nothing changed, so subscribers can compare slices by reference.

export function createStore(reducers, initial = {}) {
  let state = {};
  for (const [name, reduce] of Object.entries(reducers)) {
    state[name] = initial[name] ?? reduce(undefined, { type: "@init" }, state);
  }
  const listeners = new Set();

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
  };
}
