"""The Whoosh backend: a file index under instance/, one writer at a time across all
processes, one searcher per process (reopened when the index changed).

STACK_NOTES 3, 4, 4b: queries are built from a ParsedQuery, never by Whoosh's parser (no
wildcards, no fuzzy), with capped clauses and a collection deadline; pages are clamped;
writers wait for the lock a bounded time, then raise IndexBusyError; documents are
segmented before the lock is taken and written in one batch per call."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from whoosh import collectors, index, scoring, sorting, writing
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

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
from peixun.search.backends.whoosh_matching import _count, _Deadline

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
TEXT_FIELDS = ("title", "body")
TITLE_BOOST = 3.0
MAX_PER_PAGE = 50
MAX_PAGE = 1000  # deeper pages come back empty (the heap would hold page * per_page hits)
MAX_CLAUSES = 32  # distinct clauses; the parser caps queries, this is the backend's own bound
MAX_PHRASE_TOKENS = 32
MAX_ALTERNATIVES = 8
SEARCH_SECONDS = 2.0
LOCK_SECONDS = 10.0


class IndexBusyError(RuntimeError):
    """Another writer held the index lock for longer than the timeout. Nothing was
    written: leave the outbox rows for the next `flask search sync`."""


def _pairs(text: str) -> list[tuple[str, int]]:
    return sorted(index_tokens(text), key=lambda pair: pair[1])  # Positions wants them in order


class _Segmented(str):
    """A text carrying its (token, position) pairs: documents are segmented before the
    write lock is taken, so the lock is held only for Whoosh's own work."""

    def __init__(self, text: str) -> None:
        self.pairs = _pairs(text)


class SegmentTokenizer(Tokenizer):
    """Yields analyzer.index_tokens() with the positions it gives (sub-words and synonym
    forms share their compound's position), so phrases over the same tokens match."""

    def __call__(
        self, value: str, tokenize: bool = True, start_pos: int = 0, **kwargs: Any
    ) -> Iterator[Token]:
        pairs = getattr(value, "pairs", None) or _pairs(value) if tokenize else [(value, 0)]
        token = Token(**kwargs)  # keeps positions, chars, mode, … as attributes
        for text, position in pairs:
            token.text = token.original = text
            token.boost, token.stopped = 1.0, False
            token.pos = start_pos + position
            # No character offsets: snippets are made by the caller from the database.
            token.startchar = token.endchar = kwargs.get("start_char", 0)
            yield token


def make_schema() -> Schema:
    words = SegmentTokenizer()
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True, sortable=True),
        object_id=STORED(),
        title=TEXT(analyzer=words, phrase=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=words, phrase=True),
        pinyin=KEYWORD(lowercase=True, scorable=True),
        author_id=ID(),
        space_ids=KEYWORD(),
        chain_ids=KEYWORD(),
        is_open=ID(),
        created_at=DATETIME(sortable=True),
        **{name: ID(sortable=True) for name in FACETS if name != "kind"},
    )


def document_fields(doc: Document) -> dict[str, Any]:
    """The field values Whoosh stores for one document (segmentation done here)."""
    keys = (k for text in (doc.title, doc.author_name) for key in pinyin_keys(text) for k in key.split())
    created = doc.created_at
    if created.tzinfo is not None:  # DATETIME wants naive UTC
        created = created.astimezone(UTC).replace(tzinfo=None)
    fields: dict[str, Any] = {
        "key": doc.key,
        "kind": doc.kind,
        "object_id": doc.object_id,
        "title": _Segmented(doc.title),
        "body": _Segmented(doc.body),
        "pinyin": " ".join(dict.fromkeys(keys)),
        "author_id": str(doc.author_id),
        "space_ids": " ".join(str(i) for i in doc.space_ids),
        "chain_ids": " ".join(str(i) for i in doc.chain_ids),
        "is_open": "1" if doc.is_open else "0",
        "level": doc.level,
        "space_id": str(doc.space_id) if doc.space_id else "",
        "subject": doc.subject,
        "stage": doc.stage,
        "resource_type": doc.resource_type,
        "year": str(doc.year),
        "created_at": created,
    }
    return {name: value for name, value in fields.items() if value != ""}


# Queries


def _either_field(words: list[str]) -> list[wq.Query]:
    return [wq.Term(field, word) for word in dict.fromkeys(words) for field in TEXT_FIELDS]


