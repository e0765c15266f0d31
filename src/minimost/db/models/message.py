"""Messages. Deleting keeps a tombstone row (id, author, times) but drops the text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A retried send with the same browser-generated id finds the first one.
        UniqueConstraint("author_id", "client_id", name="uq_messages_author_client"),
        # History pages and the newest id walk (conversation_id, id); author and deletion
        # ride along so unread counts (not mine, not deleted, after my read position) are
        # read from the index alone, without a table lookup per unread message.
        Index(
            "ix_messages_conversation_id_id_author_id_deleted_at",
            "conversation_id",
            "id",
            "author_id",
            "deleted_at",
        ),
        # The replies quoting a message, whose stored events must lose the quote when the
        # message is edited or deleted (``actions.redaction``). Partial: a send that is not a
        # reply (nearly all of them) costs this index nothing.
        Index(
            "ix_messages_reply_to_id",
            "reply_to_id",
            sqlite_where=text("reply_to_id IS NOT NULL"),
            postgresql_where=text("reply_to_id IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Denormalised for the wire: JSON list of mentioned user ids, and "everyone"/"here".
    mention_ids: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    mention_all: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # No foreign key: a reply keeps pointing at an original that retention later removes
    # (it then shows as "message deleted").
    reply_to_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Link preview as JSON ({url, title, description, site_name, image_sha256}); filled in the
    # background after the send commits.
    preview: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The preview's image in the blob store (also in the JSON): a column, indexed, so
    # ``actions.files.delete_if_unreferenced`` can tell the blob is still in use.
    preview_image_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Mention(Base):
    """Who a message mentions (by name, or everyone/here expanded to members at send time):
    drives mention counts and the Mentions view."""

    __tablename__ = "mentions"
    __table_args__ = (
        # The Mentions view: mine, newest first.
        Index("ix_mentions_user_id_message_id", "user_id", "message_id"),
        # Mention counts per conversation after a read position (the sidebar).
        Index(
            "ix_mentions_user_id_conversation_id_message_id",
            "user_id",
            "conversation_id",
            "message_id",
        ),
    )

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )


class Reaction(Base):
    """One person's emoji on one message (toggled on and off)."""

    __tablename__ = "reactions"
    __table_args__ = (Index("ix_reactions_user_id", "user_id"),)

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Pin(Base):
    """A pinned message; the conversation rides along for the per-conversation pins panel."""

    __tablename__ = "pins"
    __table_args__ = (Index("ix_pins_conversation_id_pinned_at", "conversation_id", "pinned_at"),)

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    pinned_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime)
