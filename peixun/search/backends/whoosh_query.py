"""How the Whoosh backend turns a ParsedQuery, a Scope and Filters into Whoosh queries
(never Whoosh's parser: no wildcards, no fuzzy), with capped clauses and alternatives."""

from __future__ import annotations

from whoosh import query as wq

from peixun.search.backends.base import FACETS, Clause, Filters, ParsedQuery, Scope

TEXT_FIELDS = ("title", "body")
MAX_CLAUSES = 32  # distinct clauses; the parser caps queries, this is the backend's own bound
MAX_PHRASE_TOKENS = 32
MAX_ALTERNATIVES = 8


def _either_field(words: list[str]) -> list[wq.Query]:
    return [wq.Term(field, word) for word in dict.fromkeys(words) for field in TEXT_FIELDS]


def clause_query(clause: Clause, *, negated: bool = False) -> wq.Query | None:
    tokens = [t for t in clause.tokens if t][:MAX_PHRASE_TOKENS]
    if clause.is_phrase and len(tokens) > 1:
        return wq.Or([wq.Phrase(field, tokens) for field in TEXT_FIELDS])
    if len(tokens) > 1:  # several tokens without quotes: each must occur somewhere
        return wq.And([wq.Or(_either_field([t])) for t in tokens])
    words = tokens if clause.is_phrase else tokens + [a for a in clause.alternatives if a][:MAX_ALTERNATIVES]
    parts = _either_field(words)
    if clause.pinyin and not clause.is_phrase and not negated:
        parts.append(wq.Term("pinyin", clause.pinyin.lower()))
    return wq.Or(parts) if parts else None


def build_query(parsed: ParsedQuery, *, match_any: bool = False) -> wq.Query | None:
    """AND (or OR) over the positive clauses, AndNot the negated ones; None when nothing
    positive is left (the caller returns no results)."""
    clauses = list(dict.fromkeys(parsed.clauses))[:MAX_CLAUSES]
    positive = [q for c in clauses if not c.is_negated and (q := clause_query(c)) is not None]
    if not positive:
        return None
    combined: wq.Query = wq.Or(positive) if match_any else wq.And(positive)
    negative = [q for c in clauses if c.is_negated and (q := clause_query(c, negated=True)) is not None]
    if negative:
        combined = wq.AndNot(combined, wq.Or(negative))
    return combined


def restriction(scope: Scope, filters: Filters) -> wq.Query | None:
    """What the searcher may read, narrowed by `within` and the chosen facet values."""
    parts: list[wq.Query] = []
    if not scope.is_admin:
        allowed: list[wq.Query] = [wq.Term("space_ids", str(i)) for i in sorted(scope.member_of)]
        allowed += [wq.Term("chain_ids", str(i)) for i in sorted(scope.role_spaces)]
        allowed.append(wq.Term("is_open", "1"))
        if scope.user_id is not None:
            allowed.append(wq.Term("author_id", str(scope.user_id)))
        parts.append(wq.Or(allowed))
    if scope.within is not None:
        parts.append(wq.Term("chain_ids", str(scope.within)))
    for name in FACETS:
        value = getattr(filters, name)
        if value:
            parts.append(wq.Term(name, str(value)))
    return wq.And(parts) if parts else None
