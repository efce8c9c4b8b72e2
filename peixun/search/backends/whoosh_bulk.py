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

import multiprocessing
import queue
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

__all__ = ["PARALLEL_MIN", "SEGMENT_DOCS", "SegmentBuilder", "build", "build_parallel", "build_segments"]

SEGMENT_DOCS = 12_500  # documents a segment (a worker's share); ~60 bytes a posting while built
PARALLEL_MIN = 5_000  # fewer documents are written in this process (no fork)
QUEUED_BATCHES = 100  # batches waiting for each worker (loading runs ahead of writing)


class SegmentBuilder(SegmentWriter):
    """One new segment, built in memory and written by _finalize_segment(). Never locks
    and never commits: the caller's writer puts the segment in the index."""

    def __init__(self, ix: Any) -> None:
        super().__init__(ix, _lk=False)
        self._postings: dict[tuple[str, bytes], tuple[list[int], list[float], list[bytes]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}

    def _post(self, fieldname: str, btext: bytes, docnum: int, weight: float, value: bytes) -> None:
        found = self._postings.get((fieldname, btext))
        if found is None:
            found = self._postings[(fieldname, btext)] = ([], [], [])
        found[0].append(docnum)
        found[1].append(weight)
        found[2].append(value)

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
                pairs = getattr(value, "pairs", None)
                if pairs is not None and isinstance(field.format, Positions):
                    boost, encode = field.format.field_boost, field.format.encode
                    grouped: dict[str, list[int]] = {}
                    for text, position in pairs:
                        found = grouped.get(text)
                        if found is None:
                            grouped[text] = [position]
                        else:
                            found.append(position)
                    postings = self._postings
                    for text, positions in grouped.items():
                        key = (fieldname, text.encode("utf-8"))
                        lists = postings.get(key)
                        if lists is None:
                            lists = postings[key] = ([], [], [])
                        lists[0].append(docnum)
                        lists[1].append(len(positions) * boost)
                        lists[2].append(encode(positions))
                        length += len(positions)
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
        current = None
        for fieldname, btext in sorted(self._postings):
            if fieldname != current:
                if current is not None:
                    writer.finish_field()
                writer.start_field(fieldname, schema[fieldname])
                current = fieldname
            ids, weights, values = self._postings.pop((fieldname, btext))
            self._write_term(btext, ids, weights, values, self._lengths.get(fieldname))
        if current is not None:
            writer.finish_field()
        writer.close()

    def _write_term(
        self, btext: bytes, ids: list[int], weights: list[float], values: list[bytes], lengths: Any
    ) -> None:
        """W3FieldWriter.add() for each posting, a block at a time."""
        writer = self.fieldwriter
        writer.start_term(btext)
        postings = writer._postwriter
        size = postings._blocklimit
        keep_values = postings._format.fixed_value_size() != 0
        for start in range(0, len(ids), size):
            if start:
                postings._write_block()  # the block before this one is full
            block = ids[start : start + size]
            postings._ids.extend(block)
            postings._weights.extend(weights[start : start + size])
            postings._maxweight = max(0, *postings._weights)
            if keep_values:
                postings._values = [v for v in values[start : start + size] if v]
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


def _work(ix: Any, to_fields: Callable[[Any], dict[str, Any]], jobs: Any, results: Any) -> None:
    """A worker process: one segment per chunk of batches it is given (a chunk ends with
    its number), then report the (chunk number, segment) pairs, or the error."""
    built: list[tuple[int, Any]] = []
    builder: SegmentBuilder | None = None
    try:
        for job in iter(jobs.get, None):
            if isinstance(job, int):  # the end of chunk number `job`
                if builder is not None:
                    built.append((job, builder.finish()))
                builder = None
                continue
            for doc in job:
                if builder is None:
                    builder = SegmentBuilder(ix)
                builder.add_document(**to_fields(doc))
        results.put(("ok", built))
    except BaseException as error:  # reported to the parent, which raises
        if builder is not None:
            builder.abandon()
        results.put(("error", repr(error)))


def _answers(processes: list[Any], results: Any) -> list[tuple[str, Any]]:
    answers: list[tuple[str, Any]] = []
    while len(answers) < len(processes):
        try:
            answers.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                answers.append(("error", "a worker process died"))
                break
    return answers


def build_parallel(
    ix: Any, batches: Iterable[list[Any]], to_fields: Callable[[Any], dict[str, Any]], workers: int
) -> list[Any]:
    """build_segments() over `workers` forked processes, each segmenting and writing its
    share of the batches while this process loads them. `to_fields` runs in the workers,
    in the app context the fork copied (load the segmenter before: the workers must not
    touch the database)."""
    context = multiprocessing.get_context("fork")
    jobs = [context.Queue(maxsize=QUEUED_BATCHES) for _ in range(workers)]
    results = context.Queue()
    processes = [context.Process(target=_work, args=(ix, to_fields, q, results), daemon=True) for q in jobs]
    for process in processes:
        process.start()
    try:
        chunk, size = 0, 0
        for batch in batches:  # chunk k (SEGMENT_DOCS documents, in order) → worker k % workers
            jobs[chunk % workers].put(batch)
            size += len(batch)
            if size >= SEGMENT_DOCS:
                jobs[chunk % workers].put(chunk)
                chunk, size = chunk + 1, 0
        if size:
            jobs[chunk % workers].put(chunk)
        for q in jobs:
            q.put(None)
        answers = _answers(processes, results)
    except BaseException:
        for process in processes:
            process.kill()
        raise
    finally:
        for process in processes:
            process.join(timeout=10)
    failed = [detail for status, detail in answers if status != "ok"]
    if failed:
        raise RuntimeError(f"a search index worker failed: {failed[0]}")
    # In chunk order, so document numbers follow the input's order as in one process.
    return [segment for _, segment in sorted(pair for _, pairs in answers for pair in pairs)]


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
