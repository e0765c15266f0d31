"""Housekeeping: old events and expired sessions go; recent ones stay."""

from __future__ import annotations

from sqlalchemy import func, select

from minimost.db.models import Event, Session
from minimost.domain.actions.maintenance import prune_events, prune_sessions, server_secret


async def _count(ctx, model) -> int:
    async with ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def test_prune_events_keeps_the_retention_window(app, users, clock) -> None:
    ctx = app.state.minimost.ctx
    alice = await users("alice")
    await alice.send("general", "old")
    old_events = await _count(ctx, Event)
    clock.advance(ctx.settings.event_retention_days * 86400 + 60)
    await alice.send("general", "new")
    assert await prune_events(ctx) == old_events
    assert await _count(ctx, Event) == 1
    # Resuming from before the cut must now resync (tested on the socket in tests/realtime).


async def test_prune_sessions_drops_only_expired(app, users, clock) -> None:
    ctx = app.state.minimost.ctx
    await users("alice")
    assert await prune_sessions(ctx) == 0
    clock.advance(ctx.settings.session_days * 86400 + 1)
    bob = await users("bob")
    assert await prune_sessions(ctx) == 1
    assert await _count(ctx, Session) == 1
    assert (await bob.get("/api/v1/me")).status_code == 200


async def test_server_secret_is_created_once_and_shared(app, settings) -> None:
    from minimost.app import create_app

    ctx = app.state.minimost.ctx
    first = await server_secret(ctx)
    assert len(first) == 32
    assert await server_secret(ctx) == first
    # A second app on the same database (another worker or node) signs CSRF tokens alike.
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        assert other.state.minimost.secret == first
        assert other.state.minimost.csrf_for("token") == app.state.minimost.csrf_for("token")
