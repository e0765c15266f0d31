"""A connection that is already closing must not abort the server's shutdown."""

from __future__ import annotations

from websockets.exceptions import InvalidState

from minimost.cli.server import _tolerant


class _Transport:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _ClosingConnection:
    """What uvicorn's sans-io protocol does when the peer began the closing handshake."""

    def __init__(self) -> None:
        self.transport = _Transport()

    def shutdown(self) -> None:
        raise InvalidState("connection is closing")


def test_a_closing_connection_is_dropped_instead_of_raising() -> None:
    connection = _ClosingConnection()
    _tolerant(connection)()
    assert connection.transport.closed


def test_a_normal_shutdown_is_untouched() -> None:
    calls = []

    class _Open:
        transport = _Transport()

        def shutdown(self) -> None:
            calls.append("shutdown")

    connection = _Open()
    _tolerant(connection)()
    assert calls == ["shutdown"]
    assert not connection.transport.closed
