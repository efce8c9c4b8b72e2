"""Set-at-a-time evaluation of the Whoosh backend's queries.

Whoosh's matchers walk the postings one document at a time through a tree of Python
objects (is_active / id / skip_to / score per node and document): at 100,000 documents a
common word cost 0.3–0.9 s, most of it in that walk and in intersecting the query with
the permission terms (issue 5). Here each term's posting blocks are decoded whole (zlib +
unpickle, in C), every posting is scored with Whoosh's own BM25F formula and statistics
in one comprehension, and the query tree is combined with dict and set operations:

- Term: {docnum: BM25F score} (a field that is not scorable: the posting weight);
- Or: the sum over the children that match; And: the documents every child matches,
  their scores summed; AndNot: the positive side minus the negative side's documents;
  Require: the first side's scores over the documents both sides match;
- Phrase (needs positions): Whoosh's own matcher, document by document.

The scores are the ones Whoosh's matchers give (the same formula, statistics and posting
weights), so the ranking is Whoosh's BM25F, exact, over every match. Deleted documents
are left out as Whoosh's readers do. The permission restriction is not a query here: it is
a set of document numbers (`allowed_docs`), cached by the backend per searcher and scope.
"""

from __future__ import annotations

import time
import zlib
from itertools import accumulate
from pickle import loads
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.scoring import BM25FScorer
from whoosh.util.numeric import byte_to_length

__all__ = ["SearchTimeout", "allowed_docs", "evaluate"]

_LENGTHS = [byte_to_length(b) for b in range(256)]


class SearchTimeout(Exception):
    """The deadline passed between two terms; nothing of this search is kept."""


class _Leaf:
    """One segment: its searcher, reader, first global document number, deleted
    documents, and field lengths decoded once (a bytes object per field)."""

    def __init__(
        self, searcher: Any, offset: int, context: Any, deadline: float, allowed: frozenset[int] | None
    ) -> None:
        self.searcher = searcher
        self.allowed = allowed  # local docnums the caller keeps (None: all)
        self.reader = searcher.reader()
        self.offset = offset
        self.context = context
        self.deadline = deadline
        self.deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else frozenset()
        self._lengths: dict[str, bytes] = {}

    def lengths(self, fieldname: str) -> bytes:
        found = self._lengths.get(fieldname)
        if found is None:
            found = self._lengths[fieldname] = _length_bytes(self.reader, fieldname)
        return found

    def check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise SearchTimeout


def _length_bytes(reader: Any, fieldname: str) -> bytes:
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc is not None else None
    if column is None:
        return bytes(count)
    raw = column._dbfile.get(column._basepos, column._count) if column._count else b""
    return raw + bytes(max(0, count - len(raw)))


def _postings(leaf: _Leaf, fieldname: str, btext: bytes) -> tuple[list[int], Any]:
    """All (docnums, weights) of a term in one segment, deleted documents included."""
    matcher = leaf.reader._terms.matcher(fieldname, btext, leaf.reader.schema[fieldname].format)
    if not isinstance(matcher, W3LeafMatcher):  # an inlined posting list
        ids = list(matcher.all_ids())
        matcher.reset()
        weights = []
        while matcher.is_active():
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    ids: list[int] = []
    weights: list[float] = []
    while True:
        datalen = matcher._nextoffset - matcher._dataoffset
        data = matcher._postfile.get(matcher._dataoffset, datalen)
        raw = zlib.decompress(data) if matcher._compression else data
        block_ids, block_weights, _values = loads(raw)  # noqa: S301 - our own index files, as Whoosh reads them
        ids.extend(accumulate(block_ids))  # the ids are delta-encoded
        count = matcher._blocklength
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if matcher._lastblock:
            return ids, weights
        matcher._goto(matcher._nextoffset)


