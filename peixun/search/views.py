"""The search page (/search?q=…), in all spaces or within one space and those below it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from peixun.core import audit
from peixun.core.db import get_or_404
from peixun.core.errors import ServiceError
from peixun.core.indexing import registry
from peixun.core.limits import searching
from peixun.core.pagination import page_arg
from peixun.core.policy import current_actor, require
from peixun.extensions import db
from peixun.search import queries, service
from peixun.search.backends.base import Filters
from peixun.search.dictionary import current_dictionary_text, save_dictionary
from peixun.spaces.models import KIND_LABELS, Space

bp = Blueprint("search", __name__)


class DictionaryForm(FlaskForm):
    text = TextAreaField(
        "检索词典",
        description="每行一个词语；同义词用等号连接，如：教案 = 教学设计。# 之后为注释。",
        validators=[Length(max=200_000, message="词典过长。")],
    )


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
@searching
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


@bp.route("/admin/search", methods=["GET", "POST"])
def admin_search():
    """The education dictionary (words and synonyms) and the searches that found nothing."""
    require("search.admin")
    form = DictionaryForm(data=None if request.method == "POST" else {"text": current_dictionary_text()})
    if form.validate_on_submit():
        try:
            audit.record("dictionary.edit", summary=f"{len((form.text.data or '').splitlines())} 行")
            save_dictionary(form.text.data or "", "text")
        except ServiceError as error:
            db.session.rollback()
            form.text.errors = [*form.text.errors, error.message]
        else:
            flash(
                "词典已保存。新的分词用于此后的搜索和索引；请运行 flask search rebuild 重建索引。", "success"
            )
            return redirect(url_for("search.admin_search"))
    return render_template(
        "search/admin.html",
        form=form,
        nothing=queries.found_nothing(),
        popular=queries.popular(days=30, limit=30),
        status=service.status(),
    ), 400 if form.errors else 200
