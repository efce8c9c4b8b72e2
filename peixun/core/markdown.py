"""Markdown for user posts: bounded rendering (python-markdown), then sanitising (nh3)."""

from __future__ import annotations

import hashlib
import re
import signal
import threading
import xml.etree.ElementTree as etree
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.nl2br import Nl2BrExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import SimpleTagInlineProcessor
from markdown.treeprocessors import Treeprocessor

from peixun.core.errors import ServiceError

# Bump when the Markdown or sanitising rules change, so stored HTML can be re-rendered.
RENDERER_VERSION = 1

# python-markdown is quadratic on several shapes of input (some in Python loops) and
# recurses once per nesting level (STACK_NOTES 2), so check() refuses a body, before
# any rendering, past one of the limits below.  Each family of slow input was built at
# its largest accepted size and timed (time.perf_counter, best of 3, nothing else
# running; python-markdown 3.11.3, Python 3.11; sanitising adds < 10 ms):
#
#   input at the limits                                                  seconds
#   50,000 chars of realistic Chinese Markdown, 2,535 lines                 0.073
#   50,000 chars of plain Chinese on one line                               0.007
#   3,000 lines of headings, setext, rules, quoted headings (300 a block)   0.044-0.094
#   3,000 lines of lists, loose lists, quotes, line breaks                  0.021-0.066
#   lists and quotes 16 deep, 1,226 lines                                   0.031-0.083
#   5,000 markup chars as entities, escapes, emphasis, ~~, code spans       0.001-0.073
#   5,000 links, images or automails; 3,846 autolinks                       0.056-0.116
#   tables of 15 columns x 298 rows; 713 cells holding code spans           0.066-0.077
#   scan budget spent on runs of "[", "![", "[a](", "[`]`", rising "`"s     0.033-0.097
#   2-4 of the above mixed and scaled up to the limits (random search)      <= 0.148
#   hill-climbing fuzzer over Markdown tokens, 14,000 inputs                <= 0.11
#
# Refused (timed without the limits): "[" * 8,000 6.1 s, * 20,000 > 20 s; "[a](" *
# 5,000 4.1 s; 30 stray "[" in a 50k paragraph 0.39 s; 7 "[" and 49,000 tabs 0.25 s
# (hence tabs count as four columns); 3,000 rule or setext lines in one block 0.4 s;
# 24,000 table cells 0.33 s; lists nested 300 deep and "- " * 2,500 RecursionError.
# check() itself takes <= 14 ms on 50k.
MAX_BODY_CHARS = 50_000
MAX_LINES = 3_000  # block parsing costs 10-30 us a line
MAX_BLOCK_LINES = 300  # between blank lines: headings, setext and rules re-split their block
MAX_DEPTH = 16  # levels of quotes and lists; python-markdown recurses once per level
MAX_MARKUP = 5_000  # MARKUP_CHARS: each inline match copies its whole paragraph again
MAX_SCAN_COST = 1_000_000  # _scan_cost() units, ~0.1 us each
# A backstop for shapes not measured yet: on the main thread (gunicorn sync workers,
# the CLI, tests) a render still running after this long is abandoned by SIGALRM
# (5 us a render).  Measured alternatives: a process per render +4 ms (fork: unsafe
# in a threaded server), +13 ms (forkserver: re-runs the main script), +85 ms (spawn
# or subprocess); a ProcessPoolExecutor +0.6 ms, but it cannot stop a running task and
# its workers import the whole app (67 MB each).  Threaded servers rely on check().
RENDER_TIMEOUT = 1.0

MARKUP_CHARS = "\\`*_~&<[|"
_BLOCK_SPLIT = re.compile(r"\n(?: *\n)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NESTING = re.compile(r"(?: *(?:>|[-*+](?= )|\d{1,9}[.)](?= )))+")
_LEVEL = re.compile(r">|[-*+\d]+")
_RULE = re.compile(r" {0,3}([-*_])(?: *\1){2,} *$")
_LINK_TOKENS = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_BACKTICK_RUNS = re.compile(r"(?<!\\)`+")


class MarkdownRejected(ServiceError):
    """A body the renderer refuses; the message tells the author what to change."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, field="body")
        self.reason = reason


def normalise(text: str) -> str:
    """The text python-markdown will see: one kind of line break, tabs expanded to
    four columns (so limits count what it scans), no control characters (it uses
    \\x02 and \\x03 as its own placeholders) and no lone surrogates (nh3 refuses them)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).expandtabs(4)


def check(text: str) -> None:
    """Raise MarkdownRejected if rendering `text` could be slow or recurse too deep.

    Every check is linear and cheap; the limits are the table above.
    """
    _check(normalise(text))


