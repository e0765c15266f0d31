"""Conversations unify public channels, private channels and DMs; memberships link users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # Public channel names are unique. Private names are not: a clash would tell a
        # non-member that a private channel of that name exists.
        Index(
            "uq_conversations_public_name",
            "name",
            unique=True,
            sqlite_where=text("kind = 'public'"),
            postgresql_where=text("kind = 'public'"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # public | private | dm
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    topic: Mapped[str] = mapped_column(String(250), default="")
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # DMs: the sorted member ids ("3,8,15"), so one set of people has one conversation.
    dm_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)


class Membership(Base):
    __tablename__ = "memberships"

    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_read_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
