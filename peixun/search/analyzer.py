"""Chinese-aware analysis shared by indexing and queries: the same segmenter on both sides.

API (stable for the backends):
- segment(text) -> [str]: precise tokens in order (Han words by rjieba, Latin runs lowercased).
- index_tokens(text) -> [(token, position)]: each precise token at its position; for a Han
  token longer than 2 characters also its 2-, 3- (and for 5+ characters 4-) character
  dictionary sub-words at the SAME position (资源 inside 生成性资源), and the canonical word
  of a synonym group at the same position whenever any member appears (教学设计 → also 教案).
- pinyin_keys(text) -> [str]: full pinyin and initials of each Han word (张丽 → zhangli, zl),
  and of the whole text when it has at most 8 Han characters (a title or a name).
- parse_query(raw) -> ParsedQuery: forgiving, never raises.
- highlight_terms(query) -> [str]: surface strings to mark in snippets, longest first.
- dictionary_version() -> str: changes when the tokens would (see dictionary.py).

Text is NFKC-folded (full-width Latin and digits become ASCII), zero-width and bidi
marks are removed, then split into runs: Han runs go to rjieba (jieba's precise mode, HMM on, so
unknown names such as 张丽 stay one word); Latin runs (letters and digits, lowercased)
split on everything else, except that dotted numbers stay whole ("2.0", "3.14"), so
"信息技术2.0与PPT制作" → 信息技术 / 2.0 / 与 / ppt / 制作. Punctuation, whitespace, emoji
and control characters are dropped and take no position.

Synonyms: a dictionary line `教案 = 教学设计` makes its first word canonical. The index
carries the canonical word beside every member, and a query clause lists the other
members as `alternatives`, so matching the token OR its alternatives finds them all.
Queries: NFKC, at most 200 characters (the rest is listed in `dropped`); "quoted text"
(also “…” and 「…」) is a phrase of precise tokens, a quoted single word is that exact word
(no alternatives), an unbalanced last quote is ignored; `-word` excludes (a `-` chunk of
several tokens excludes them as a phrase); OR/AND/NOT, lone operators and wildcards
(`*`, `?`, always dropped: there is no prefix search) are listed in `dropped`; stop words
(STOP_WORDS) are dropped and listed unless nothing else is left; at most 12 positive
(and 12 negated) clauses. A clause of ASCII letters (2+) carries `pinyin` = itself.
Pinyin comes from pypinyin's most likely reading: polyphonic characters may be read wrong.

The segmenter follows the stored dictionary: read once per app context (a request, a CLI
command); OUTSIDE an app context (a bare thread, a subprocess) the DEFAULT dictionary is
used, so index and search inside an app context to honour an admin's edits.

Measured (2 cores, CPU time, best of 3, 1.0 M characters: seed sentences recombined into
560-character documents; default dictionary). With rjieba 0.2.2, 2026-12-04:

| what                                                 | figure                          |
|------------------------------------------------------|---------------------------------|
| build the tokenizer + dictionary (`_build`)          | 0.08 s, ~26 MB a tokenizer      |
| rjieba alone (Jieba.cut of the Han runs)             | 3.84 M chars/s                  |
| segment()                                            | 2.00 M chars/s (≈ 3,600 docs/s) |
| index_tokens() (sub-words and synonyms added)        | 1.76 M chars/s (≈ 3,100 docs/s) |
| pinyin_keys() of 20-character titles (pinyin cached) | 45,000 /s                       |
| parse_query() of 40 characters                       | 0.12 ms                         |

Before, with jieba 0.42.1 (its model cached in a temp folder): load 0.57–0.65 s and ~70 MB
a tokenizer (0.70–0.84 s on a machine's first run); jieba alone 0.41–0.43 M chars/s;
segment() and index_tokens() 0.40 M chars/s (≈ 720 docs/s); parse_query() 0.3 ms. rjieba
gave exactly jieba's tokens with this dictionary on the 162,930 Han runs of bench/search.py's
corpus (bench/README.md), and its has_word() agreed with jieba's FREQ on 400,000 entries.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from peixun.search.backends.base import Clause, ParsedQuery
from peixun.search.dictionary import HAN, Segmenter, current_segmenter
from peixun.search.dictionary import dictionary_version as dictionary_version

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
PINYIN_WHOLE_MAX = 8
EXPANSION_CACHE = 200_000  # distinct tokens remembered per segmenter
_STOP_TEXT = (
    "的 地 得 了 着 过 和 与 及 或 是 在 等 之 也 都 而 并 把 被 吗 呢 吧 啊 呀 哦 "
    "a an the of and or to in on at by for with from as is are was were be it this that"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
OPERATORS = frozenset({"OR", "AND", "NOT", "||", "&&"})

_RUNS = re.compile(rf"(?P<han>[{HAN}]+)|\d+(?:\.\d+)+|(?:(?![{HAN}])[^\W_])+")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_QUOTES = str.maketrans(dict.fromkeys("“”„‟「」『』«»", '"'))
_PHRASE = re.compile(r'((?<!\S)-)?"([^"]*)"')
_WILDCARDS = re.compile(r"[*?]+")
_ASCII_LETTERS = re.compile("[a-z]{2,}")
_PINYIN = re.compile("[a-z]+")
_HAN_CHAR = re.compile(f"[{HAN}]")

log = logging.getLogger(__name__)


def fold(text: str) -> str:
    """NFKC (full-width → ASCII), without invisible format marks."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text or ""))


