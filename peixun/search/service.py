"""Search operations: keep the index in step with the database (outbox, sync, rebuild)
and answer searches with permission-checked hits, snippets, facets and a fallback."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy import delete, func, select, tuple_

from peixun.core.db import utcnow
from peixun.core.indexing import Found, OutboxRow, registry
from peixun.core.policy import Actor
from peixun.core.settings import get_setting, put_setting
from peixun.extensions import db
from peixun.search import analyzer
from peixun.search.backends.base import Backend, Filters, ParsedQuery, Results, Scope
from peixun.search.models import SearchLog
from peixun.search.snippets import mark_title, snippet

log = logging.getLogger(__name__)
EXTENSION_KEY = "peixun_search_backend"
APPLY_BATCH = 500
PER_PAGE = 10


class IndexBusy(Exception):
    """Another process holds the index: the outbox rows stay for the next run."""


def make_backend(app: Flask) -> Backend:
    name = app.config["SEARCH_BACKEND"]
    if name == "postgres":
        from peixun.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from peixun.search.backends.whoosh import WhooshBackend

    # A short lock wait: after a request, a busy index leaves the outbox for the next sync.
    return WhooshBackend(Path(app.config["SEARCH_PATH"]) / "whoosh", lock_timeout=3.0)


def backend() -> Backend:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = make_backend(app)
    return found


# Keeping the index in step -------------------------------------------------------


def apply_outbox(limit: int = APPLY_BATCH) -> int:
    """Index (or remove) the documents named by the oldest outbox rows, then delete those
    rows. A crash in between leaves the rows: applying twice is harmless (upserts)."""
    rows = db.session.execute(select(OutboxRow).order_by(OutboxRow.id).limit(limit)).scalars().all()
    if not rows:
        return 0
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        wanted[row.kind].add(row.object_id)
    sources = registry().sources
    documents, gone = [], []
    for kind, ids in wanted.items():
        source = sources.get(kind)
        if source is None:
            continue
        loaded = source.load(sorted(ids))
        documents.extend(loaded)
        present = {doc.object_id for doc in loaded}
        gone.extend(f"{kind}:{object_id}" for object_id in ids - present)
    try:
        if documents:
            backend().index(documents)
        if gone:
            backend().delete(gone)
    except Exception as error:  # the index is busy or broken: keep the rows, retry later
        db.session.rollback()
        log.warning("search index not updated, %d outbox rows kept: %s", len(rows), error)
        return 0
    # The rows read, not whatever holds their ids now: SQLite gives a new row the id of a
    # deleted one, and another worker may have applied and deleted these meanwhile.
    read = [(row.id, row.created_at) for row in rows]
    db.session.execute(delete(OutboxRow).where(tuple_(OutboxRow.id, OutboxRow.created_at).in_(read)))
    db.session.commit()
    return len(rows)


def sync() -> int:
    """Apply every outbox row (`flask search sync`; also after each write request)."""
    total = 0
    while True:
        done = apply_outbox()
        total += done
        if done < APPLY_BATCH:
            return total


def pending() -> int:
    return db.session.execute(select(func.count()).select_from(OutboxRow)).scalar_one()


@dataclass(frozen=True)
class Status:
    backend: str
    documents: int
    outbox: int
    outbox_oldest_seconds: int  # 0 when the outbox is empty: how far the index lags
    stale: bool  # the dictionary changed since the last rebuild


def status() -> Status:
    """The index's state for /healthz and the admin page; raises if it cannot be read."""
    oldest = db.session.execute(select(func.min(OutboxRow.created_at))).scalar_one()
    lag = 0 if oldest is None else max(0, int((utcnow() - oldest).total_seconds()))
    return Status(
        backend=backend().name,
        documents=backend().count(),
        outbox=pending(),
        outbox_oldest_seconds=lag,
        stale=index_version() not in ("", analyzer.dictionary_version()),
    )


INDEX_VERSION_KEY = "search.index_version"


def index_version() -> str:
    """The dictionary version the index was last rebuilt with ("" before the first rebuild)."""
    return get_setting(INDEX_VERSION_KEY) or ""


def _batches(batch: int, progress: Any = None) -> Iterator[list[Any]]:
    """Every source's documents, `batch` at a time."""
    for kind, source in registry().sources.items():
        ids = list(source.all_ids())
        for start in range(0, len(ids), batch):
            documents = source.load(ids[start : start + batch])
            db.session.expire_all()  # bounded memory: loaded rows are not kept
            yield documents
            if progress:
                progress(kind, start + batch, len(ids))


