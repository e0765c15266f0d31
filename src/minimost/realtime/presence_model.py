"""Presence arithmetic, without I/O: what one process knows, and what the cluster knows.

``LocalPresence`` counts this process's sockets per user (active / idle) and keeps the
manual override of the users connected here. Its output per user is an ``Entry``:
``(raw, override)`` with raw ``"online"`` (a socket is active) or ``"away"`` (all idle).

``ClusterPresence`` holds every node's entries (its own included), forgets nodes that went
silent, and turns them into the status clients see: the best raw status over the nodes
(online > away), replaced by the override while the user is connected anywhere, and
``offline`` with no entry at all. It also remembers what clients were last told, so a flush
sends only real changes.

Every operation is O(1) or O(nodes of one user); nothing here scans all sockets or users
except a snapshot (every 30 s) and the forgetting of a whole node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

Raw = Literal["online", "away"]
Override = Literal["away", "dnd"]
Entry = tuple[Raw, Override | None]

ONLINE: Final = "online"
AWAY: Final = "away"
DND: Final = "dnd"
OFFLINE: Final = "offline"

OVERRIDES: Final = frozenset({AWAY, DND})
_OVERRIDE_RANK: Final = {None: 0, AWAY: 1, DND: 2}


def effective(entries: Iterable[Entry]) -> str:
    """The status others see, from one user's entries on every node."""
    raw: str = OFFLINE
    override: Override | None = None
    for node_raw, node_override in entries:
        if node_raw == ONLINE or raw == OFFLINE:
            raw = node_raw
        # Nodes agree on the override except for the milliseconds a change takes to travel;
        # the stronger one wins meanwhile so the result does not depend on arrival order.
        if _OVERRIDE_RANK[node_override] > _OVERRIDE_RANK[override]:
            override = node_override
    if raw == OFFLINE:
        return OFFLINE
    return override or raw


class _User:
    __slots__ = ("active", "idle", "override", "override_seq", "pending")

    def __init__(self) -> None:
        self.active = 0
        self.idle = 0
        self.pending = 0  # sockets still reading their start-up state (not counted yet)
        self.override: Override | None = None
        self.override_seq = 0


class LocalPresence:
    """This process's sockets, counted per user.

    The override comes from the database when a socket opens and from override messages
    afterwards. A message may overtake the database read of a socket that is opening, so
    ``connecting()`` returns a sequence token and ``connected()`` keeps a newer message's
    value over the (older) database value.
    """

    def __init__(self) -> None:
        self._users: dict[int, _User] = {}
        self._seq = 0

    def connecting(self, user_id: int) -> int:
        self._users.setdefault(user_id, _User()).pending += 1
        return self._seq

    def connected(self, user_id: int, override: Override | None, token: int) -> None:
        user = self._users.setdefault(user_id, _User())
        user.pending = max(0, user.pending - 1)
        user.active += 1
        if user.override_seq <= token:
            user.override = override

    def abandoned(self, user_id: int) -> None:
        """A socket that closed before ``connected()``."""
        user = self._users.get(user_id)
        if user is not None:
            user.pending = max(0, user.pending - 1)
            self._drop_if_empty(user_id, user)

    def set_idle(self, user_id: int, was_idle: bool, idle: bool) -> None:
        user = self._users.get(user_id)
        if user is None or was_idle == idle:
            return
        if idle:
            user.active -= 1
            user.idle += 1
        else:
            user.idle -= 1
            user.active += 1

    def closed(self, user_id: int, idle: bool) -> None:
        user = self._users.get(user_id)
        if user is None:
            return
        if idle:
            user.idle -= 1
        else:
            user.active -= 1
        self._drop_if_empty(user_id, user)

    def set_override(self, user_id: int, override: Override | None) -> bool:
        """An override message; returns whether a user connected here is affected."""
        self._seq += 1
        user = self._users.get(user_id)
        if user is None:
            return False
        user.override = override
        user.override_seq = self._seq
        return True

    def entry(self, user_id: int) -> Entry | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        if user.active:
            return (ONLINE, user.override)
        if user.idle:
            return (AWAY, user.override)
        return None

    def entries(self) -> dict[int, Entry]:
        out: dict[int, Entry] = {}
        for user_id in self._users:
            entry = self.entry(user_id)
            if entry is not None:
                out[user_id] = entry
        return out

    def _drop_if_empty(self, user_id: int, user: _User) -> None:
        if not (user.active or user.idle or user.pending):
            del self._users[user_id]