def _check(text: str) -> None:
    if len(text) > MAX_BODY_CHARS:
        raise MarkdownRejected(
            f"正文不能超过 {MAX_BODY_CHARS:,} 个字符（现在 {len(text):,} 个），请删减或分成几帖发布。",
            "too_long",
        )
    if text.count("\n") >= MAX_LINES:
        raise MarkdownRejected(f"正文不能超过 {MAX_LINES:,} 行，请合并短行或分成几帖发布。", "too_many_lines")
    markup = sum(text.count(char) for char in MARKUP_CHARS)
    if markup > MAX_MARKUP:
        raise MarkdownRejected(
            f"正文中的格式符号（* _ ` ~ [ < & | \\ 等）过多（{markup:,} 个，最多 {MAX_MARKUP:,} 个），"
            "请减少格式或分成几帖发布。",
            "too_much_markup",
        )
    if _max_depth(text) > MAX_DEPTH:
        raise MarkdownRejected(f"引用或列表嵌套太深（最多 {MAX_DEPTH} 层），请减少嵌套。", "too_deep")
    blocks = _BLOCK_SPLIT.split(text)
    if max(block.count("\n") + 1 for block in blocks) > MAX_BLOCK_LINES:
        raise MarkdownRejected(
            f"有一段连续超过 {MAX_BLOCK_LINES} 行没有空行，请用空行把它分成几段。", "block_too_long"
        )
    if sum(_scan_cost(block) for block in blocks) > MAX_SCAN_COST:
        raise MarkdownRejected(
            "正文中没有配对的方括号、圆括号或反引号太多（长段落里尤其如此），请检查链接（[文字](网址)）"
            "和代码（`代码`）的写法，或用空行分段。",
            "unbalanced",
        )


def _max_depth(text: str) -> int:
    """Deepest nesting of quotes and lists a line opens: one level per `>` or list
    marker at its start, plus one per four columns of indentation before them."""
    deepest = 0
    for line in text.split("\n"):
        prefix = _NESTING.match(line)
        if prefix is None or _RULE.match(line):
            continue
        marks = prefix.group()
        levels = len(_LEVEL.findall(marks))
        # Less the one space that separates each marker from the next.
        columns = marks.count(" ") - (levels - 1)
        deepest = max(deepest, levels + max(columns, 0) // 4)
    return deepest


def _scan_cost(block: str) -> int:
    """Characters python-markdown's Python loops will walk in this block: each `[`
    scans to its `]`, each `](` to its `)`, each backtick run to the next run of the
    same length — or to the end of the block when nothing closes it.  A closer inside
    a code span (or, after `](`, a quote) may not count, so then the end is assumed."""
    end = len(block)
    text_cost = link_cost = 0
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []
    closed_at = -2
    for token in _LINK_TOKENS.finditer(block):
        char, pos = token.group(), token.start()
        if char == "[":
            brackets.append(pos)
        elif char == "]" and brackets:
            start = brackets.pop()
            text_cost += end - start if block.find("`", start, pos) >= 0 else pos - start
            closed_at = pos
        elif char == "(":
            parens.append((pos, pos == closed_at + 1))
        elif char == ")" and parens:
            start, is_link = parens.pop()
            if is_link:
                hidden = any(block.find(q, start, pos) >= 0 for q in "`'\"")
                link_cost += end - start if hidden else pos - start
    text_cost += sum(end - start for start in brackets)
    link_cost += sum(end - start for start, is_link in parens if is_link)
    # Link text is scanned by three processors (link, reference, short reference).
    return 3 * text_cost + link_cost + _backtick_cost(block)


def _backtick_cost(block: str) -> int:
    runs = [(match.start(), len(match.group())) for match in _BACKTICK_RUNS.finditer(block)]
    by_length: dict[int, list[int]] = {}
    for index, (_, length) in enumerate(runs):
        by_length.setdefault(length, []).append(index)
    cost, index = 0, 0
    while index < len(runs):
        pos, length = runs[index]
        same = by_length[length]
        after = bisect_right(same, index)
        if after < len(same):
            closer = same[after]
            cost += runs[closer][0] - pos
            index = closer + 1
        else:
            cost += len(block) - pos
            index += 1
    return cost


class _DemoteHeadings(Treeprocessor):
    """`#` becomes <h2>: the page's one <h1> is the thread's title."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in {"h1", "h2", "h3", "h4", "h5"}:
                element.tag = f"h{int(element.tag[1]) + 1}"


class _PostSyntax(Extension):
    """Raw HTML is shown as text (nh3 would strip it anyway, losing what the author
    typed, e.g. `a<b`); ~~strike~~ makes <del>; headings start at <h2>."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Below both emphasis processors, so ~~**a**~~ and **~~a~~** both work.
        md.inlinePatterns.register(SimpleTagInlineProcessor(r"(~{2})(?!~)(.+?)~~", "del"), "del", 40)
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 5)