def rebuild(batch: int = APPLY_BATCH, progress: Any = None) -> int:
    """Rebuild the index from the database (`flask search rebuild`). A backend with a
    rebuild() of its own replaces its contents in one go; otherwise it is cleared and
    filled batch by batch."""
    started = db.session.execute(select(func.max(OutboxRow.id))).scalar_one() or 0
    index = backend()
    bulk = getattr(index, "rebuild", None)
    if bulk is not None:
        total = bulk(_batches(batch, progress))
    else:
        index.clear()
        total = 0
        for documents in _batches(batch, progress):
            index.index(documents)
            total += len(documents)
    # What changed during the rebuild stays in the outbox and is applied next.
    db.session.execute(delete(OutboxRow).where(OutboxRow.id <= started))
    put_setting(INDEX_VERSION_KEY, analyzer.dictionary_version())
    db.session.commit()
    return total


# Searching ------------------------------------------------------------------------


def scope_for(actor: Actor, within: int | None = None) -> Scope:
    if actor.user is None:
        return Scope(within=within)
    return Scope(
        member_of=frozenset(actor.member_of),
        role_spaces=frozenset(space_id for space_id, roles in actor.roles.items() if roles),
        user_id=actor.user.id,
        is_admin=actor.is_admin,
        within=within,
    )


@dataclass
class Hit:
    key: str
    found: Found
    snippet: Markup  # escaped, matches in <mark>
    title: Markup


@dataclass
class SearchPage:
    query: ParsedQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    dropped_words: list[str] = field(default_factory=list)  # left out to find something
    page: int = 1
    per_page: int = PER_PAGE
    exact: bool = True  # False: more than `total` (COUNT_LIMIT) match; facets counted over those

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _without(query: ParsedQuery, clause_index: int) -> ParsedQuery:
    return ParsedQuery(tuple(c for i, c in enumerate(query.clauses) if i != clause_index), query.dropped)


def _relax(query: ParsedQuery, scope: Scope, filters: Filters) -> tuple[ParsedQuery, list[str]]:
    """Nothing has every word: leave out the words that match nothing on their own, then
    (if still nothing) the rarest, one at a time."""
    dropped: list[str] = []
    index = backend()
    while len(query.positive) > 1:
        alone = []
        for i, clause in enumerate(query.clauses):
            if clause.is_negated:
                continue
            single = ParsedQuery((clause,))
            alone.append((index.search(single, scope, filters, per_page=1).total, i, clause))
        _fewest, i, clause = min(alone, key=lambda item: item[0])
        dropped.append(" ".join(clause.tokens))
        query = _without(query, i)
        if index.search(query, scope, filters, per_page=1).total:
            break
    return query, dropped


def search(
    actor: Actor,
    raw: str,
    filters: Filters,
    *,
    sort: str = "relevance",
    page: int = 1,
    within: int | None = None,
    log_it: bool = True,
) -> SearchPage:
    query = analyzer.parse_query(raw)
    scope = scope_for(actor, within)
    index = backend()
    results = index.search(query, scope, filters, sort=sort, page=page, per_page=PER_PAGE)
    dropped: list[str] = []
    if results.total == 0 and len(query.positive) > 1 and page == 1:
        relaxed, dropped = _relax(query, scope, filters)
        if dropped:
            results = index.search(relaxed, scope, filters, sort=sort, page=page, per_page=PER_PAGE)
    hits = _present(results, actor, query)
    if log_it and page == 1 and query.positive:
        _log(raw, results.total)
    return SearchPage(query, results.total, hits, results.facets, dropped, page, exact=results.exact)


def _present(results: Results, actor: Actor, query: ParsedQuery) -> list[Hit]:
    """Load each hit from the database and ask the policy again: a stale index never shows
    what the searcher may not read, nor text that has since changed."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key in results.keys:
        kind, _, object_id = key.partition(":")
        by_kind[kind].append(int(object_id))
    found: dict[str, Found] = {}
    sources = registry().sources
    for kind, ids in by_kind.items():
        if kind in sources:
            for object_id, item in sources[kind].present(ids, actor).items():
                found[f"{kind}:{object_id}"] = item
    terms = analyzer.highlight_terms(query)
    return [
        Hit(key, found[key], snippet(found[key].text, terms), mark_title(found[key].title, terms))
        for key in results.keys
        if key in found
    ]


def _log(raw: str, results: int) -> None:
    text = " ".join(raw.split())[:200]
    if not text:
        return
    db.session.add(SearchLog(text=text, results=results))
    db.session.commit()


def warm(app: Flask) -> None:
    """Open the index and the segmenter before the first search (first-query latency)."""
    with app.app_context():
        analyzer.parse_query("工作坊")
        backend().warm()
