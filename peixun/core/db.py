"""Model base pieces shared by every domain: ids, timestamps, loading or 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import DateTime, Integer, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from peixun.extensions import db

T = TypeVar("T")

# Largest id any table will hand out; bigger ids in URLs are a 404, not an overflow.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class AuthoredInSpace:
    """For the policy: a thing in a space (`space`) written by someone (`author_id`)."""

    space: Any
    author_id: Any

    @property
    def policy_space(self) -> Any:
        return self.space

    @property
    def policy_owner_id(self) -> int:
        return self.author_id


def sane_id_or_404(ident: Any) -> int:
    """An id that fits the database's integer column, or a 404 (a 500 on PostgreSQL else)."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < ident <= MAX_ID:
        abort(404)
    return ident


def get_or_404(model: type[T], ident: Any) -> T:
    """Load by primary key; anything that is not a sane id is a 404, never a 500."""
    obj = db.session.get(model, sane_id_or_404(ident))
    if obj is None:
        abort(404)
    return obj


def first_or_404(statement: Any) -> Any:
    obj = db.session.execute(statement).scalars().first()
    if obj is None:
        abort(404)
    return obj


def _sqlite_foreign_keys_on(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def enable_sqlite_foreign_keys() -> None:
    """SQLite ignores foreign keys (and ON DELETE) unless each connection asks."""
    if not event.contains(Engine, "connect", _sqlite_foreign_keys_on):
        event.listen(Engine, "connect", _sqlite_foreign_keys_on)
