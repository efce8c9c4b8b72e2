"""The PostgreSQL search backend (GIN full text, for several app servers on one database).

The table `search_documents` is created by a migration (PostgreSQL only) and described
here on its own MetaData, outside the models.

- Indexing builds each tsvector itself from the analyzer's tokens and positions (never
  `to_tsvector`, which would re-split the text): a literal such as `'坊主':1A '研修':2A,5`
  with every lexeme quoted, cast with CAST(:literal AS tsvector).  Title tokens carry
  weight A at positions 1.., body tokens weight D after the title and a one-position gap
  (a phrase never spans title and body).  PostgreSQL keeps positions up to 16383 and 256
  positions per lexeme: body tokens past position 16383 are not indexed (roughly the
  first 25,000 Chinese characters), and a body is cut at MAX_BODY_CHARS before segmenting.
- Queries are tsquery literals of the parsed clauses, quoted alike (never to_tsquery).
- Ranking: ts_rank with weights {D 0.1, C 0.2, B 0.4, A 1.0} and normalisation 1
  (divided by 1 + log2 of the document length).  PostgreSQL has no BM25; this
  approximates it (saturating term frequency, length normalisation, titles above
  bodies) without inverse document frequency.  Ranking reads every matching tsvector,
  so a query matching more than `rank_window` documents ranks its newest ones only.
- Facet counts and the total come from one GROUPING SETS query over the same WHERE
  (permissions included), over the first COUNT_LIMIT + 1 matches only (Results.exact).
- Every search runs on its own connection in one transaction with a statement timeout
  shared by its queries; a timeout gives empty Results, the app's session is untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import sqlalchemy as sa
from psycopg import errors as pg_errors
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    cast,
    delete,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR, insert
from sqlalchemy.exc import OperationalError

from peixun.core.db import UTCDateTime
from peixun.extensions import db
from peixun.search.analyzer import index_tokens, pinyin_keys
from peixun.search.backends.base import (
    COUNT_LIMIT,
    FACETS,
    Clause,
    Document,
    Filters,
    ParsedQuery,
    Results,
    Scope,
)

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS_PER_LEXEME = 256  # PostgreSQL keeps no more
MAX_BODY_CHARS = 100_000  # more than 16383 positions of any text; the rest is not segmented
MAX_LEXEME_CHARS = 200  # well under PostgreSQL's 2046 bytes; queries are cut the same way
MAX_CLAUSES = 64  # of a query; the parser bounds queries long before this
MAX_TERMS = 64  # tokens and alternatives of one clause
MAX_PER_PAGE = 100
MAX_OFFSET = 10_000  # deeper pages are empty
FACET_LIMIT = 20
BATCH = 500
RANK_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'::float4[]"  # D, C, B, A

log = logging.getLogger(__name__)

metadata = sa.MetaData()

documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("tokens", TSVECTOR, nullable=False),
    sa.Column("pinyin", TSVECTOR, nullable=False),
    sa.Column("author_id", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("space_ids", ARRAY(sa.Integer), nullable=False),
    sa.Column("chain_ids", ARRAY(sa.Integer), nullable=False),
    sa.Column("is_open", sa.Boolean, nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("space_id", sa.Integer, nullable=False),
    sa.Column("subject", sa.String(20), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("resource_type", sa.String(20), nullable=False),
)
_c = documents.c


# --- literals


def _lexeme(token: str) -> str:
    return token.replace("\x00", "")[:MAX_LEXEME_CHARS]


def quote(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery syntax: quoted, with quotes and backslashes doubled."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title: str, body: str) -> str:
    """`'lexeme':1A,3A 'other':7 …` from the analyzer's exact positions."""
    positions: dict[str, list[str]] = {}

    def add(tokens: Iterable[tuple[str, int]], offset: int, weight: str) -> int:
        last = 0
        for token, position in tokens:
            lexeme, at = _lexeme(token), position + 1 + offset
            if not lexeme or at > MAX_POSITION:
                continue
            last = max(last, at)
            found = positions.setdefault(lexeme, [])
            if len(found) < MAX_POSITIONS_PER_LEXEME:
                found.append(f"{at}{weight}")
        return last

    end_of_title = add(index_tokens(title), 0, "A")
    add(index_tokens(body[:MAX_BODY_CHARS]), end_of_title + 1 if end_of_title else 0, "")
    return " ".join(f"{quote(lexeme)}:{','.join(at)}" for lexeme, at in positions.items())


