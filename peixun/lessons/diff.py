"""What changed between two versions of a lesson design (一备 → 二备 → 三备), as rows a
template renders without logic.

`diff_designs(old, new)` compares the Markdown sources line by line (difflib's
SequenceMatcher, autojunk off, blank lines as junk so that they do not anchor the
alignment).  Inside a rewritten block, old and new lines are paired by similarity and each
pair is compared token by token: a Han character (or kana) is a token of its own, a Latin
word or number is one token, a run of whitespace is one, any other character (punctuation)
is one.  So Chinese changes are marked character by character and "PPT" → "PowerPoint" is
one word changed.  Short equal runs squeezed between two changes are folded into the change
so that the marks read as phrases rather than confetti.

Input is normalised first: CRLF and CR become LF, a leading BOM goes, trailing whitespace
on a line and blank lines at the end are ignored.  The HTML holds only escaped text and
<ins>/<del>; nothing in the input is trusted.

Bounds (nothing raises; the worst input within the bounds takes well under a second):
- a text over MAX_LINES lines or MAX_CHARS characters is compared by whole lines only;
- the line alignment may do LINE_WORK steps of SequenceMatcher work (counted in
  `_Matcher`: the ranges each find_longest_match walks and the equal items it visits,
  which catches the quadratic cases of many repeated lines or many small matches); past
  that, the common head and tail are kept and the middle is shown as removed + added;
- a rewritten block of more than MAX_BLOCK_PAIRS (old lines × new lines) is not paired;
- pairing and character-level matching share TOKEN_BUDGET steps for the whole diff;
  once spent, the remaining changes are shown as whole lines removed + added.
`DesignDiff.detailed` is False when any of these bounds was hit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Literal

from markupsafe import Markup, escape

MAX_LINES = 20_000
MAX_CHARS = 400_000
LINE_WORK = 3_000_000
MAX_BLOCK_PAIRS = 10_000
TOKEN_BUDGET = 3_000_000
CONTEXT = 2  # unchanged lines kept before and after each change
MIN_SKIP = 3  # fewer hidden lines than this are shown rather than replaced by a "skip" row
SIMILAR = 0.5  # similarity (Dice of _features) from which two lines are one changed line
CONTAINED = 0.8  # ... or the share of the shorter line's features found in the longer one
CONTAINED_MIN = 3  # ... if at least this many features match

Kind = Literal["same", "changed", "added", "removed", "skip"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|\s+|.", re.DOTALL)
_DEL = Markup("<del>%s</del>")
_INS = Markup("<ins>%s</ins>")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the diff.  `old_no`/`new_no` are 1-based line numbers (None on the side
    where the line does not exist); `inline_html` merges both sides for the inline view.
    A "skip" row stands for `skipped` unchanged lines and carries its text in every html."""

    kind: Kind
    old_no: int | None
    new_no: int | None
    old_html: Markup
    new_html: Markup
    inline_html: Markup
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed

    @property
    def text(self) -> str:
        counts = (("新增", self.added), ("删除", self.removed), ("修改", self.changed))
        parts = [f"{label} {n} 行" for label, n in counts if n]
        return "，".join(parts) if parts else "两个版本内容相同"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class DesignDiff:
    rows: tuple[Row, ...]
    summary: Summary
    detailed: bool  # False: a bound was hit and (some) changes are shown by whole lines

    @property
    def changed(self) -> bool:
        return self.summary.total > 0


class _Budget:
    """Work left for matching, in elementary steps (see _Matcher)."""

    __slots__ = ("exhausted", "left")

    def __init__(self, units: int) -> None:
        self.left = units
        self.exhausted = units <= 0

    def spend(self, units: int) -> bool:
        if units > self.left:
            self.left, self.exhausted = 0, True
            return False
        self.left -= units
        return True


class _OutOfBudget(Exception):
    pass


