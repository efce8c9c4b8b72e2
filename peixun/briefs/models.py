"""Brief (简报): a numbered issue of a series in a space; BriefRead: who has read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import AuthoredInSpace, CreatedMixin, IdMixin, UTCDateTime, utcnow
from peixun.extensions import db
from peixun.spaces.models import Space
from peixun.threads.models import Thread

# The series the programmes publish (seeds 000–003); each is numbered per space.
SERIES = {
    "workshop": "工作坊简报",
    "course": "课程简报",
    "class": "班级简报",
    "work": "工作简报",
    "news": "研修快讯",
}
DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
STATE_LABELS = {DRAFT: "草稿", PUBLISHED: "已发布", WITHDRAWN: "已撤回"}


class Brief(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    __tablename__ = "briefs"
    __table_args__ = (
        # 第N期: numbered per space and series, never twice (two publishes at once).
        UniqueConstraint("space_id", "series", "number"),
        Index("ix_briefs_space_state_published", "space_id", "state", "published_at"),
    )

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    series: Mapped[str] = mapped_column(String(16))
    # Given when published; a withdrawn issue keeps its number (no gaps, no reuse).
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default=DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A draft from activity covers up to here; the next one starts here, so nothing done
    # between drafting and publishing falls between two issues.
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    form_key: Mapped[str | None] = mapped_column(String(43), unique=True, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), nullable=True, index=True
    )

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship()
    thread: Mapped[Thread | None] = relationship()

    @property
    def series_label(self) -> str:
        return SERIES.get(self.series, self.series)

    @property
    def label(self) -> str:
        """工作坊简报 第3期 (or 工作坊简报 · 草稿)."""
        return f"{self.series_label} 第{self.number}期" if self.number else f"{self.series_label} · 草稿"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_public(self) -> bool:
        return self.state != DRAFT


class BriefRead(db.Model):
    """Seed 003 asks every participant to read each brief: the host sees who has."""

    __tablename__ = "brief_reads"

    brief_id: Mapped[int] = mapped_column(ForeignKey("briefs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