def _term(leaf: _Leaf, q: wq.Term) -> dict[int, float]:
    fieldname = q.fieldname
    schema = leaf.reader.schema
    if fieldname not in schema:
        return {}
    try:
        btext = schema[fieldname].to_bytes(q.text)
    except ValueError:
        return {}
    if (fieldname, btext) not in leaf.reader:
        return {}
    leaf.check()
    ids, weights = _postings(leaf, fieldname, btext)
    if leaf.allowed is not None:  # what the caller drops need not be scored
        allowed = leaf.allowed
        kept = [(d, w) for d, w in zip(ids, weights, strict=True) if d in allowed]
        ids, weights = [d for d, _ in kept], [w for _, w in kept]
    scorer = leaf.context.weighting.scorer(leaf.searcher, fieldname, btext)
    boost = q.boost
    if isinstance(scorer, BM25FScorer):
        idf, k1, b = scorer.idf, scorer.K1, scorer.B
        top = idf * (k1 + 1)
        base = k1 * (1 - b)
        per = k1 * b / scorer.avgfl
        table = [base + per * length for length in _LENGTHS]
        lengths = leaf.lengths(fieldname)
        # bm25(): idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))
        scores = [top * w / (w + table[lengths[d]]) for d, w in zip(ids, weights, strict=True)]
    else:  # not scorable: Whoosh's WeightScorer gives the weight
        scores = [float(w) for w in weights]
    if boost != 1.0:
        scores = [s * boost for s in scores]
    found = dict(zip(ids, scores, strict=True))
    for docnum in leaf.deleted & found.keys():
        del found[docnum]
    return found


def _add(total: dict[int, float], other: dict[int, float]) -> dict[int, float]:
    if len(other) > len(total):
        total, other = other, total
    total = dict(total)
    get = total.get
    for docnum, score in other.items():
        total[docnum] = get(docnum, 0.0) + score
    return total


def _matcher_scores(leaf: _Leaf, q: wq.Query) -> dict[int, float]:
    leaf.check()
    matcher = q.matcher(leaf.searcher, leaf.context)
    found: dict[int, float] = {}
    while matcher.is_active():
        found[matcher.id()] = matcher.score()
        matcher.next()
    return found


def _evaluate(leaf: _Leaf, q: wq.Query) -> dict[int, float]:
    if isinstance(q, wq.Term):
        return _term(leaf, q)
    if isinstance(q, wq.AndNot):
        positive = _evaluate(leaf, q.a)
        if positive:
            for docnum in positive.keys() & _evaluate(leaf, q.b).keys():
                del positive[docnum]
        return positive
    if isinstance(q, wq.Require):
        wanted = _evaluate(leaf, q.a)
        if not wanted:
            return wanted
        return {d: wanted[d] for d in wanted.keys() & _evaluate(leaf, q.b).keys()}
    if isinstance(q, wq.And):
        parts = []
        for child in q.subqueries:
            part = _evaluate(leaf, child)
            if not part:
                return {}
            parts.append(part)
        if len(parts) == 1:
            return parts[0]
        parts.sort(key=len)
        common = parts[0].keys() & parts[1].keys()
        if len(parts) == 2:
            first, second = parts
            return {d: first[d] + second[d] for d in common}
        common.intersection_update(*parts[2:])
        return {d: sum(part[d] for part in parts) for d in common}
    if isinstance(q, wq.Or):
        total: dict[int, float] = {}
        for child in q.subqueries:
            total = _add(total, _evaluate(leaf, child))
        return total
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return {}
    if isinstance(q, wq.Phrase) and f"{q.fieldname}_pos" in leaf.reader.schema:
        # Which documents hold the phrase: the positions field (Whoosh's matcher); their
        # score: the phrase's words, as Whoosh scores a phrase (the sum of its terms').
        where = _matcher_scores(leaf, wq.Phrase(f"{q.fieldname}_pos", q.words)).keys()
        if not where:
            return {}
        words = _evaluate(leaf, wq.And([wq.Term(q.fieldname, word) for word in q.words]))
        return {d: words[d] for d in where & words.keys()}
    return _matcher_scores(leaf, q)  # Phrase and anything else: Whoosh's own matcher


def evaluate(
    searcher: Any, q: wq.Query, deadline: float, allowed: list[frozenset[int]] | None = None
) -> dict[int, float]:
    """{global docnum: score} of every document matching `q` (and, with `allowed`, one
    set of local document numbers per segment, lying in it). Raises SearchTimeout when
    the deadline passes."""
    context = searcher.context()
    found: dict[int, float] = {}
    for index, (sub, offset) in enumerate(searcher.leaf_searchers()):
        scores = _evaluate(_Leaf(sub, offset, context, deadline, allowed[index] if allowed else None), q)
        if offset:
            scores = {d + offset: s for d, s in scores.items()}
        found.update(scores)
    return found


def allowed_docs(searcher: Any, q: wq.Query) -> list[frozenset[int]]:
    """The local document numbers matching `q`, one set per segment (a permission or
    filter restriction)."""
    context = searcher.context()
    return [
        frozenset(_evaluate(_Leaf(sub, offset, context, float("inf"), None), q))
        for sub, offset in searcher.leaf_searchers()
    ]