def pinyin_literal(*texts: str) -> str:
    keys = {_lexeme(key.lower()) for text_ in texts for key in pinyin_keys(text_)}
    return " ".join(quote(key) for key in sorted(keys) if key)


def _clause_queries(clause: Clause) -> tuple[str, str]:
    """(tsquery over tokens, tsquery over pinyin or ''); ('', '') when nothing is left."""
    tokens = [quote(t) for t in (_lexeme(t) for t in clause.tokens[:MAX_TERMS]) if t]
    pinyin = _lexeme(clause.pinyin.lower())
    py = quote(pinyin) if pinyin else ""
    if not tokens:
        return "", py
    if clause.is_phrase:
        return "(" + " <-> ".join(tokens) + ")", py
    words = [" & ".join(tokens)] if len(tokens) > 1 else tokens
    words += [quote(a) for a in (_lexeme(a) for a in clause.alternatives[:MAX_TERMS]) if a]
    return "(" + " | ".join(words if len(words) == 1 else [f"({w})" for w in words]) + ")", py


def _tsquery(literal: str) -> ColumnElement:
    return cast(bindparam(None, literal, type_=sa.Text), TSQUERY)


def _matches(tq: str, py: str) -> ColumnElement:
    parts = []
    if tq:
        parts.append(_c.tokens.bool_op("@@")(_tsquery(tq)))
    if py:
        parts.append(_c.pinyin.bool_op("@@")(_tsquery(py)))
    return or_(*parts) if parts else false()


# --- conditions ----------------------------------------------------------------------


def _readable(scope: Scope) -> ColumnElement:
    if scope.is_admin:
        return true()
    allowed: list[ColumnElement] = [_c.is_open.is_(True)]
    if scope.member_of:
        allowed.append(_c.space_ids.overlap(sorted(scope.member_of)))
    if scope.role_spaces:
        allowed.append(_c.chain_ids.overlap(sorted(scope.role_spaces)))
    if scope.user_id is not None:
        allowed.append(_c.author_id == scope.user_id)
    return or_(*allowed)


def _where(scope: Scope, filters: Filters, match: ColumnElement) -> ColumnElement:
    conditions = [match, _readable(scope)]
    if scope.within is not None:
        conditions.append(_c.chain_ids.contains([scope.within]))
    for name in FACETS:
        value = getattr(filters, name)
        if value:
            conditions.append(_c[name] == value)
    return and_(*conditions)


class _Match:
    """The match condition and the rank expression of a parsed query."""

    def __init__(self, query: ParsedQuery, match_any: bool) -> None:
        clauses = query.clauses[:MAX_CLAUSES]
        positive = [q for q in (_clause_queries(c) for c in clauses if not c.is_negated) if any(q)]
        negative = [q for q in (_clause_queries(c) for c in clauses if c.is_negated) if any(q)]
        self.empty = not positive
        if self.empty:
            return
        tokens = [tq for tq, _ in positive if tq]
        pinyin = [py for _, py in positive if py]
        plain = [tq for tq, py in positive if not py]
        unwanted = [tq for tq, _ in negative if tq]
        if match_any:
            parts = [_matches(" | ".join(tokens), " | ".join(pinyin))]
        else:
            parts = [_matches(tq, py) for tq, py in positive if py]
            if plain:
                # Exclusions inside the tsquery: the GIN index answers `a & !b` exactly,
                # where NOT (tokens @@ b) would read the tsvector of every candidate.
                parts.append(_matches(" & ".join(plain + [f"!{tq}" for tq in unwanted]), ""))
                unwanted = []
        excluded = _matches(" | ".join(unwanted), " | ".join(py for _, py in negative if py))
        self.condition = and_(*parts, not_(excluded))
        self.tokens, self.pinyin = " | ".join(tokens), " | ".join(pinyin)

    def rank(self, columns) -> ColumnElement:
        """ts_rank over `columns` (the table's, or a subquery's with the same names)."""
        if self.tokens:
            rank = func.ts_rank(literal_column(RANK_WEIGHTS), columns.tokens, _tsquery(self.tokens), 1)
        else:
            rank = literal_column("0.0")
        if self.pinyin:  # a name or title found by pinyin counts like a body word
            rank = rank + func.ts_rank(columns.pinyin, _tsquery(self.pinyin))
        return rank