class ClusterPresence:
    """Every node's entries, and the statuses clients were last told."""

    def __init__(self, node: str) -> None:
        self.node = node
        self._nodes: dict[str, dict[int, Entry]] = {node: {}}
        self._seen: dict[str, float] = {}
        self._users: dict[int, dict[str, Entry]] = {}
        self._changed: set[int] = set()
        # What the last flush told clients: user -> status, offline users absent.
        self.visible: dict[int, str] = {}

    # --- input -------------------------------------------------------------------------
    def put(self, node: str, user_id: int, entry: Entry | None) -> bool:
        """Set (or with ``None`` remove) one node's entry for a user; True if it changed."""
        entries = self._nodes.setdefault(node, {})
        if entry is None:
            if entries.pop(user_id, None) is None:
                return False
            per_user = self._users.get(user_id)
            if per_user is not None:
                per_user.pop(node, None)
                if not per_user:
                    del self._users[user_id]
        else:
            if entries.get(user_id) == entry:
                return False
            entries[user_id] = entry
            self._users.setdefault(user_id, {})[node] = entry
        self._changed.add(user_id)
        return True

    def replace(self, node: str, entries: Mapping[int, Entry]) -> None:
        """A node's full snapshot: its entries become exactly ``entries``."""
        old = self._nodes.get(node, {})
        for user_id in [u for u in old if u not in entries]:
            self.put(node, user_id, None)
        for user_id, entry in entries.items():
            self.put(node, user_id, entry)

    def set_override(self, user_id: int, override: Override | None) -> None:
        """Apply an override change to every node's entry of the user at once (the nodes'
        own deltas confirm it moments later)."""
        for node, (raw, _old) in list(self._users.get(user_id, {}).items()):
            self.put(node, user_id, (raw, override))

    def seen(self, node: str, now: float) -> None:
        if node != self.node:
            self._seen[node] = now

    def forget(self, node: str) -> None:
        if node == self.node:
            return
        self._seen.pop(node, None)
        for user_id in list(self._nodes.get(node, {})):
            self.put(node, user_id, None)
        self._nodes.pop(node, None)

    def expire(self, now: float, ttl: float) -> list[str]:
        """Forget the nodes not heard from for ``ttl`` seconds (crashed, or cut off)."""
        gone = [node for node, at in self._seen.items() if now - at > ttl]
        for node in gone:
            self.forget(node)
        return gone

    # --- output ------------------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        return sorted(self._nodes)

    def status(self, user_id: int) -> str:
        return effective(self._users.get(user_id, {}).values())

    def connected(self, user_id: int) -> bool:
        return user_id in self._users

    def node_entries(self, node: str) -> Mapping[int, Entry]:
        return self._nodes.get(node, {})

    def user_entries(self, user_id: int) -> Iterable[Entry]:
        return self._users.get(user_id, {}).values()

    @property
    def pending(self) -> bool:
        return bool(self._changed)

    def flush(self) -> dict[int, str]:
        """The statuses that changed since the last flush (and updates ``visible``)."""
        changes: dict[int, str] = {}
        for user_id in self._changed:
            status = self.status(user_id)
            if self.visible.get(user_id, OFFLINE) == status:
                continue
            changes[user_id] = status
            if status == OFFLINE:
                del self.visible[user_id]
            else:
                self.visible[user_id] = status
        self._changed.clear()
        return changes
