"""Helpers of the Whoosh backend's searches: the bounded, unscored count of the matches
with their facet values, a collector with a deadline, and two fixes to Whoosh-Reloaded
2.7.5's block-quality skipping (applied on import)."""

from __future__ import annotations

import time
from typing import Any

from whoosh import collectors
from whoosh import query as wq
from whoosh.matching.binary import AndNotMatcher
from whoosh.matching.wrappers import RequireMatcher

from peixun.search.backends.base import COUNT_LIMIT, FACETS

__all__ = ["COUNT_LIMIT", "MAX_FACET_VALUES", "_Deadline", "_count"]

MAX_FACET_VALUES = 20


def _require_skip_to_quality(self: RequireMatcher, minquality: float) -> int:
    # Whoosh-Reloaded 2.7.5 calls IntersectionMatcher._find_next() here, which asserts that
    # the two sides are on different documents (they may well be on the same one).
    skipped = self.a.skip_to_quality(minquality)
    self.child._find_first()
    return skipped


def _and_not_skip_to_quality(self: AndNotMatcher, minquality: float) -> int:
    # The same, for a positive side that skipping has exhausted.
    skipped = self.a.skip_to_quality(minquality)
    if self.a.is_active():
        self._find_next()
    return skipped


# Block-quality skipping (the top N of a query with many matches) goes through these.
RequireMatcher.skip_to_quality = _require_skip_to_quality
AndNotMatcher.skip_to_quality = _and_not_skip_to_quality


class _Deadline(collectors.WrappingCollector):
    """Stops collecting after `seconds` and keeps what was collected. Checks the clock
    between hits (no SIGALRM: searches run in worker threads)."""

    def __init__(self, child: collectors.Collector, seconds: float) -> None:
        super().__init__(child)
        self.seconds = seconds

    def prepare(self, top_searcher: Any, q: wq.Query, context: Any) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.timed_out = False
        super().prepare(top_searcher, q, context)

    def collect_matches(self) -> None:
        for n, sub_docnum in enumerate(self.child.matches()):
            if self.timed_out or (n % 32 == 0 and time.monotonic() >= self.deadline):
                self.timed_out = True
                return
            self.collect(sub_docnum)


def _count(
    searcher: Any, q: wq.Query, bound: int, deadline: float
) -> tuple[int, bool, dict[str, list[tuple[str, int]]], bool]:
    """(matches up to `bound`, whether that is all of them, the facet counts over those
    matches, whether the deadline stopped the walk). Unscored, in index order."""
    counts: dict[str, dict[Any, int]] = {name: {} for name in FACETS}
    n, exact, timed_out = 0, True, False
    context = searcher.boolean_context()
    for leaf, _offset in searcher.leaf_searchers():
        reader = leaf.reader()
        columns = [(counts[name], reader.column_reader(name)) for name in FACETS if reader.has_column(name)]
        matcher = q.matcher(leaf, context)
        while matcher.is_active():
            if n >= bound:
                exact = False
                break
            if n % 32 == 0 and time.monotonic() >= deadline:
                timed_out = True
                break
            docnum = matcher.id()
            for found, column in columns:
                value = column[docnum]
                found[value] = found.get(value, 0) + 1
            n += 1
            matcher.next()
        if not exact or timed_out:
            break
    facets = {}
    for name in FACETS:
        values = [(str(v), c) for v, c in counts[name].items() if v not in (None, "", "0", b"")]
        values.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = values[:MAX_FACET_VALUES]
    return n, exact, facets, timed_out