# --- the backend ---------------------------------------------------------------------


_TEXT_FACETS = ("level", "subject", "stage", "resource_type")  # cut to their columns' lengths


def _row(doc: Document) -> dict[str, object]:
    row = {f"p_{name}": getattr(doc, name) for name in ("key", "kind", "object_id", "author_id")}
    row |= {f"p_{name}": getattr(doc, name) for name in ("created_at", "year", "is_open", "space_id")}
    row |= {f"p_{name}": getattr(doc, name)[: _c[name].type.length] for name in _TEXT_FACETS}
    row |= {"p_space_ids": list(doc.space_ids), "p_chain_ids": list(doc.chain_ids)}
    row |= {"p_title": doc.title.replace("\x00", ""), "p_tokens": tsvector_literal(doc.title, doc.body)}
    return row | {"p_pinyin": pinyin_literal(doc.title, doc.author_name)}


def _upsert():
    values = {c.name: bindparam(f"p_{c.name}", type_=c.type) for c in documents.columns}
    values["tokens"] = cast(bindparam("p_tokens", type_=sa.Text), TSVECTOR)
    values["pinyin"] = cast(bindparam("p_pinyin", type_=sa.Text), TSVECTOR)
    statement = insert(documents).values(values)
    updated = {c.name: statement.excluded[c.name] for c in documents.columns if c.name != "key"}
    return statement.on_conflict_do_update(index_elements=[_c.key], set_=updated)


# For the search transaction only (SET LOCAL): a timeout; no JIT (its compile time costs
# more than it saves here); GIN bitmap scans instead of sequential scans, since a plain
# lexeme match is answered by the index without reading (detoasting) any tsvector, which
# a sequential scan does for every row; memory to count facets without spilling to disk.
_SETTINGS = text(
    "SELECT set_config('statement_timeout', :timeout, true), set_config('jit', 'off', true),"
    " set_config('enable_seqscan', 'off', true), set_config('work_mem', '32MB', true)"
)
_TIMEOUT = text("SELECT set_config('statement_timeout', :timeout, true)")


def _page(conn, where: ColumnElement, match: _Match, sort: str, window: int, per_page: int, offset: int):
    """One page of keys.  Ranking reads every matching tsvector, so a query that matches
    more than `window` documents (when given) ranks only its `window` newest matches,
    and the older ones follow by date."""
    by_date = select(_c.key).where(where).order_by(_c.created_at.desc(), _c.key.desc())
    if sort == "newest":
        return list(conn.execute(by_date.limit(per_page).offset(offset)).scalars())
    source = documents
    if window:
        newest = select(_c.key, _c.tokens, _c.pinyin, _c.created_at).where(where)
        source = newest.order_by(_c.created_at.desc(), _c.key.desc()).limit(window).subquery()
    order = (match.rank(source.c).desc(), source.c.created_at.desc(), source.c.key.desc())
    ranked = select(source.c.key).order_by(*order)
    if not window:
        return list(conn.execute(ranked.where(where).limit(per_page).offset(offset)).scalars())
    keys = list(conn.execute(ranked.limit(per_page).offset(offset)).scalars()) if offset < window else []
    if len(keys) < per_page:
        keys += conn.execute(by_date.limit(per_page - len(keys)).offset(max(offset, window))).scalars()
    return keys


