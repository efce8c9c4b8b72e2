"""Read-side of the search log: the week's popular searches, queries that found nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from peixun.core.db import utcnow
from peixun.extensions import db
from peixun.search.models import SearchLog
from peixun.spaces.models import Space


def popular(days: int = 7, limit: int = 10) -> list[tuple[str, int]]:
    """What people searched most lately, among searches that found something."""
    count = func.count().label("n")
    rows = db.session.execute(
        select(SearchLog.text, count)
        .where(SearchLog.created_at >= utcnow() - timedelta(days=days), SearchLog.results > 0)
        .group_by(SearchLog.text)
        .order_by(count.desc(), SearchLog.text)
        .limit(limit)
    ).all()
    return [(row.text, row.n) for row in rows]


def found_nothing(days: int = 30, limit: int = 100) -> list[tuple[str, int]]:
    """Queries with no result (for the admins: words the dictionary or the library lacks)."""
    count = func.count().label("n")
    rows = db.session.execute(
        select(SearchLog.text, count)
        .where(SearchLog.created_at >= utcnow() - timedelta(days=days), SearchLog.results == 0)
        .group_by(SearchLog.text)
        .order_by(count.desc(), SearchLog.text)
        .limit(limit)
    ).all()
    return [(row.text, row.n) for row in rows]


def space_names(ids: list[int]) -> dict[int, Space]:
    if not ids:
        return {}
    return {s.id: s for s in db.session.execute(select(Space).where(Space.id.in_(ids))).scalars()}
