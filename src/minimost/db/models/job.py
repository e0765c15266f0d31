"""Leases for work that must run in one process only (e.g. the retention janitor), across
every worker and node: whoever holds an unexpired lease does the job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the job last finished a full run (the janitor's "every 24 hours").
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
