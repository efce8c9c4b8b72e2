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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from whoosh import columns, index, scoring, writing
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.times import datetime_to_long

from peixun.search.analyzer import index_tokens, pinyin_keys
from peixun.search.backends import whoosh_bulk
from peixun.search.backends.base import (
    COUNT_LIMIT,
    FACETS,
    Document,
    Filters,
    ParsedQuery,
    Results,
    Scope,
)
from peixun.search.backends.whoosh_eval import SearchTimeout, evaluate
from peixun.search.backends.whoosh_format import PositionsOnly, WeightedTerms
from peixun.search.backends.whoosh_matching import SearcherCache, top_scored
from peixun.search.backends.whoosh_query import build_query, restriction

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
TITLE_BOOST = 3.0
MAX_PER_PAGE = 50
MAX_PAGE = 1000  # deeper pages come back empty (the heap would hold page * per_page hits)
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


def _text(words: Tokenizer, boost: float = 1.0, *, positions: bool = False) -> TEXT:
    """A scored text field (WeightedTerms), or its positions for phrases (whoosh_format.py)."""
    field = TEXT(analyzer=words, phrase=positions, field_boost=boost)
    field.format = PositionsOnly() if positions else WeightedTerms(field_boost=boost)
    field.scorable = not positions
    return field


def make_schema() -> Schema:
    words = SegmentTokenizer()
    return Schema(
        key=ID(stored=True, unique=True),
        # Facet columns store a small number per document and the distinct values once.
        kind=ID(stored=True, sortable=columns.RefBytesColumn()),
        object_id=STORED(),
        title=_text(words, TITLE_BOOST),
        body=_text(words),
        title_pos=_text(words, positions=True),
        body_pos=_text(words, positions=True),
        pinyin=KEYWORD(lowercase=True, scorable=True),
        author_id=ID(),
        space_ids=KEYWORD(),
        chain_ids=KEYWORD(),
        is_open=ID(),
        created_at=COLUMN(columns.NumericColumn("q")),  # sorted by, never searched: not indexed
        **{name: ID(sortable=columns.RefBytesColumn()) for name in FACETS if name != "kind"},
    )


def document_fields(doc: Document) -> dict[str, Any]:
    """The field values Whoosh stores for one document (segmentation done here)."""
    keys = (k for text in (doc.title, doc.author_name) for key in pinyin_keys(text) for k in key.split())
    created = doc.created_at
    if created.tzinfo is not None:  # naive UTC, as Whoosh's DATETIME had it
        created = created.astimezone(UTC).replace(tzinfo=None)
    fields: dict[str, Any] = {
        "key": doc.key,
        "kind": doc.kind,
        "object_id": doc.object_id,
        "title": (title := _Segmented(doc.title)),
        "body": (body := _Segmented(doc.body)),
        "title_pos": title,
        "body_pos": body,
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
        "created_at": datetime_to_long(created),
    }
    return {name: value for name, value in fields.items() if value != ""}


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
    rebuild_workers = min(os.cpu_count() or 1, 4)  # processes a large rebuild writes in

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
        self._cache: SearcherCache | None = None

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

    def rebuild(self, batches: Iterable[list[Document]]) -> int:
        """Replace every document by those of `batches`, in one commit (whoosh_bulk.py):
        searchers see the old index until it is done. Returns the documents written."""
        self._check_process()
        deadline = time.monotonic() + self.lock_timeout
        if not self._write_lock.acquire(timeout=self.lock_timeout):
            raise IndexBusyError(f"this process kept the search index busy for {self.lock_timeout:g} s")
        written = 0

        def unique() -> Iterator[list[Document]]:
            nonlocal written
            for batch in batches:
                latest = list({doc.key: doc for doc in batch}.values())
                written += len(latest)
                yield latest

        try:
            writer = self._retry(lambda: self._ix.writer(timeout=0.0), deadline)
            try:
                index_tokens("工作坊")  # the segmenter is loaded before any worker starts
                segments = whoosh_bulk.build(self._ix, unique(), document_fields, self.rebuild_workers)
                writer.commit(mergetype=lambda _writer, _old: segments)
            except BaseException:
                _abandon(writer)
                raise
        finally:
            self._write_lock.release()
        return written

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
                self._searcher = self._cache = None
            if self._searcher is None:
                self._searcher = self._ix.searcher(weighting=scoring.BM25F())
                self._cache = SearcherCache(self._searcher)
            yield self._searcher

    def warm(self) -> None:
        """Open the searcher, its sort column and the facet columns (a faceted search in
        both sorts that matches nothing, so it costs the same on any index size)."""
        for sort in ("relevance", "newest"):
            self._collect(wq.Term("key", "\x00warm"), None, sort, 0, 1)
        with self._reading():
            assert self._cache is not None
            self._cache.warm()

    def close(self) -> None:
        with self._read_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = self._cache = None

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
        per_page = max(1, min(int(per_page), MAX_PER_PAGE))
        page = max(1, int(page))
        first = (page - 1) * per_page if page <= MAX_PAGE else None
        return self._collect(q, restriction(scope, filters), sort, first, per_page)

    def _collect(
        self, q: wq.Query, allowed: wq.Query | None, sort: str, first: int | None, per_page: int
    ) -> Results:
        """Hits first..first+per_page (none when first is None), the total and the facet
        counts, within the time limit.

        Every match of `q` is found and scored at once (whoosh_eval.py), then kept if it
        lies in the documents `allowed` matches (a set cached per searcher and
        restriction), so the hits and every facet count lie inside it. The total and the
        facets are exact up to COUNT_LIMIT matches; past that they are those of the first
        COUNT_LIMIT matches in index order (Results.exact False). The page is ranked over
        every match: by BM25F score, or by date."""
        bound = COUNT_LIMIT
        limit = (first or 0) + per_page
        deadline = time.monotonic() + self.search_timeout
        with self._reading() as searcher:
            cache = self._cache
            assert cache is not None
            try:
                if time.monotonic() >= deadline:
                    raise SearchTimeout
                scores = evaluate(searcher, q, deadline, cache.allowed(allowed))
            except SearchTimeout:
                log.warning("search stopped after %.1f s with no hits counted", self.search_timeout)
                return Results(total=0, keys=[], facets={name: [] for name in FACETS})
            total = len(scores)
            exact = total <= bound
            counted = scores.keys() if exact else sorted(scores)[:bound]
            facets = cache.facet_counts(counted)
            keys: list[str] = []
            if total and first is not None and first < total:
                if sort == "newest":
                    hits = cache.newest(scores.keys(), limit)[first:]
                else:
                    hits = top_scored(scores, limit)[first:]
                keys = [searcher.stored_fields(docnum)["key"] for docnum in hits]
        return Results(total=min(total, bound), keys=keys, facets=facets, exact=exact)