def _precise(seg: Segmenter, text: str) -> Iterator[str]:
    """Precise tokens of already folded text."""
    cut = seg.tokenizer.cut
    for match in _RUNS.finditer(text):
        if match.group("han"):
            yield from cut(match.group())
        else:
            yield match.group().lower()


def segment(text: str) -> list[str]:
    """Precise tokens in order: what a query is made of."""
    return list(_precise(current_segmenter(), fold(text)))


def _is_han(token: str) -> bool:
    return bool(_HAN_CHAR.match(token))


def _expansion(seg: Segmenter, token: str) -> tuple[str, ...]:
    """What index_tokens adds at a token's position: its dictionary sub-words (as jieba's
    search mode finds them) and the canonical words of the synonym groups involved."""
    extra: list[str] = []
    size = len(token)
    if size > 2 and _is_han(token):
        for n in range(2, min(size - 1, 4 if size > 4 else 3) + 1):
            extra += [token[i : i + n] for i in range(size - n + 1) if seg.is_word(token[i : i + n])]
    extra += [c for word in (token, *extra) if (c := seg.canonical(word)) is not None]
    found = tuple(word for word in dict.fromkeys(extra) if word != token)
    if len(seg.expansions) >= EXPANSION_CACHE:
        seg.expansions.clear()
    seg.expansions[token] = found
    return found


def index_tokens(text: str) -> list[tuple[str, int]]:
    seg = current_segmenter()
    expansions = seg.expansions
    out: list[tuple[str, int]] = []
    for position, token in enumerate(_precise(seg, fold(text))):
        out.append((token, position))
        extra = expansions.get(token)
        if extra is None:
            extra = _expansion(seg, token)
        for word in extra:
            out.append((word, position))
    return out


@lru_cache(maxsize=65536)
def _pinyin(word: str) -> tuple[str, str]:
    full = "".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def pinyin_keys(text: str) -> list[str]:
    words = [t for t in segment(text) if _is_han(t)]
    keys: list[str] = []
    for word in words:
        if len(word) >= 2:
            keys.extend(_pinyin(word))
    whole = "".join(words)
    if 2 <= len(whole) <= PINYIN_WHOLE_MAX:
        keys.extend(_pinyin(whole))
    return [key for key in dict.fromkeys(keys) if _PINYIN.fullmatch(key)]


def _shorten(text: str, size: int = 20) -> str:
    return text if len(text) <= size else text[:size] + "…"


