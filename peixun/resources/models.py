"""Resource, its stored file (Blob), its places in libraries (LibraryEntry), tags, votes
and calls for submissions (定向征集)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from peixun.accounts.models import User
from peixun.core.db import AuthoredInSpace, CreatedMixin, IdMixin, UTCDateTime, utcnow
from peixun.extensions import db
from peixun.spaces.models import Space
from peixun.threads.models import Thread

# Text extraction of a stored file.
PENDING, EXTRACTED, UNREADABLE, NO_TEXT = "pending", "ok", "failed", "none"

# A resource's state in one library: offered (推荐, waiting for 遴选), in it, or turned down.
OFFERED, SELECTED, DECLINED = "pending", "selected", "declined"
ENTRY_LABELS = {OFFERED: "待遴选", SELECTED: "已入选", DECLINED: "未入选"}

SORTS = {"newest": "最新", "downloads": "下载最多", "votes": "推荐最多"}


class Blob(db.Model):
    """The bytes of an uploaded file, stored once under their SHA-256 whatever their name."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # resources.files.FileKind.code
    text_status: Mapped[str] = mapped_column(String(8), default=PENDING)
    # Extracted text (capped) for search and the preview; the file itself stays on disk.
    # Deferred: lists load a page of blobs and must not drag their texts along.
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    text_error: Mapped[str] = mapped_column(String(200), default="")
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Resource(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    """Something a teacher shared in a space: a file or a link, with its description."""

    __tablename__ = "resources"

    # Where it was shared first (its origin library) and by whom.
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(20), default="")
    stage: Mapped[str] = mapped_column(String(20), default="")
    type: Mapped[str] = mapped_column(String(20))
    link_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True, index=True)
    # The uploader's file name, cleaned: shown and sent on download, never used on disk.
    filename: Mapped[str | None] = mapped_column(String(160), nullable=True)
    # Counters change by one atomic UPDATE each, so concurrent requests never lose a count.
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    # The title or description matched the network-safety screen: shown to the author and
    # the hosts only until a host releases it.
    is_held: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    form_key: Mapped[str | None] = mapped_column(String(43), unique=True, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), nullable=True, index=True
    )

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship()
    blob: Mapped[Blob | None] = relationship()
    thread: Mapped[Thread | None] = relationship()
    entries: Mapped[list[LibraryEntry]] = relationship(
        back_populates="resource", foreign_keys="LibraryEntry.resource_id", order_by="LibraryEntry.id"
    )
    tags: Mapped[list[ResourceTag]] = relationship(order_by="ResourceTag.name", cascade="all, delete-orphan")

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]

    def entry_in(self, space_id: int) -> LibraryEntry | None:
        return next((e for e in self.entries if e.space_id == space_id), None)

    @property
    def libraries(self) -> list[LibraryEntry]:
        return [e for e in self.entries if e.state == SELECTED]


class LibraryEntry(IdMixin, CreatedMixin, db.Model):
    """A resource's place in one space's library: its origin, or a recommendation (推荐)
    upward that the space's hosts or admins select (遴选) or decline."""

    __tablename__ = "library_entries"
    __table_args__ = (
        UniqueConstraint("resource_id", "space_id"),
        Index("ix_library_entries_space_state_placed", "space_id", "state", "placed_at"),
    )

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(8), default=OFFERED)
    # The library it was recommended from (provenance); None for the origin entry.
    from_space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"))
    recommended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")  # why it is recommended
    call_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_calls.id", ondelete="SET NULL"), nullable=True, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")  # why it was declined
    # When it entered this library: the library's "newest" order.
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_excellent: Mapped[bool] = mapped_column(Boolean, default=False)  # 精品

    resource: Mapped[Resource] = relationship(back_populates="entries", foreign_keys=[resource_id])
    space: Mapped[Space] = relationship(foreign_keys=[space_id])
    from_space: Mapped[Space | None] = relationship(foreign_keys=[from_space_id])
    recommended_by: Mapped[User] = relationship(foreign_keys=[recommended_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    call: Mapped[Call | None] = relationship()

    @property
    def policy_space(self) -> Space:
        return self.space

    @property
    def policy_owner_id(self) -> int:
        return self.recommended_by_id

    @property
    def label(self) -> str:
        return ENTRY_LABELS[self.state]


class ResourceTag(db.Model):
    __tablename__ = "resource_tags"
    __table_args__ = (Index("ix_resource_tags_name_resource", "name", "resource_id"),)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


class ResourceVote(db.Model):
    """A reader's 推荐 (thumbs-up) of a resource: once per person."""

    __tablename__ = "resource_votes"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Call(IdMixin, CreatedMixin, AuthoredInSpace, db.Model):
    """定向征集: a space asks for resources on a theme until a deadline; answers arrive
    as recommendations into the space's review queue."""

    __tablename__ = "resource_calls"
    __table_args__ = (Index("ix_resource_calls_space_deadline", "space_id", "deadline_at"),)

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())

    space: Mapped[Space] = relationship()
    author: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return utcnow() < self.deadline_at

    @property
    def last_day(self) -> datetime:
        """The deadline as people say it: the last day answers are taken (it closes at
        the end of that day, China time)."""
        return self.deadline_at - timedelta(seconds=1)
