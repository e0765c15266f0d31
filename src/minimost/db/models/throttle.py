"""Password-guessing budgets (see ``domain.actions.lockout``).

One row per *key*: ``user:<name>`` for browsers that never signed in as ``<name>`` (whether
or not an account has that name, so a lock tells a stranger nothing), ``device:<name>:<id>``
for one browser that did (its device cookie), ``session:<id>`` for the password checks of a
signed-in session (Settings). The counters live in the database so every worker process and
node shares them; a row whose ``reset_at`` has passed counts as empty.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class LoginThrottle(Base):
    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    # Wrong passwords in the current window.
    failures: Mapped[int] = mapped_column(Integer)
    # Checks that took a slot and have not finished yet (a crash leaves one until reset_at).
    pending: Mapped[int] = mapped_column(Integer)
    # End of the window: the lockout duration after the latest check. Then all is forgotten.
    reset_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