def clause_query(clause: Clause, *, negated: bool = False) -> wq.Query | None:
    tokens = [t for t in clause.tokens if t][:MAX_PHRASE_TOKENS]
    if clause.is_phrase and len(tokens) > 1:
        return wq.Or([wq.Phrase(field, tokens) for field in TEXT_FIELDS])
    if len(tokens) > 1:  # several tokens without quotes: each must occur somewhere
        return wq.And([wq.Or(_either_field([t])) for t in tokens])
    words = tokens if clause.is_phrase else tokens + [a for a in clause.alternatives if a][:MAX_ALTERNATIVES]
    parts = _either_field(words)
    if clause.pinyin and not clause.is_phrase and not negated:
        parts.append(wq.Term("pinyin", clause.pinyin.lower()))
    return wq.Or(parts) if parts else None


def build_query(parsed: ParsedQuery, *, match_any: bool = False) -> wq.Query | None:
    """AND (or OR) over the positive clauses, AndNot the negated ones; None when nothing
    positive is left (the caller returns no results)."""
    clauses = list(dict.fromkeys(parsed.clauses))[:MAX_CLAUSES]
    positive = [q for c in clauses if not c.is_negated and (q := clause_query(c)) is not None]
    if not positive:
        return None
    combined: wq.Query = wq.Or(positive) if match_any else wq.And(positive)
    negative = [q for c in clauses if c.is_negated and (q := clause_query(c, negated=True)) is not None]
    if negative:
        combined = wq.AndNot(combined, wq.Or(negative))
    return combined


def restriction(scope: Scope, filters: Filters) -> wq.Query | None:
    """What the searcher may read, narrowed by `within` and the chosen facet values."""
    parts: list[wq.Query] = []
    if not scope.is_admin:
        allowed: list[wq.Query] = [wq.Term("space_ids", str(i)) for i in sorted(scope.member_of)]
        allowed += [wq.Term("chain_ids", str(i)) for i in sorted(scope.role_spaces)]
        allowed.append(wq.Term("is_open", "1"))
        if scope.user_id is not None:
            allowed.append(wq.Term("author_id", str(scope.user_id)))
        parts.append(wq.Or(allowed))
    if scope.within is not None:
        parts.append(wq.Term("chain_ids", str(scope.within)))
    for name in FACETS:
        value = getattr(filters, name)
        if value:
            parts.append(wq.Term(name, str(value)))
    return wq.And(parts) if parts else None


def _abandon(writer: Any) -> None:
    """Cancel a writer that failed, even inside commit(), and free the lock."""
    try:
        if not writer.is_closed:
            writer.cancel()
    finally:
        if writer.writelock is not None and writer.writelock.fd is not None:
            writer.writelock.release()


