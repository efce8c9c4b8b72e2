"""The search page (/search?q=…), in all spaces or within one space and those below it."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from peixun.core.db import get_or_404
from peixun.core.indexing import registry
from peixun.core.pagination import page_arg
from peixun.core.policy import current_actor, require
from peixun.search import queries, service
from peixun.search.backends.base import Filters
from peixun.spaces.models import KIND_LABELS, Space

bp = Blueprint("search", __name__)
MAX_QUERY = 5000
MAX_PAGE = 100  # deep pages of a search are never read; they only cost


def _int_arg(name: str) -> int:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def _filters() -> Filters:
    args = request.args
    return Filters(
        kind=args.get("kind", "")[:16],
        level=args.get("level", "")[:16],
        space_id=_int_arg("space"),
        subject=args.get("subject", "")[:20],
        stage=args.get("stage", "")[:20],
        resource_type=args.get("type", "")[:20],
        year=_int_arg("year"),
    )


@bp.route("/search")
def search_page():
    require("search.use")
    raw = request.args.get("q", "")[:MAX_QUERY]
    within = None
    if request.args.get("in"):
        within = get_or_404(Space, request.args.get("in", ""))
        require("space.view", within)
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest"):
        abort(404)
    page = page_arg()
    if page > MAX_PAGE:
        abort(404)
    filters = _filters()
    result = None
    if raw.strip():
        result = service.search(
            current_actor(), raw, filters, sort=sort, page=page, within=within.id if within else None
        )
    spaces = {}
    if result is not None:
        spaces = queries.space_names(
            [int(v) for v, _n in result.facets.get("space_id", []) if str(v).isdigit()]
        )
    return render_template(
        "search/results.html",
        q=raw,
        result=result,
        filters=filters,
        sort=sort,
        within=within,
        spaces=spaces,
        kind_labels={kind: source.label for kind, source in registry().sources.items()},
        level_labels=KIND_LABELS,
        popular=queries.popular() if result is None or result.total == 0 else [],
    ), 200
