"""Accounts and their credentials (sessions, personal access tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Stored lower-case: the allowed alphabet is a-z 0-9 . _ -, so this is case-insensitive.
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The sender of server notices (e.g. password resets); it cannot log in and is not listed.
    is_system: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Manual presence ("away", "dnd"); NULL means automatic.
    presence_override: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Content-addressed avatar image (see models.file); NULL shows initials.
    avatar_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Name colour as "#rrggbb"; NULL picks one from the user id.
    color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    # Disabled by an admin: cannot log in, sessions ended; history stays.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A hard deletion's message purge is still owed (set with deleted_at, cleared when the
    # last message is gone); the retention janitor finishes purges a crash interrupted.
    purge_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Session(Base):
    """A browser login. Only the SHA-256 of the cookie token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    # For the session list in Settings; refreshed at most every few minutes.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """A personal access token for scripts (``Authorization: Bearer``); stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    """A one-time reset link made by ``minimost reset-password``; only its hash is stored."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