def _markdown() -> markdown.Markdown:
    # A fresh instance per render: Markdown objects keep state and are not thread-safe;
    # building one costs ~0.1 ms.  nl2br: Chinese has no spaces between words, so
    # lines joined into one paragraph run together; teachers expect a line break to
    # stay a line break.
    return markdown.Markdown(
        extensions=[
            TableExtension(use_align_attribute=True),
            FencedCodeExtension(),
            SaneListExtension(),
            Nl2BrExtension(),
            _PostSyntax(),
        ],
        output_format="html",
    )


TAGS = {
    *("p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre"),
    *("blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td"),
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "code": {"class"}}
ALIGN = {"align": {"left", "center", "right"}}
URL_SCHEMES = {"http", "https", "mailto"}
# All links, internal ones too: every link in a post is user content ("ugc"), and
# nofollow on /u/… costs nothing.  (nh3 cannot tell internal from external.)
LINK_REL = "nofollow ugc noopener"
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
_LANGUAGE_CLASS = re.compile(r"language-[\w#.+-]{1,40}")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """What the allow-lists cannot say: images only over http(s) or relative,
    `class` only a fenced block's language, `start` only a number; and no URL that
    is a script scheme once spaces are squeezed out (python-markdown turns a tab
    into spaces: "java    script:" is inert in browsers, but nothing is lost)."""
    if name in {"href", "src"} and _SPACE_OR_CONTROL.sub("", value).lower().startswith(_SCRIPT_SCHEMES):
        return None
    if tag == "img" and name == "src":
        scheme = _SCHEME.match(value)
        return value if scheme is None or scheme.group(1).lower() in {"http", "https"} else None
    if name == "class":
        kept = [word for word in value.split() if _LANGUAGE_CLASS.fullmatch(word)]
        return " ".join(kept) or None
    if name == "start":
        return value if value.isdecimal() and len(value) <= 9 else None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    tag_attribute_values={"th": ALIGN, "td": ALIGN},
    attribute_filter=_filter_attribute,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise(html: str) -> str:
    """The allow-list alone, for HTML that did not come from render()."""
    return _cleaner.clean(html)


class _Timeout(BaseException):
    """Not an Exception, so no `except Exception` inside python-markdown swallows it."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _Timeout inside the block after `seconds`, where a signal can do it: only
    the main thread receives signals, and an alarm someone else set is left alone."""
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return
    armed = True

    def on_alarm(signum: int, frame: object) -> None:
        if armed:
            raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        try:
            armed = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def render(text: str) -> str:
    """Markdown → safe HTML for a post body; MarkdownRejected (field "body") when the
    body is too long, shaped to make the renderer slow, or nested too deep."""
    text = normalise(text)
    _check(text)
    try:
        with _deadline(RENDER_TIMEOUT):
            html = _markdown().convert(text)
    except RecursionError:
        raise MarkdownRejected("正文的嵌套结构太复杂，无法显示，请简化后再试。", "recursion") from None
    except _Timeout:
        raise MarkdownRejected("正文的格式太复杂，排版超时，请简化后再试。", "timeout") from None
    return sanitise(html)


def content_hash(text: str) -> str:
    """The cache key; services may store it beside the HTML to skip needless re-renders."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Source:
    """A cache key that is the text's hash; the text rides along but is not compared."""

    digest: str
    text: str = field(compare=False, repr=False)


@lru_cache(maxsize=64)
def _render_source(source: _Source) -> str:
    return render(source.text)


def render_cached(text: str) -> str:
    """render() for previews and re-renders: the same body is rendered once.  Posts
    store their HTML (with RENDERER_VERSION) when saved, so the cache stays small."""
    return _render_source(_Source(content_hash(text), text))


_BLOCK_TAG = re.compile(r"<(?=/?(?:p|br|hr|h[1-6]|li|tr|td|th|blockquote|pre|ul|ol|table|div)\b)", re.I)


def plain_text(html: str) -> str:
    """The text of rendered HTML for excerpts and search: tags dropped (script and
    style with their content), entities decoded, whitespace collapsed to single
    spaces, a space where blocks meet.  For Markdown, pass render(markdown)."""
    text = unescape(nh3.clean(_BLOCK_TAG.sub(" <", html), tags=set(), attributes={}))
    return " ".join(text.split())
