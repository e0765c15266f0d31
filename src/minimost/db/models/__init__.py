"""All models, imported here so ``Base.metadata`` is complete for Alembic."""

from .audit import AuditRecord
from .base import Base
from .conversation import Conversation, Membership
from .event import Event
from .file import StoredFile
from .job import JobLease
from .message import Mention, Message, Pin, Reaction
from .secret import ServerSecret
from .throttle import LoginThrottle
from .user import ApiToken, PasswordReset, Session, User

__all__ = [
    "ApiToken",
    "AuditRecord",
    "Base",
    "Conversation",
    "Event",
    "JobLease",
    "LoginThrottle",
    "Membership",
    "Mention",
    "Message",
    "PasswordReset",
    "Pin",
    "Reaction",
    "ServerSecret",
    "Session",
    "StoredFile",
    "User",
]