class PostgresBackend:
    """Search over the `search_documents` table; use inside an app context."""

    name = "postgres"
    statement_timeout_ms = 2000
    rank_window = 2000  # a query matching more ranks only its newest rank_window matches

    def index(self, documents_: list[Document]) -> None:
        """Upsert by key, in batches of BATCH, each in its own transaction.  Keys are
        deduplicated (the last document wins) and written in key order, so concurrent
        writers lock rows in the same order and never deadlock."""
        latest = {doc.key: doc for doc in documents_}
        ordered = [latest[key] for key in sorted(latest)]
        statement = _upsert()
        for start in range(0, len(ordered), BATCH):
            rows = [_row(doc) for doc in ordered[start : start + BATCH]]
            with db.engine.begin() as conn:
                conn.execute(statement, rows)

    def delete(self, keys: list[str]) -> None:
        unique = sorted(set(keys))
        for start in range(0, len(unique), 1000):
            with db.engine.begin() as conn:
                conn.execute(delete(documents).where(_c.key.in_(unique[start : start + 1000])))

    def clear(self) -> None:
        """TRUNCATE (instant, frees the space); if another transaction holds the table
        for more than a few seconds, DELETE instead (works beside readers)."""
        try:
            with db.engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                conn.execute(text("TRUNCATE search_documents"))
        except OperationalError as error:
            if not isinstance(error.orig, pg_errors.LockNotAvailable):
                raise
            with db.engine.begin() as conn:
                conn.execute(delete(documents))

    def count(self) -> int:
        with db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(documents)).scalar_one())

    def warm(self) -> None:
        """Open a pooled connection and touch the table (and its catalog entries)."""
        with db.engine.connect() as conn:
            conn.execute(select(_c.key).limit(1)).all()

    def search(
        self,
        query: ParsedQuery,
        scope: Scope,
        filters: Filters,
        *,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 10,
        match_any: bool = False,
    ) -> Results:
        match = _Match(query, match_any)
        if match.empty:
            return Results(total=0, keys=[])
        where = _where(scope, filters, match.condition)
        per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
        offset = (max(int(page), 1) - 1) * per_page
        budget = max(int(self.statement_timeout_ms), 1)
        deadline = time.monotonic() + budget / 1000
        try:
            with db.engine.connect() as conn, conn.begin():
                conn.execute(_SETTINGS, {"timeout": f"{budget}ms"})
                total, exact, facets = self._facets(conn, where)
                keys: list[str] = []
                if total and offset < (min(total, MAX_OFFSET) if exact else MAX_OFFSET):
                    left = int((deadline - time.monotonic()) * 1000)  # the page gets what is left
                    conn.execute(_TIMEOUT, {"timeout": f"{max(left, 1)}ms"})
                    window = self.rank_window if not exact or total > self.rank_window else 0
                    keys = _page(conn, where, match, sort, window, per_page, offset)
        except OperationalError as error:
            if not isinstance(error.orig, pg_errors.QueryCanceled):
                raise
            log.warning("search timed out after %d ms; answered with no results", budget)
            return Results(total=0, keys=[])
        return Results(total=total, keys=keys, facets=facets, exact=exact)

    def _facets(
        self, conn, where: ColumnElement, bound: int | None = None
    ) -> tuple[int, bool, dict[str, list[tuple[str, int]]]]:
        """(total up to `bound`, whether exact, facet counts over the first `bound` matches)."""
        bound = COUNT_LIMIT if bound is None else bound
        first = select(*[_c[name] for name in FACETS]).where(where).limit(bound + 1).subquery()
        numbered = select(*first.c, func.row_number().over().label("rn")).subquery()
        columns = [numbered.c[name] for name in FACETS]
        sets = [tuple_(column) for column in columns] + [tuple_()]
        counted = func.count().filter(numbered.c.rn <= bound)
        counts_ = (func.grouping(*columns).label("g"), func.count().label("n"), counted.label("m"))
        statement = select(*columns, *counts_).group_by(func.grouping_sets(*sets))
        total, counts = 0, {name: [] for name in FACETS}
        everything = (1 << len(FACETS)) - 1
        for row in conn.execute(statement):
            if row.g == everything:
                total = row.n
                continue
            index = len(FACETS) - (everything ^ row.g).bit_length()  # first facet: top bit
            value = row[index]
            if value not in ("", 0, None) and row.m:
                counts[FACETS[index]].append((str(value), row.m))
        for found in counts.values():
            found.sort(key=lambda item: (-item[1], item[0]))
            del found[FACET_LIMIT:]
        return min(total, bound), total <= bound, counts
