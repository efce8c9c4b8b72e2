"""Chinese segmentation for indexing and queries (first cut: jieba precise mode).

API (kept stable for the backends):
- index_tokens(text) -> [(token, position)]: sub-words of a compound share its position,
  so a phrase query over precise tokens still matches.
- pinyin_keys(text) -> [str]: full pinyin and initials of the Han words (titles, names).
- parse_query(raw) -> ParsedQuery.
- highlight_terms(query) -> [str]: the surface strings to mark in snippets.
"""

from __future__ import annotations

import jieba

from peixun.search.backends.base import Clause, ParsedQuery

MAX_QUERY_CHARS = 200


def index_tokens(text: str) -> list[tuple[str, int]]:
    return [(token.lower(), i) for i, token in enumerate(t for t in jieba.lcut(text) if t.strip())]


def pinyin_keys(text: str) -> list[str]:
    return []


def parse_query(raw: str) -> ParsedQuery:
    tokens = [t.lower() for t in jieba.lcut(raw[:MAX_QUERY_CHARS]) if t.strip() and t.strip('"-*')]
    return ParsedQuery(tuple(Clause((t,)) for t in tokens))


def highlight_terms(query: ParsedQuery) -> list[str]:
    return [token for clause in query.positive for token in clause.tokens]