class _Matcher(SequenceMatcher):
    """A SequenceMatcher (autojunk off) that charges its work to a budget and raises
    _OutOfBudget when the budget runs out.  Each find_longest_match walks its range of
    `a`, the indices in `b` of those items and its range of `b`: that is the charge, so
    the quadratic cases (many repeated items, many small matches) are caught too."""

    def __init__(self, isjunk: Callable[[str], bool] | None, a: list[str], b: list[str], budget: _Budget):
        super().__init__(isjunk, a, b, autojunk=False)
        self._budget = budget
        walked = [0]
        for item in a:
            walked.append(walked[-1] + len(self.b2j.get(item, ())))
        self._walked = walked

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None):
        ahi = len(self.a) if ahi is None else ahi
        bhi = len(self.b) if bhi is None else bhi
        if not self._budget.spend(ahi - alo + bhi - blo + self._walked[ahi] - self._walked[alo]):
            raise _OutOfBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def diff_designs(old: str, new: str) -> DesignDiff:
    """Compare two Markdown sources; see the module docstring for the rules and bounds."""
    a, a_big = _lines(old)
    b, b_big = _lines(new)
    budget = _Budget(0 if a_big or b_big else TOKEN_BUDGET)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in _align(a, b):
        if tag == "equal":
            rows.extend(_same(a[i], i + 1, j + 1) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            rows.extend(_rewrite(a[i1:i2], b[j1:j2], i1, j1, budget))
    kinds = Counter(row.kind for row in rows)
    summary = Summary(added=kinds["added"], removed=kinds["removed"], changed=kinds["changed"])
    return DesignDiff(rows=tuple(_collapse(rows)), summary=summary, detailed=not budget.exhausted)


def _lines(text: object) -> tuple[list[str], bool]:
    """Normalised lines, and whether the text is over the size bound."""
    text = "" if text is None else str(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff").rstrip()
    lines = [line.rstrip() for line in text.split("\n")] if text else []
    return lines, len(text) > MAX_CHARS or len(lines) > MAX_LINES


def _blank(line: str) -> bool:
    return not line


def _align(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Line opcodes: the common head and tail, and the middle aligned unless that would be
    pathological (then it is one block)."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    ops = [("equal", 0, head, 0, head)] if head else []
    mid_a, mid_b = a[head : n - tail], b[head : m - tail]
    if mid_a or mid_b:
        try:
            middle = _Matcher(_blank, mid_a, mid_b, _Budget(LINE_WORK)).get_opcodes()
        except _OutOfBudget:
            middle = [("replace", 0, len(mid_a), 0, len(mid_b))]
        ops.extend((tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle)
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def _rewrite(old: list[str], new: list[str], i0: int, j0: int, budget: _Budget) -> list[Row]:
    """Rows for a block where `old` (from line i0 + 1) became `new` (from line j0 + 1):
    similar lines paired (the order-keeping pairing with the most similarity) and compared
    token by token, the others removed or added."""
    n, m = len(old), len(new)
    if not (n and m) or budget.exhausted:
        return _removed_added(old, new, i0, j0)
    if n * m > MAX_BLOCK_PAIRS:
        budget.exhausted = True
        return _removed_added(old, new, i0, j0)
    tokens_a = [_TOKEN.findall(line) for line in old]
    tokens_b = [_TOKEN.findall(line) for line in new]
    features_a = [_features(t) for t in tokens_a]
    features_b = [_features(t) for t in tokens_b]
    if not budget.spend(sum(len(f) for f in features_a) * m):
        return _removed_added(old, new, i0, j0)
    scores: dict[tuple[int, int], float] = {}
    for i, fa in enumerate(features_a):
        size_a = fa.total()
        for j, fb in enumerate(features_b):
            if old[i] == new[j]:
                scores[i, j] = 1.0
                continue
            size_b = fb.total()
            common = _common(fa, fb)
            if not common:
                continue
            if 2 * common >= SIMILAR * (size_a + size_b) or (
                common >= CONTAINED_MIN and common >= CONTAINED * min(size_a, size_b)
            ):
                scores[i, j] = 2 * common / (size_a + size_b)
    rows: list[Row] = []
    i = j = 0
    for pi, pj in _pairing(scores, n, m):
        rows += _removed_added(old[i:pi], new[j:pj], i0 + i, j0 + j)
        if old[pi] == new[pj]:
            rows.append(_same(old[pi], i0 + pi + 1, j0 + pj + 1))
        else:
            rows += _changed(tokens_a[pi], tokens_b[pj], i0 + pi + 1, j0 + pj + 1, budget)
        i, j = pi + 1, pj + 1
    return rows + _removed_added(old[i:], new[j:], i0 + i, j0 + j)


def _features(tokens: list[str]) -> Counter:
    """What pairing compares: the tokens and each two adjacent tokens (for Chinese, the
    characters and the bigrams; characters alone are too common to tell lines apart)."""
    features = Counter(tokens)
    features.update(pairwise(tokens))
    return features


def _common(a: Counter, b: Counter) -> int:
    if len(b) < len(a):
        a, b = b, a
    return sum(min(count, b[item]) for item, count in a.items() if item in b)


def _pairing(scores: dict[tuple[int, int], float], n: int, m: int) -> list[tuple[int, int]]:
    """The order-keeping set of pairs with the highest total score (dynamic programming)."""
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            value = max(below[j], row[j + 1])
            score = scores.get((i, j))
            if score is not None:
                value = max(value, score + below[j + 1])
            row[j] = value
    pairs = []
    i = j = 0
    while i < n and j < m:
        score = scores.get((i, j))
        if score is not None and best[i][j] == score + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _same(line: str, old_no: int, new_no: int) -> Row:
    html = escape(line)
    return Row("same", old_no, new_no, html, html, html)


def _removed_added(old: list[str], new: list[str], i0: int, j0: int) -> list[Row]:
    """Whole lines removed (from line i0 + 1), then whole lines added (from line j0 + 1)."""
    empty = Markup("")
    rows = []
    for k, line in enumerate(old):
        html = _DEL % line
        rows.append(Row("removed", i0 + k + 1, None, html, empty, html))
    for k, line in enumerate(new):
        html = _INS % line
        rows.append(Row("added", None, j0 + k + 1, empty, html, html))
    return rows


def _changed(a: list[str], b: list[str], old_no: int, new_no: int, budget: _Budget) -> list[Row]:
    """A changed line with its changed runs marked (or removed + added, out of budget)."""
    try:
        opcodes = _Matcher(None, a, b, budget).get_opcodes()
    except _OutOfBudget:
        return _removed_added(["".join(a)], ["".join(b)], old_no - 1, new_no - 1)
    old_parts, new_parts, inline_parts = [], [], []
    for same, old_text, new_text in _segments(a, b, opcodes):
        if same:
            text = escape(old_text)
            old_parts.append(text)
            new_parts.append(text)
            inline_parts.append(text)
            continue
        if old_text:
            old_parts.append(_DEL % old_text)
            inline_parts.append(_DEL % old_text)
        if new_text:
            new_parts.append(_INS % new_text)
            inline_parts.append(_INS % new_text)
    join = Markup("").join
    return [Row("changed", old_no, new_no, join(old_parts), join(new_parts), join(inline_parts))]


def _segments(a: list[str], b: list[str], opcodes: list) -> list[tuple[bool, str, str]]:
    """(same, old text, new text) runs.  An equal run between two changes is folded into
    them when it is no longer than either change (as diff-match-patch's semantic cleanup),
    so that "我们讨论了课文" → "他们阅读了文章" is one change, not five."""
    out: list[list] = []  # [same, old tokens, new tokens]
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            out.append([True, a[i1:i2], b[j1:j2]])
            continue
        if out and not out[-1][0]:
            out[-1][1] += a[i1:i2]
            out[-1][2] += b[j1:j2]
        else:
            out.append([False, a[i1:i2], b[j1:j2]])
        while len(out) >= 3 and not out[-3][0] and out[-2][0]:
            before, equal, after = out[-3], out[-2], out[-1]
            size = len(equal[1])
            if size > max(len(before[1]), len(before[2])) or size > max(len(after[1]), len(after[2])):
                break
            out[-3:] = [[False, before[1] + equal[1] + after[1], before[2] + equal[2] + after[2]]]
    return [(same, "".join(old), "".join(new)) for same, old, new in out]


def _collapse(rows: list[Row]) -> list[Row]:
    """Keep CONTEXT unchanged lines around each change; the rest become "skip" rows."""
    out: list[Row] = []
    i, n = 0, len(rows)
    while i < n:
        if rows[i].kind != "same":
            out.append(rows[i])
            i += 1
            continue
        j = i
        while j < n and rows[j].kind == "same":
            j += 1
        keep_head = CONTEXT if i > 0 else 0
        keep_tail = CONTEXT if j < n else 0
        hidden = j - i - keep_head - keep_tail
        if hidden >= MIN_SKIP:
            out += rows[i : i + keep_head]
            out.append(_skip(hidden))
            out += rows[j - keep_tail : j]
        else:
            out += rows[i:j]
        i = j
    return out


def _skip(count: int) -> Row:
    text = Markup("省略 %d 行未改动的内容") % count
    return Row("skip", None, None, text, text, text, skipped=count)
