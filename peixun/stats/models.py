"""Who the programme expects (Enrolment, from rosters), each roster import, and the days
each person was on the site (ActiveDay): the raw facts the statistics count."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import CreatedMixin, IdMixin, UTCDateTime, utcnow
from peixun.extensions import db
from peixun.spaces.models import Space


class RosterImport(IdMixin, CreatedMixin, db.Model):
    """One uploaded roster: previewed, then imported whole (or never)."""

    __tablename__ = "roster_imports"

    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The admin's scope: the region or school she imported for; None for a site admin.
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="preview")  # preview | imported
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    actor: Mapped[User] = relationship()
    scope: Mapped[Space | None] = relationship()

    @property
    def policy_owner_id(self) -> int:
        return self.actor_id


class Enrolment(IdMixin, CreatedMixin, db.Model):
    """A teacher on the roster: the programme expects her in this school (and workshop).
    报到率 = enrolled people who have signed in at least once / enrolled people."""

    __tablename__ = "enrolments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("roster_imports.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    school: Mapped[Space] = relationship(foreign_keys=[school_id])
    workshop: Mapped[Space | None] = relationship(foreign_keys=[workshop_id])

    @property
    def policy_space(self) -> Space:
        """Admins of the school and of the regions above it see her full phone number."""
        return self.school


class ActiveDay(db.Model):
    """A day (China time) on which the person used the site: 学习率 and 督促 read these."""

    __tablename__ = "active_days"
    __table_args__ = (Index("ix_active_days_day_user", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
