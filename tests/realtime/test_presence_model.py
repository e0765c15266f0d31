"""The pure presence arithmetic: local socket counts, cluster aggregation, expiry, flushes."""

from __future__ import annotations

from hypothesis import given, strategies as st

from minimost.realtime.presence_model import (
    AWAY,
    DND,
    OFFLINE,
    ONLINE,
    ClusterPresence,
    Entry,
    LocalPresence,
    effective,
)

# --- effective --------------------------------------------------------------------------


def test_effective_is_the_best_raw_status_over_the_nodes() -> None:
    assert effective([]) == OFFLINE
    assert effective([(AWAY, None)]) == AWAY
    assert effective([(AWAY, None), (ONLINE, None)]) == ONLINE
    assert effective([(ONLINE, None), (AWAY, None)]) == ONLINE


def test_an_override_applies_only_while_connected() -> None:
    assert effective([(ONLINE, DND)]) == DND
    assert effective([(AWAY, DND)]) == DND
    assert effective([(ONLINE, AWAY)]) == AWAY
    # Nodes disagree only while a change travels; the stronger override wins meanwhile.
    assert effective([(ONLINE, AWAY), (ONLINE, DND)]) == DND
    assert effective([(ONLINE, None), (AWAY, AWAY)]) == AWAY


entries = st.lists(
    st.tuples(st.sampled_from([ONLINE, AWAY]), st.sampled_from([None, AWAY, DND])), max_size=5
)


@given(entries)
def test_effective_does_not_depend_on_node_order(items: list[Entry]) -> None:
    assert effective(items) == effective(list(reversed(items)))
    assert (effective(items) == OFFLINE) == (not items)


# --- LocalPresence -----------------------------------------------------------------------


def open_socket(local: LocalPresence, user: int, override: str | None = None) -> None:
    local.connected(user, override, local.connecting(user))  # type: ignore[arg-type]


def test_local_status_follows_the_sockets() -> None:
    local = LocalPresence()
    assert local.entry(1) is None
    token = local.connecting(1)
    assert local.entry(1) is None  # opening sockets do not count yet
    local.connected(1, None, token)
    assert local.entry(1) == (ONLINE, None)
    open_socket(local, 1)
    local.set_idle(1, False, True)
    assert local.entry(1) == (ONLINE, None)  # one tab still active
    local.set_idle(1, False, True)
    assert local.entry(1) == (AWAY, None)  # all idle
    local.set_idle(1, True, True)  # repeated: no change
    assert local.entry(1) == (AWAY, None)
    local.closed(1, idle=True)
    assert local.entry(1) == (AWAY, None)
    local.closed(1, idle=True)
    assert local.entry(1) is None
    assert local.entries() == {}


def test_a_socket_closed_while_opening_leaves_nothing() -> None:
    local = LocalPresence()
    local.connecting(7)
    local.abandoned(7)
    assert local.entries() == {}
    assert not local.set_override(7, DND)  # not connected here: nothing to update


def test_an_override_message_overtaking_the_database_read_wins() -> None:
    local = LocalPresence()
    token = local.connecting(1)
    assert local.set_override(1, DND)  # arrives while the socket reads the old value
    local.connected(1, None, token)
    assert local.entry(1) == (ONLINE, DND)
    # A later socket reads the database after the change: its value is taken.
    token = local.connecting(1)
    local.connected(1, AWAY, token)
    assert local.entry(1) == (ONLINE, AWAY)


# --- ClusterPresence ---------------------------------------------------------------------


def test_cluster_combines_nodes_and_flushes_only_changes() -> None:
    cluster = ClusterPresence("a")
    assert cluster.put("a", 1, (AWAY, None))
    assert cluster.put("b", 1, (ONLINE, None))
    assert not cluster.put("b", 1, (ONLINE, None))  # same entry: no change
    cluster.put("b", 2, (AWAY, None))
    assert cluster.flush() == {1: ONLINE, 2: AWAY}
    assert cluster.visible == {1: ONLINE, 2: AWAY}
    assert cluster.flush() == {}

    cluster.put("b", 1, None)  # still away on node a
    cluster.put("b", 2, None)
    assert cluster.status(1) == AWAY
    assert cluster.flush() == {1: AWAY, 2: OFFLINE}
    assert cluster.visible == {1: AWAY}


def test_a_change_and_its_reversal_before_a_flush_send_nothing() -> None:
    cluster = ClusterPresence("a")
    cluster.put("a", 1, (ONLINE, None))
    cluster.flush()
    cluster.put("a", 1, (AWAY, None))
    cluster.put("a", 1, (ONLINE, None))
    assert cluster.pending
    assert cluster.flush() == {}


def test_a_snapshot_replaces_the_node_entries() -> None:
    cluster = ClusterPresence("a")
    cluster.replace("b", {1: (ONLINE, None), 2: (ONLINE, None)})
    cluster.flush()
    cluster.replace("b", {2: (AWAY, None), 3: (ONLINE, DND)})
    assert cluster.flush() == {1: OFFLINE, 2: AWAY, 3: DND}
    assert dict(cluster.node_entries("b")) == {2: (AWAY, None), 3: (ONLINE, DND)}


def test_silent_nodes_are_forgotten_but_never_ourselves() -> None:
    cluster = ClusterPresence("a")
    cluster.put("a", 1, (ONLINE, None))
    cluster.put("b", 2, (ONLINE, None))
    cluster.put("c", 3, (ONLINE, None))
    cluster.seen("a", 0.0)  # our own node is never tracked for expiry
    cluster.seen("b", 0.0)
    cluster.seen("c", 50.0)
    cluster.flush()
    assert cluster.expire(now=91.0, ttl=90.0) == ["b"]
    assert cluster.flush() == {2: OFFLINE}
    assert cluster.nodes == ["a", "c"]
    assert cluster.expire(now=1000.0, ttl=90.0) == ["c"]
    assert cluster.status(1) == ONLINE
    cluster.forget("a")  # ignored for our own node
    assert cluster.status(1) == ONLINE


def test_an_override_patches_every_node_entry_of_the_user() -> None:
    cluster = ClusterPresence("a")
    cluster.put("a", 1, (AWAY, None))
    cluster.put("b", 1, (ONLINE, None))
    cluster.flush()
    cluster.set_override(1, DND)
    assert sorted(cluster.user_entries(1)) == [(AWAY, DND), (ONLINE, DND)]
    assert cluster.flush() == {1: DND}
    cluster.set_override(2, DND)  # not connected anywhere: nothing to patch
    assert cluster.status(2) == OFFLINE
    cluster.set_override(1, None)
    assert cluster.flush() == {1: ONLINE}


ops = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(1, 4),
        st.sampled_from([None, (ONLINE, None), (AWAY, None), (ONLINE, DND)]),
    ),
    max_size=40,
)


@given(ops, st.integers(0, 40))
def test_flushed_changes_always_reconstruct_the_current_statuses(
    operations: list[tuple[str, int, Entry | None]], cut: int
) -> None:
    """A client applying every flush to its hello map sees exactly the current state."""
    cluster = ClusterPresence("a")
    client: dict[int, str] = {}
    for i, (node, user, entry) in enumerate(operations):
        cluster.put(node, user, entry)
        if i == cut:
            client.update(cluster.flush())
    client.update(cluster.flush())
    shown = {u: s for u, s in client.items() if s != OFFLINE}
    assert shown == cluster.visible
    assert shown == {u: cluster.status(u) for u in range(1, 5) if cluster.status(u) != OFFLINE}
