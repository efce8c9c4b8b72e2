"""A full rebuild of the Whoosh index without Whoosh's per-posting machinery.

Whoosh's SegmentWriter sends every posting through a sorting pool (tuples, marshal runs
on disk, a heap merge), then re-reads each document's field length from disk for every
posting and adds postings one call at a time; the rebuild's commits then merge segments
again and again. At 100,000 documents that ran at 81 documents/s (issue 5).

Here a rebuild keeps each term's postings in memory (docnums, weights, encoded positions),
writes them block by block through Whoosh's own codec (the same files and format a
SegmentWriter writes), and starts a new segment every SEGMENT_DOCS documents instead of
merging. The new segments replace the old ones in one commit, under the index lock held
for the whole rebuild: searchers see the old index until then, and other writers wait
(their outbox rows are applied by the next sync).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

from whoosh.codec.whoosh3 import W3Codec
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from peixun.search.backends.whoosh_format import PositionsOnly, WeightedTerms, encode_positions
from peixun.search.backends.workers import run

__all__ = ["PARALLEL_MIN", "SEGMENT_DOCS", "SegmentBuilder", "build", "build_parallel", "build_segments"]

SEGMENT_DOCS = 12_500  # documents a segment (a worker's share); ~60 bytes a posting while built
CODEC = W3Codec(blocklimit=1024, compression=6)  # larger blocks compress better, read faster
PARALLEL_MIN = 5_000  # fewer documents are written in this process (no fork)
QUEUED_BATCHES = 100  # batches waiting for each worker (loading runs ahead of writing)


class SegmentBuilder(SegmentWriter):
    """One new segment, built in memory and written by _finalize_segment(). Never locks
    and never commits: the caller's writer puts the segment in the index."""

    def __init__(self, ix: Any) -> None:
        super().__init__(ix, _lk=False, codec=CODEC)
        # field → term → (docnums, weights, values); weights None: all 1, values None: none
        self._terms: dict[str, dict[bytes, tuple[list[int], list[float] | None, list[bytes] | None]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}

    def _post(self, fieldname: str, btext: bytes, docnum: int, weight: float, value: bytes) -> None:
        terms = self._terms.setdefault(fieldname, {})
        found = terms.get(btext)
        if found is None:
            found = terms[btext] = ([], [], [])
        found[0].append(docnum)
        found[1].append(weight)  # type: ignore[union-attr]
        found[2].append(value)  # type: ignore[union-attr]

    def _post_text(self, fieldname: str, value: Any, fmt: Any) -> int:
        """The postings of a segmented text (whoosh_format.py); returns its length."""
        grouped = getattr(value, "grouped", None)
        if grouped is None:  # once per text: its positions field reuses it
            by_text: dict[str, list[int]] = {}
            for text, position in value.pairs:
                found = by_text.get(text)
                if found is None:
                    by_text[text] = [position]
                else:
                    found.append(position)
            grouped = value.grouped = {text.encode("utf-8"): found for text, found in by_text.items()}
        terms = self._terms.setdefault(fieldname, {})
        docnum, length = self.docnum, 0
        if isinstance(fmt, WeightedTerms):
            boost = fmt.field_boost
            for btext, positions in grouped.items():
                entry = terms.get(btext)
                if entry is None:
                    entry = terms[btext] = ([], [], None)
                entry[0].append(docnum)
                entry[1].append(len(positions) * boost)  # type: ignore[union-attr]
                length += len(positions)
        else:  # PositionsOnly
            for btext, positions in grouped.items():
                entry = terms.get(btext)
                if entry is None:
                    entry = terms[btext] = ([], None, [])
                entry[0].append(docnum)
                entry[2].append(encode_positions(positions))  # type: ignore[union-attr]
                length += len(positions)
        return length

    def add_document(self, **fields: Any) -> None:
        """As SegmentWriter.add_document (no document boosts, vectors or spelling
        fields: the schema has none), with segmented text taken from its pairs."""
        docnum, schema, perdoc = self.docnum, self.schema, self.perdocwriter
        perdoc.start_doc(docnum)
        for fieldname in sorted(name for name in fields if not name.startswith("_")):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                if hasattr(value, "pairs") and isinstance(field.format, (WeightedTerms, PositionsOnly)):
                    length = self._post_text(fieldname, value, field.format)
                else:
                    for btext, freq, weight, vbytes in field.index(value):
                        self._post(fieldname, btext, docnum, weight, vbytes)
                        length += freq
                if field.scorable:
                    # What the per-document reader gives back: the length as one byte.
                    self._lengths.setdefault(fieldname, {})[docnum] = byte_to_length(length_to_byte(length))
                else:
                    length = 0
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer, schema = self.fieldwriter, self.schema
        for fieldname in sorted(self._terms):
            terms = self._terms.pop(fieldname)
            writer.start_field(fieldname, schema[fieldname])
            lengths = self._lengths.get(fieldname)
            for btext in sorted(terms):
                self._write_term(btext, *terms.pop(btext), lengths)
            writer.finish_field()
        writer.close()

    def _write_term(
        self,
        btext: bytes,
        ids: list[int],
        weights: list[float] | None,
        values: list[bytes] | None,
        lengths: Any,
    ) -> None:
        """W3FieldWriter.add() for each posting, a block at a time."""
        writer = self.fieldwriter
        writer.start_term(btext)
        postings = writer._postwriter
        size = postings._blocklimit
        keep_values = values is not None and postings._format.fixed_value_size() != 0
        for start in range(0, len(ids), size):
            if start:
                postings._write_block()  # the block before this one is full
            block = ids[start : start + size]
            postings._ids.extend(block)
            if weights is None:
                postings._weights.extend([1.0] * len(block))
                postings._maxweight = 1.0
            else:
                postings._weights.extend(weights[start : start + size])
                postings._maxweight = max(0, *postings._weights)
            if keep_values:
                postings._values = [v for v in values[start : start + size] if v]  # type: ignore[index]
            if lengths is not None:
                found = [lengths[d] for d in block]
                postings._minlength, postings._maxlength = min(found) or None, max(found)
        writer.finish_term()

    def finish(self) -> Any:
        """Write the segment's files and return the segment (not yet in the index)."""
        segment = self._finalize_segment()
        self.is_closed = True  # the temp folder is shared: the committing writer removes it
        return segment

    def abandon(self) -> None:
        if not self.is_closed:
            self._close_segment()
            self.is_closed = True


def build_segments(ix: Any, documents: Iterable[dict[str, Any]]) -> list[Any]:
    """Segments holding `documents` (field dicts), SEGMENT_DOCS documents each."""
    segments: list[Any] = []
    builder: SegmentBuilder | None = None
    try:
        for fields in documents:
            if builder is None:
                builder = SegmentBuilder(ix)
            builder.add_document(**fields)
            if builder.doc_count() >= SEGMENT_DOCS:
                segments.append(builder.finish())
                builder = None
        if builder is not None:
            segments.append(builder.finish())
            builder = None
    finally:
        if builder is not None:
            builder.abandon()
    return segments


def build_parallel(
    ix: Any, batches: Iterable[list[Any]], to_fields: Callable[[Any], dict[str, Any]], workers: int
) -> list[Any]:
    """build_segments() over `workers` forked processes (workers.py), each segmenting and
    writing its chunks while this process loads them: chunk k (SEGMENT_DOCS documents, in
    order) goes to worker k % workers and becomes one segment."""
    builder: SegmentBuilder | None = None

    def work(job: tuple[int, Any]) -> tuple[int, Any] | None:  # runs in a worker
        nonlocal builder
        _worker, payload = job
        if isinstance(payload, int):  # the end of chunk number `payload`
            done, builder = builder, None
            return (payload, done.finish()) if done is not None else None
        for doc in payload:
            if builder is None:
                builder = SegmentBuilder(ix)
            builder.add_document(**to_fields(doc))
        return None

    def jobs() -> Iterator[tuple[int, Any]]:
        chunk, size = 0, 0
        for batch in batches:
            yield chunk % workers, batch
            size += len(batch)
            if size >= SEGMENT_DOCS:
                yield chunk % workers, chunk
                chunk, size = chunk + 1, 0
        if size:
            yield chunk % workers, chunk

    answers = run(jobs(), work, workers, route=lambda _n, job: job[0], queued=QUEUED_BATCHES)
    # In chunk order, so document numbers follow the input's order as in one process.
    return [segment for _, segment in sorted(answer for answer in answers if answer is not None)]


def build(
    ix: Any, batches: Iterable[list[Any]], to_fields: Callable[[Any], dict[str, Any]], workers: int
) -> list[Any]:
    """The segments of every document in `batches`: in this process for fewer than
    PARALLEL_MIN documents (or one worker), else in `workers` processes."""
    batches = iter(batches)
    head: list[list[Any]] = []
    seen = 0
    for batch in batches:
        head.append(batch)
        seen += len(batch)
        if seen >= PARALLEL_MIN:
            break
    everything = chain(head, batches)
    if workers > 1 and seen >= PARALLEL_MIN:
        return build_parallel(ix, everything, to_fields, workers)
    return build_segments(ix, (to_fields(doc) for batch in everything for doc in batch))
