"""All models, imported here so ``Base.metadata`` is complete for Alembic."""

from .audit import AuditRecord
from .base import Base
from .conversation import Conversation, Membership
from .event import Event
from .message import Mention, Message
from .secret import ServerSecret
from .user import ApiToken, Session, User

__all__ = [
    "ApiToken",
    "AuditRecord",
    "Base",
    "Conversation",
    "Event",
    "Membership",
    "Mention",
    "Message",
    "ServerSecret",
    "Session",
    "User",
]
