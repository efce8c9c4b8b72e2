"""One Page object and bounded ?page= parsing for every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, request
from sqlalchemy import func, select

from peixun.extensions import db

MAX_PAGE = 10_000


def page_arg(name: str = "page") -> int:
    """The requested page number: 1 when absent, 404 when not a sane number.

    Clamped before any query, because SQLite overflows on huge offsets (STACK_NOTES 5).
    """
    raw = request.args.get(name, "1").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        abort(404)
    page = int(raw)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    statement: Any, page: int, per_page: int = 30, scalars: bool = True, total: int | None = None
) -> Page:
    """Run a select for one page plus one count (unless the caller knows the total);
    a page past the end is a 404."""
    if total is None:
        total = db.session.execute(
            select(func.count()).select_from(statement.order_by(None).subquery())
        ).scalar_one()
    if page > 1 and (page - 1) * per_page >= total:
        abort(404)
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total)