class _Parser:
    def __init__(self, seg: Segmenter) -> None:
        self.seg = seg
        self.clauses: list[Clause] = []
        self.dropped: list[str] = []

    def phrase(self, text: str, negated: bool) -> None:
        tokens = tuple(_precise(self.seg, text))
        if not tokens:
            self.dropped.append(f'"{_shorten(text)}"' if text.strip() else '""')
        elif len(tokens) == 1:  # a quoted word: exactly this word, no synonyms
            self.clauses.append(Clause(tokens, is_negated=negated))
        else:
            self.clauses.append(Clause(tokens, is_phrase=True, is_negated=negated))

    def chunk(self, chunk: str) -> None:
        if chunk in OPERATORS:
            self.dropped.append(chunk)
            return
        wildcards = _WILDCARDS.findall(chunk)
        negated = chunk.startswith("-")
        tokens = list(_precise(self.seg, _WILDCARDS.sub(" ", chunk)))
        if not tokens:
            self.dropped.append(_shorten(chunk))
            return
        self.dropped.extend(wildcards)
        if negated and len(tokens) > 1:  # -小学数学: exclude the words together
            self.clauses.append(Clause(tuple(tokens), is_phrase=True, is_negated=True))
            return
        for token in tokens:
            alternatives = self.seg.alternatives(token)
            pinyin = token if _ASCII_LETTERS.fullmatch(token) else ""
            self.clauses.append(Clause((token,), alternatives, pinyin, is_negated=negated))

    def text(self, text: str) -> None:
        for chunk in text.split():
            self.chunk(chunk)

    def finish(self) -> ParsedQuery:
        clauses = list(dict.fromkeys(self.clauses))
        useful = [c for c in clauses if c.is_phrase or c.tokens[0] not in STOP_WORDS]
        if any(not c.is_negated for c in useful):
            self.dropped.extend(c.tokens[0] for c in clauses if c not in useful)
            clauses = useful
        else:  # only stop words (and exclusions): search them rather than nothing
            self.dropped.extend(c.tokens[0] for c in clauses if c.is_negated and c not in useful)
            clauses = [c for c in clauses if not c.is_negated or c in useful]
        kept: list[Clause] = []
        counts = {True: 0, False: 0}
        for clause in clauses:
            counts[clause.is_negated] += 1
            if counts[clause.is_negated] <= MAX_CLAUSES:
                kept.append(clause)
            else:
                self.dropped.append(_surface(clause.tokens))
        return ParsedQuery(tuple(kept), tuple(dict.fromkeys(self.dropped)))


def _parse(raw: str) -> ParsedQuery:
    text = _CONTROL.sub(" ", fold(raw if isinstance(raw, str) else str(raw or "")))
    parser = _Parser(current_segmenter())
    if len(text) > MAX_QUERY_CHARS:
        rest = text[MAX_QUERY_CHARS:].strip()
        text = text[:MAX_QUERY_CHARS]
        if rest:
            parser.dropped.append(_shorten(rest))
    text = text.translate(_QUOTES)
    if text.count('"') % 2:  # an unbalanced quote: treat it as absent
        cut = text.rindex('"')
        text = text[:cut] + text[cut + 1 :]
    start = 0
    for match in _PHRASE.finditer(text):
        parser.text(text[start : match.start()])
        parser.phrase(match.group(2), negated=bool(match.group(1)))
        start = match.end()
    parser.text(text[start:])
    return parser.finish()


def parse_query(raw: str) -> ParsedQuery:
    """Any string at all → clauses; what was ignored is listed in `dropped`."""
    try:
        return _parse(raw)
    except Exception:  # a safety net: a query must never turn into a 500
        log.exception("query parsing failed")
        return ParsedQuery((), (_shorten(str(raw)),))


def _surface(tokens: tuple[str, ...]) -> str:
    text = ""
    for token in tokens:
        if text and text[-1].isascii() and text[-1].isalnum() and token[0].isascii():
            text += " "
        text += token
    return text


def highlight_terms(query: ParsedQuery) -> list[str]:
    terms: dict[str, None] = {}
    for clause in query.positive:
        if clause.is_phrase:
            terms[_surface(clause.tokens)] = None
        for token in (*clause.tokens, *clause.alternatives):
            terms[token] = None
    return sorted(terms, key=lambda term: -len(term))
