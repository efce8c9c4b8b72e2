"""What search needs from every domain, kept below them all: the outbox of changed
objects and the registry of document sources.

A domain's `search.py` registers, in create_app, how to turn ids of its objects into
search documents and which model changes concern which documents. Changes are recorded
as outbox rows by a flush listener, so they are written in the same transaction as the
change itself; the search domain applies them after commit, and `flask search sync`
applies whatever a crash left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from peixun.core.db import IdMixin, UTCDateTime, utcnow
from peixun.extensions import db

EXTENSION_KEY = "peixun_indexing"


class OutboxRow(IdMixin, db.Model):
    """A document to (re)index or delete: written with the change, removed once applied."""

    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_kind_object", "kind", "object_id"),)

    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class Document:
    """One searchable thing, as a domain describes it to the search backends."""

    key: str  # "<kind>:<id>", e.g. "thread:12", "post:55", "resource:7"
    kind: str  # thread | post | resource | brief | lesson
    object_id: int
    title: str
    body: str  # plain text: Markdown stripped, a resource's description, tags and file text
    author_id: int
    author_name: str  # 姓名, for pinyin search (zhangli, zl → 张丽)
    created_at: datetime
    # Who may read it: participants of any of these spaces (and roles over their chains),
    # or everyone when is_open (a public personal journal), or its author.
    space_ids: tuple[int, ...]
    chain_ids: tuple[int, ...]  # every space id on the paths of space_ids, top down
    is_open: bool = False
    # Facets
    level: str = ""  # kind of the primary space: region, school, workshop, group, personal
    space_id: int = 0  # the primary space (where it was posted or shared)
    subject: str = ""
    stage: str = ""
    resource_type: str = ""

    @property
    def year(self) -> int:
        return self.created_at.year


@dataclass
class Found:
    """A search hit as the results page shows it, built from the database (never from
    the index), after the policy said the searcher may read it."""

    kind_label: str
    title: str
    url: str
    space_name: str
    space_url: str
    author_name: str
    author_url: str
    created_at: datetime
    text: str  # plain text the snippet is cut from


@dataclass(frozen=True)
class Source:
    """A kind of document. `load(ids)` returns the search documents (search.backends.base.
    Document) of the ids that should be searchable: missing, deleted, held or hidden ones
    are simply absent, and get removed from the index. `present(ids, actor)` returns what
    the results page shows for the ids this actor may read, checked by the policy."""

    kind: str
    label: str  # 研讨, 回帖, 资源 … for the kind facet
    load: Callable[[list[int]], list[Any]]
    all_ids: Callable[[], Iterable[int]]  # every id, for a full rebuild
    present: Callable[[list[int], Any], dict[int, Found]]


@dataclass
class Registry:
    sources: dict[str, Source]
    # model class → function(instance) → [(kind, id)] of the documents it affects
    watchers: dict[type, Callable[[Any], list[tuple[str, int]]]]


def registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions[EXTENSION_KEY]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Registry({}, {})


def register_source(app: Flask, source: Source) -> None:
    registry(app).sources[source.kind] = source


def watch(app: Flask, model: type, affects: Callable[[Any], list[tuple[str, int]]]) -> None:
    """When an instance of `model` is added, changed or deleted, mark `affects(instance)`."""
    registry(app).watchers[model] = affects


def mark(session: Session, keys: Iterable[tuple[str, int]]) -> None:
    """Add outbox rows for these documents to the session (same transaction)."""
    seen = session.info.setdefault("search_marked", set())
    for kind, object_id in keys:
        if object_id is None or (kind, object_id) in seen:
            continue
        seen.add((kind, object_id))
        session.add(OutboxRow(kind=kind, object_id=object_id))
        session.info["search_pending"] = True  # read after commit: apply the outbox


def _after_flush(session: Session, flush_context: Any) -> None:
    """After a flush new objects have ids; the outbox rows added here are flushed by the
    commit's next round (commit flushes until the session is clean), in the same
    transaction. Bulk UPDATE statements bypass this: their services call mark()."""
    try:
        watchers = registry().watchers
    except (RuntimeError, KeyError):  # no app (scripts) or an app without search
        return
    if not watchers:
        return
    keys: list[tuple[str, int]] = []
    for obj in [*session.new, *session.dirty, *session.deleted]:
        affects = watchers.get(type(obj))
        if affects is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        keys.extend(affects(obj))
    mark(session, keys)


def _after_end(session: Session, *args: Any) -> None:
    session.info.pop("search_marked", None)


def connect_session_events() -> None:
    """Once per process: every session records outbox rows for watched models."""
    if getattr(connect_session_events, "done", False):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_end)
    event.listen(Session, "after_rollback", _after_end)
    connect_session_events.done = True  # type: ignore[attr-defined]
