"""Highlighted snippets cut from the database's text (the index stores no bodies)."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

WIDTH = 120  # characters shown around the first match
MAX_TERMS = 30


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)[:MAX_TERMS]
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def _marked(piece: str, pattern: re.Pattern[str] | None) -> Markup:
    """Escape `piece`, wrapping every match in <mark>."""
    result, last = Markup(""), 0
    if pattern is not None:
        for match in pattern.finditer(piece):
            result += escape(piece[last : match.start()]) + Markup("<mark>%s</mark>") % match.group()
            last = match.end()
    return result + escape(piece[last:])


def snippet(text: str, terms: list[str], width: int = WIDTH) -> Markup:
    """About `width` characters of `text` around its first match, every match marked.
    Escaped here: the result is safe to put in a page as it is."""
    text = " ".join((text or "").split())
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0 if first is None else max(0, first.start() - width // 3)
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return escape(prefix) + _marked(piece, pattern) + escape(suffix)


def mark_title(title: str, terms: list[str]) -> Markup:
    return _marked(title, _pattern(terms))
