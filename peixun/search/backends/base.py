"""The interface every search backend implements, and the values that cross it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from peixun.core.indexing import Document

__all__ = [
    "COUNT_LIMIT",
    "FACETS",
    "Backend",
    "Clause",
    "Document",
    "Filters",
    "ParsedQuery",
    "Results",
    "Scope",
]

# Facets offered on the search page, in display order.
FACETS = ("kind", "level", "space_id", "subject", "stage", "resource_type", "year")

# Totals and facet counts are exact up to this many matches. A query that matches more is
# counted over its first COUNT_LIMIT matches only (Results.exact is False: the page says
# "1000+"), so a common word costs what a rarer one does (issue 5).
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Scope:
    """What the searcher may read, as index terms: no result, snippet or facet count may
    come from outside it. `within` narrows to one space and everything below it."""

    member_of: frozenset[int] = frozenset()  # spaces she takes part in (policy Actor.member_of)
    role_spaces: frozenset[int] = frozenset()  # spaces where she holds a role (reaches below)
    user_id: int | None = None
    is_admin: bool = False
    within: int | None = None  # a space id: only documents whose chain_ids contain it


@dataclass(frozen=True)
class Clause:
    """One part of a parsed query: a word (with its alternatives) or a quoted phrase."""

    tokens: tuple[str, ...]  # a term: one token; a phrase: its tokens in order
    alternatives: tuple[str, ...] = ()  # synonyms of a single term (教案 → 教学设计)
    pinyin: str = ""  # a Latin-only term that may also be pinyin or initials ("zl", "klyj")
    is_phrase: bool = False
    is_negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    dropped: tuple[str, ...] = ()  # what the parser ignored (lone operators, wildcards, excess)

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.is_negated)


@dataclass(frozen=True)
class Filters:
    """Facet values the searcher chose (empty: any)."""

    kind: str = ""
    level: str = ""
    space_id: int = 0
    subject: str = ""
    stage: str = ""
    resource_type: str = ""
    year: int = 0


@dataclass
class Results:
    total: int  # exact, or COUNT_LIMIT when more match (exact is False)
    keys: list[str]  # this page, best first (or newest first when sorted by date)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # False: more than COUNT_LIMIT documents match; `total` is COUNT_LIMIT and the facet
    # counts are those of COUNT_LIMIT of the matches (each a lower bound).
    exact: bool = True


class Backend(Protocol):
    name: str

    def index(self, documents: list[Document]) -> None:
        """Add or replace documents (by key)."""

    def delete(self, keys: list[str]) -> None: ...

    def clear(self) -> None:
        """Remove every document (before a rebuild)."""

    def count(self) -> int: ...

    def warm(self) -> None:
        """Open files and connections before the first search (first-query latency)."""

    def search(
        self,
        query: ParsedQuery,
        scope: Scope,
        filters: Filters,
        *,
        sort: str = "relevance",  # or "newest"
        page: int = 1,
        per_page: int = 10,
        match_any: bool = False,  # OR instead of AND over positive clauses (the fallback)
    ) -> Results: ...
