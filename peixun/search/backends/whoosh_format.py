"""The posting formats of the Whoosh backend's text fields.

Each text is indexed twice, from one segmentation: `title`/`body` with `WeightedTerms`
(the term frequency times the field boost as the posting weight, no value: what BM25F
reads) and `title_pos`/`body_pos` with `PositionsOnly` (the positions, weight 1, not
scored: what phrase queries read). With positions in the scored postings, decoding a
block (unpickling one bytes object a posting) cost 15 times what its docnums and weights
cost, and a search of a common word decodes every block of it (issue 5).

Positions are varint deltas (one byte for most postings) instead of Whoosh's 4-byte count
and pickled list of deltas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.formats import Format, Positions, tokens

__all__ = ["CompactPositions", "PositionsOnly", "WeightedTerms", "encode_positions"]

_ONE: dict[int, bytes] = {}  # most postings hold one position: encode each value once


def encode_positions(positions: list[int]) -> bytes:
    """Ascending positions → the varints (7 bits a byte, high bit: more follows) of their
    deltas from 0."""
    if len(positions) == 1:
        found = _ONE.get(positions[0])
        if found is None:
            found = _ONE[positions[0]] = _varints(positions)
        return found
    return _varints(positions)


def _varints(positions: list[int]) -> bytes:
    out = bytearray()
    base = 0
    for position in positions:
        delta, base = position - base, position
        while delta >= 0x80:
            out.append((delta & 0x7F) | 0x80)
            delta >>= 7
        out.append(delta)
    return bytes(out)


class CompactPositions(Positions):
    """Positions, stored as varint deltas."""

    def encode(self, poslist: list[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions: list[int] = []
        base = delta = shift = 0
        for byte in valuestring:
            delta |= (byte & 0x7F) << shift
            if byte & 0x80:
                shift += 7
                continue
            base += delta
            positions.append(base)
            delta = shift = 0
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return sum(1 for byte in valuestring if not byte & 0x80)

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(position, 1) for position in self.decode_positions(valuestring)]


def _positions(value: Any, analyzer: Any, kwargs: dict[str, Any]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    kwargs["positions"] = True
    for token in tokens(value, analyzer, kwargs):
        grouped.setdefault(token.text, []).append(token.pos)
    return grouped


class WeightedTerms(Format):
    """Scored postings: weight = term frequency × field boost, no value."""

    posting_size = 0

    def posting(self, positions: list[int]) -> tuple[float, bytes]:
        return len(positions) * self.field_boost, b""

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        for text, positions in _positions(value, analyzer, kwargs).items():
            yield (text, len(positions), *self.posting(positions))

    def decode_weight(self, valuestring: bytes) -> float:
        return self.field_boost


class PositionsOnly(CompactPositions):
    """Positions for phrase queries: weight 1 (so blocks store no weights), not scored."""

    def posting(self, positions: list[int]) -> tuple[float, bytes]:
        return 1.0, encode_positions(positions)

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        for text, positions in _positions(value, analyzer, kwargs).items():
            yield (text, len(positions), *self.posting(positions))

    def decode_weight(self, valuestring: bytes) -> float:
        return 1.0
