"""The search log: what was searched and how many results, without who searched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from peixun.core.db import IdMixin, UTCDateTime, utcnow
from peixun.extensions import db


class SearchLog(IdMixin, db.Model):
    """One search: the normalised query and its result count. No user, no address: the
    week's popular searches and the queries that found nothing need neither."""

    __tablename__ = "search_log"
    __table_args__ = (Index("ix_search_log_created", "created_at"),)

    text: Mapped[str] = mapped_column(String(200))  # the query as typed, spaces collapsed
    results: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
