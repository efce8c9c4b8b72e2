"""Helpers of the Whoosh backend's searches, over the matches that whoosh_eval.py finds:
the per-searcher cache (facet and date columns decoded whole, permission sets), the facet
counts of the first COUNT_LIMIT matches, and the best-scored or newest page."""

from __future__ import annotations

import heapq
import sys
from array import array
from collections import Counter, OrderedDict
from collections.abc import Collection
from typing import Any

from whoosh import columns
from whoosh import query as wq

from peixun.search.backends.base import FACETS
from peixun.search.backends.whoosh_eval import allowed_docs

__all__ = ["MAX_FACET_VALUES", "SearcherCache", "top_scored"]

MAX_FACET_VALUES = 20
ALLOWED_SETS = 64  # restriction sets kept per searcher (~1 MB each at 100,000 documents)
_SWAP = sys.byteorder == "little"  # Whoosh writes columns big-endian


def _numbers(column: Any, typecode: str, count: int, default: int) -> array:
    """A FixedBytes/Numeric/RefBytes column's numbers for every document, in one read."""
    values = array(typecode)
    stored = min(getattr(column, "_count", count), count)
    values.frombytes(column._dbfile.get(column._basepos, stored * values.itemsize))
    if _SWAP and values.itemsize > 1:
        values.byteswap()
    values.extend([default] * (count - stored))
    return values


def _facet_column(reader: Any, name: str) -> tuple[array, list[Any]] | None:
    """(a value number per document, the values) of a facet field's RefBytes column."""
    if not reader.has_column(name):
        return None
    column = reader.column_reader(name, translate=False)
    field = reader.schema[name]
    if isinstance(column, columns.RefBytesColumn.Reader):
        values = [field.from_column_value(v) if v else "" for v in column._uniques]
        return _numbers(column, column._typecode, reader.doc_count_all(), 0), values
    # An index built before the facet columns were RefBytes: read document by document.
    raw: dict[Any, int] = {}
    numbers = array("I", [raw.setdefault(v, len(raw)) for v in column])
    return numbers, [field.from_column_value(v) if v else "" for v in raw]


class SearcherCache:
    """What a search needs beyond the postings, kept as long as the searcher is: each
    segment's facet columns and sortable dates, decoded whole on first use, and the
    document sets of recent restrictions (keyed by the restriction query). Dropped with
    the searcher, so an index change is seen at once."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.leaves = list(searcher.leaf_searchers())
        self._facets: dict[tuple[int, str], tuple[array, list[Any]] | None] = {}
        self._dates: list[array] | None = None
        self._allowed: OrderedDict[str, list[frozenset[int]]] = OrderedDict()

    def allowed(self, restriction: wq.Query | None) -> list[frozenset[int]] | None:
        if restriction is None:
            return None
        key = repr(restriction)
        found = self._allowed.get(key)
        if found is None:
            found = self._allowed[key] = allowed_docs(self.searcher, restriction)
            if len(self._allowed) > ALLOWED_SETS:
                self._allowed.popitem(last=False)
        else:
            self._allowed.move_to_end(key)
        return found

    def facet(self, leaf: int, name: str) -> tuple[array, list[Any]] | None:
        key = (leaf, name)
        if key not in self._facets:
            self._facets[key] = _facet_column(self.leaves[leaf][0].reader(), name)
        return self._facets[key]

    def dates(self) -> list[array]:
        """Per segment, each document's `created_at` as Whoosh sorts it."""
        if self._dates is None:
            self._dates = []
            for leaf, _offset in self.leaves:
                reader = leaf.reader()
                count = reader.doc_count_all()
                if reader.has_column("created_at"):
                    column = reader.column_reader("created_at", translate=False)
                    self._dates.append(_numbers(column, column._typecode, count, column._default))
                else:
                    self._dates.append(array("q", bytes(8 * count)))
        return self._dates

    def warm(self) -> None:
        self.dates()
        for leaf in range(len(self.leaves)):
            for name in FACETS:
                self.facet(leaf, name)

    def facet_counts(self, docnums: Collection[int]) -> dict[str, list[tuple[str, int]]]:
        """Facet values of the given global document numbers, most frequent first."""
        counts: dict[str, Counter[Any]] = {name: Counter() for name in FACETS}
        by_leaf = self._split(docnums)
        for leaf, local in enumerate(by_leaf):
            if not local:
                continue
            for name in FACETS:
                column = self.facet(leaf, name)
                if column is not None:
                    numbers, values = column
                    for number, n in Counter([numbers[d] for d in local]).items():
                        counts[name][values[number]] += n
        facets = {}
        for name in FACETS:
            found = [(str(v), c) for v, c in counts[name].items() if v not in (None, "", "0", b"")]
            found.sort(key=lambda item: (-item[1], item[0]))
            facets[name] = found[:MAX_FACET_VALUES]
        return facets

    def _split(self, docnums: Collection[int]) -> list[list[int]]:
        """Global document numbers → local ones, per segment."""
        if len(self.leaves) == 1:
            return [list(docnums)]
        by_leaf: list[list[int]] = [[] for _ in self.leaves]
        offsets = [offset for _, offset in self.leaves]
        for docnum in docnums:
            leaf = len(offsets) - 1
            while offsets[leaf] > docnum:
                leaf -= 1
            by_leaf[leaf].append(docnum - offsets[leaf])
        return by_leaf

    def newest(self, docnums: Collection[int], limit: int) -> list[int]:
        """The `limit` latest of the global document numbers (then the lower number)."""
        dates = self.dates()
        offsets = [offset for _, offset in self.leaves]
        keyed = []
        for leaf, local in enumerate(self._split(docnums)):
            column, offset = dates[leaf], offsets[leaf]
            keyed.extend((-column[d], d + offset) for d in local)
        return [docnum for _, docnum in heapq.nsmallest(limit, keyed)]


def top_scored(scores: dict[int, float], limit: int) -> list[int]:
    """The `limit` best documents: highest score first, then the lower document number
    (Whoosh's TopCollector order)."""
    if len(scores) > 4 * limit:
        threshold = heapq.nlargest(limit, scores.values())[-1]
        scores = {d: s for d, s in scores.items() if s >= threshold}
    return sorted(scores, key=lambda d: (-scores[d], d))[:limit]