class WhooshBackend:
    name = "whoosh"

    def __init__(
        self, path: Path, *, lock_timeout: float = LOCK_SECONDS, search_timeout: float = SEARCH_SECONDS
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.search_timeout = search_timeout
        self.schema = make_schema()
        self._pid = os.getpid()
        self._reset_process_state()
        self.path.mkdir(parents=True, exist_ok=True)
        self._ix = self._open_or_create()

    def _reset_process_state(self) -> None:
        self._read_lock = threading.Lock()  # Whoosh searchers are not shared across threads
        self._write_lock = threading.Lock()  # writers of this process queue here, not on the file
        self._searcher: Any = None

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # forked (gunicorn --preload): open our own files
            self._pid = os.getpid()
            self._reset_process_state()

    def _open_or_create(self) -> index.FileIndex:
        storage = FileStorage(str(self.path))
        if not index.exists(storage, indexname=INDEX_NAME):
            lock = storage.lock(f"{INDEX_NAME}_WRITELOCK")
            self._retry(lock.acquire, time.monotonic() + self.lock_timeout)
            try:
                if not index.exists(storage, indexname=INDEX_NAME):  # another worker may have won
                    storage.create_index(self.schema, indexname=INDEX_NAME)
            finally:
                lock.release()
        # Our schema, not the pickled one: the index opens whatever the module is called.
        return index.FileIndex(storage, schema=self.schema, indexname=INDEX_NAME)

    # Writing

    def _retry(self, attempt: Callable[[], Any], deadline: float) -> Any:
        delay = 0.02
        while True:
            try:
                result = attempt()
            except LockError:
                result = False
            if result:
                return result
            if time.monotonic() + delay > deadline:
                raise IndexBusyError(
                    f"the search index at {self.path} stayed locked by another writer "
                    f"for more than {self.lock_timeout:g} s"
                )
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.5)

    def _write(
        self, updates: Sequence[dict[str, Any]] = (), deletes: Sequence[str] = (), **commit: Any
    ) -> None:
        """One writer for the whole call: wait for the lock (bounded), apply, commit;
        cancel on any error so the lock is released and nothing half-done is kept."""
        self._check_process()
        deadline = time.monotonic() + self.lock_timeout
        if not self._write_lock.acquire(timeout=self.lock_timeout):
            raise IndexBusyError(f"this process kept the search index busy for {self.lock_timeout:g} s")
        try:
            writer = self._retry(lambda: self._ix.writer(timeout=0.0), deadline)
            try:
                for key in deletes:
                    writer.delete_by_term("key", key)
                for fields in updates:
                    writer.update_document(**fields)
                writer.commit(**commit)
            except BaseException:
                _abandon(writer)
                raise
        finally:
            self._write_lock.release()

    def index(self, documents: list[Document]) -> None:
        """Add or replace documents by key, in one commit. Within a batch the last
        document with a key wins (a writer cannot see its own pending documents)."""
        latest = {doc.key: doc for doc in documents}
        if latest:  # segment before taking the lock
            self._write(updates=[document_fields(doc) for doc in latest.values()])

    def delete(self, keys: list[str]) -> None:
        if keys:
            self._write(deletes=list(dict.fromkeys(keys)))

    def clear(self) -> None:
        """Remove every document: a new, empty generation written under the lock, so
        other processes' searchers see the change (recreating files would reset the
        generation number they compare)."""
        self._write(mergetype=writing.CLEAR)

    def optimize(self) -> None:
        """Merge every segment into one (after a rebuild)."""
        self._write(optimize=True)

    def count(self) -> int:
        with self._reading() as searcher:
            return searcher.doc_count()

    # Searching

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        self._check_process()
        with self._read_lock:
            if self._searcher is not None and not self._searcher.up_to_date():
                # Not refresh(): in Whoosh-Reloaded 2.7.5 it adds the old segments to the
                # new ones (deleted, replaced and cleared documents come back).
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                self._searcher = self._ix.searcher(weighting=scoring.BM25F())
            yield self._searcher

    def warm(self) -> None:
        """Open the searcher and its sort and facet columns (a faceted search in both
        sorts that matches nothing, so it costs the same on any index size)."""
        for sort in ("relevance", "newest"):
            self._collect(wq.Term("key", "\x00warm"), sort, 0, 1)

    def close(self) -> None:
        with self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

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
        q = build_query(query, match_any=match_any)
        if q is None:
            return Results(total=0, keys=[], facets={name: [] for name in FACETS})
        allowed = restriction(scope, filters)
        if allowed is not None:  # the hits (and so every facet count) lie inside it
            q = wq.Require(q, allowed)
        per_page = max(1, min(int(per_page), MAX_PER_PAGE))
        page = max(1, int(page))
        return self._collect(q, sort, (page - 1) * per_page if page <= MAX_PAGE else None, per_page)

    def _collect(self, q: wq.Query, sort: str, first: int | None, per_page: int) -> Results:
        """Hits first..first+per_page (none when first is None), the total and the facet
        counts, within the time limit.

        Two passes over the matches. Counting walks them unscored, in index order, and
        stops after COUNT_LIMIT: up to there the total and the facets are exact. The page
        is ranked by a second pass: over every match when there are at most COUNT_LIMIT,
        and otherwise (relevance only) with Whoosh's block-quality skipping, which passes
        over blocks of postings that cannot reach the current top N (exact, since BM25F's
        block bound is an upper bound; issue 5: 4–10× fewer scored documents)."""
        limit = (first or 0) + per_page
        deadline = time.monotonic() + self.search_timeout
        with self._reading() as searcher:
            total, exact, facets, timed_out = _count(searcher, q, COUNT_LIMIT, deadline)
            keys: list[str] = []
            if total and first is not None and (not exact or first < total):
                if sort == "newest":
                    base = collectors.SortingCollector(
                        sorting.FieldFacet("created_at", reverse=True), limit=limit
                    )
                else:
                    # Exact scoring of every match when they are few. Never matcher
                    # replacement: it drops a branch of an OR once the top N is full, so
                    # a title match could rank below body matches.
                    base = collectors.TopCollector(limit=limit, usequality=not exact, replace=0)
                watch = _Deadline(base, max(deadline - time.monotonic(), 0.0))
                searcher.search_with_collector(q, watch)
                timed_out = timed_out or watch.timed_out
                hits = base.results().top_n[first:limit]
                keys = [searcher.stored_fields(docnum)["key"] for _, docnum in hits]
        if timed_out:
            log.warning("search stopped after %.1f s with %d hits counted", self.search_timeout, total)
        return Results(total=total, keys=keys, facets=facets, exact=exact)
