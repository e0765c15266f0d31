"""The replay log: one row per committed change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class Event(Base):
    __tablename__ = "events"
    # AUTOINCREMENT: ids must never be reused after pruning, or a client resuming with
    # ``since`` would skip or repeat events.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Audience: members of conversation_id, and/or the one user_id.
    conversation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    # Set on message.created / message.updated (their payload is that message's whole view):
    # an edit, a delete, a purge or retention rewrites them by it in the same transaction,
    # so replay never serves text that history no longer shows (``actions.redaction``).
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(64))
    # JSON text, kept as text so frames are assembled without re-encoding.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
