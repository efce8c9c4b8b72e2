"""A compact positions format for the Whoosh backend's text fields.

Whoosh's `Positions` stores each posting's positions as a 4-byte count followed by the
pickled list of deltas (about 11 bytes a posting after compression, 60 % of a 100,000-
document index; issue 5). Here they are plain varint deltas: one byte for most postings
(a word once in a document, early on). Frequency and weight are the number of positions
(times the field boost), as with Positions, and phrase queries read the same positions.
"""

from __future__ import annotations

from whoosh.formats import Positions

__all__ = ["CompactPositions", "encode_positions"]

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
