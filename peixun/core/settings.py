"""Site settings an admin edits at run time (the sensitive-word list, …): one row a key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from peixun.core.db import UTCDateTime, utcnow
from peixun.extensions import db


class Setting(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def get_setting(key: str) -> str | None:
    return db.session.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none()


def get_settings(keys: list[str]) -> dict[str, str]:
    rows = db.session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys)))
    return {key: value for key, value in rows}


def put_setting(key: str, value: str) -> None:
    """Store a value; the caller's service commits."""
    found = db.session.get(Setting, key)
    if found is None:
        db.session.add(Setting(key=key, value=value))
    else:
        found.value = value
