"""Post Markdown: what renders, what the sanitiser removes, and bounded rendering."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from peixun.core import markdown as md
from peixun.core.errors import ServiceError
from peixun.core.markdown import (
    MAX_BODY_CHARS,
    MarkdownRejected,
    check,
    plain_text,
    render,
    render_cached,
)

PAYLOADS = Path(__file__).with_name("xss_payloads.txt")
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcdoc"}
FORBIDDEN_TAGS = ["script", "iframe", "object", "embed", "form", "style", "base", "meta", "link"]
FORBIDDEN_TAGS += ["svg", "math", "input", "button", "textarea"]


def xss_payloads() -> list[str]:
    """The shared corpus (see the file's header for the format)."""
    lines = PAYLOADS.read_text(encoding="ascii").splitlines()
    return [
        line.encode("ascii").decode("unicode_escape")
        for line in lines
        if line.strip() and not line.startswith(";;")
    ]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# --- what renders -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "selector"),
    [
        ("## 第一讲", "h3"),
        ("- 一\n- 二", "ul > li"),
        ("1. 一\n2. 二", "ol > li"),
        ("| 环节 | 时间 |\n|---|---|\n| 说课 | 10分钟 |", "table thead th"),
        ("| 环节 | 时间 |\n|---|---|\n| 说课 | 10分钟 |", "table tbody td"),
        ("[简报](https://example.edu.cn/b/1)", 'a[href="https://example.edu.cn/b/1"]'),
        ("![课堂](https://example.edu.cn/p.jpg)", 'img[src="https://example.edu.cn/p.jpg"][alt="课堂"]'),
        ("![课堂](/files/p.jpg)", 'img[src="/files/p.jpg"]'),
        ("```python\nprint('研修')\n```", "pre > code.language-python"),
        ("行内 `代码`", "p > code"),
        ("> 引用 王老师 的发言", "blockquote > p"),
        ("**重点** 和 *强调*", "p > strong"),
        ("**重点** 和 *强调*", "p > em"),
        ("~~旧的说法~~", "p > del"),
        ("---", "hr"),
    ],
)
def test_supported_constructs(source, selector):
    assert soup(render(source)).select(selector), render(source)


def test_headings_start_at_h2_because_the_title_is_the_h1():
    page = soup(render("# 一\n\n## 二\n\n###### 六\n\n标题\n==="))
    assert not page.find("h1")
    assert [h.name for h in page.find_all(["h2", "h3", "h6"])] == ["h2", "h3", "h6", "h2"]


def test_single_line_breaks_stay_line_breaks():
    page = soup(render("床前明月光\n疑是地上霜"))
    assert page.find("br") and len(page.find_all("p")) == 1


def test_raw_html_is_shown_as_text():
    html = render("如果 a<b 且 <b>加粗</b>")
    assert "&lt;b&gt;加粗&lt;/b&gt;" in html
    assert soup(html).get_text() == "如果 a<b 且 <b>加粗</b>"


def test_mention_link_keeps_its_href():
    link = soup(render("[@zhangli](/u/zhangli) 你好")).find("a")
    assert link["href"] == "/u/zhangli" and link.get_text() == "@zhangli"


@pytest.mark.parametrize(
    "source", ["[站内](/t/1)", "[外链](https://example.com)", "<https://example.com>", "<a@example.com>"]
)
def test_every_link_gets_rel_nofollow_ugc_noopener(source):
    link = soup(render(source)).find("a")
    assert link is not None and link.has_attr("href")
    assert link["rel"] == ["nofollow", "ugc", "noopener"]


def test_table_alignment_without_style():
    page = soup(render("| a | b |\n|:--|--:|\n| 1 | 2 |"))
    assert [th["align"] for th in page.find_all("th")] == ["left", "right"]
    assert not page.find(style=True)


def test_ordered_list_start_survives():
    assert soup(render("3. 三\n4. 四")).find("ol")["start"] == "3"


def test_code_class_only_for_the_language():
    code = soup(render("```{ .python .evil #x }\nx = 1\n```")).find("code")
    assert code["class"] == ["language-python"]
    assert not soup(render("```{ .evil }\nx\n```")).find(class_="evil")


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("![a](https://example.com/a.png)", True),
        ("![a](http://example.com/a.png)", True),
        ("![a](/files/a.png)", True),
        ("![a](mailto:a@example.com)", False),
        ("![a](data:image/png;base64,iVBORw0KGgo=)", False),
        ("![a](ftp://example.com/a.png)", False),
    ],
)
def test_images_only_over_http_or_relative(source, kept):
    assert soup(render(source)).find("img").has_attr("src") is kept


# --- the XSS corpus ---------------------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(xss_payloads()) >= 40


def _scheme(url: str) -> str:
    # What a browser sees: it drops whitespace and control characters anywhere.
    cleaned = "".join(ch for ch in url if ord(ch) > 0x20 and not ch.isspace()).lower()
    return cleaned.split(":", 1)[0] + ":" if ":" in cleaned else ""


@pytest.mark.parametrize("payload", xss_payloads())
def test_xss_payload_is_inert(payload):
    html = render(payload)
    page = soup(html)
    assert not page.find_all(FORBIDDEN_TAGS), html
    for element in page.find_all(True):
        assert element.name in md.TAGS, html
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), html
            assert name.lower() != "style", html
            if name.lower() in URL_ATTRIBUTES:
                assert _scheme(value) not in BAD_SCHEMES, html
        if element.name == "a":
            assert element["rel"] == ["nofollow", "ugc", "noopener"]


# --- bounded rendering ------------------------------------------------------------------


def _nested_list(depth: int) -> str:
    return "".join("    " * level + "- 项\n" for level in range(depth))


def _rising_backticks(runs: int) -> str:
    return "".join("`" * n + "研" * 400 for n in range(1, runs))


PATHOLOGICAL = [
    pytest.param("研" * (MAX_BODY_CHARS + 1), "too_long", id="over-long"),
    pytest.param("[" * 7 + "\t" * 13_000, "too_long", id="tabs count as four columns"),
    pytest.param("[" * 8000, "too_much_markup", id="[ x 8000 (6 s unbounded)"),
    pytest.param("[" * 3000, "unbalanced", id="[ x 3000 (0.9 s)"),
    pytest.param("![" * 4000, "unbalanced", id="![ x 4000"),
    pytest.param("[" * 20 + "研" * 40_000, "unbalanced", id="few [ in a long paragraph"),
    pytest.param("[a](" * 5000, "unbalanced", id="[a]( x 5000 (4 s)"),
    pytest.param("[" * 4000 + "]" * 4000, "unbalanced", id="[[[...]]] 4000 deep"),
    pytest.param("[`]`" * 1000 + "研" * 1000, "unbalanced", id="closers hidden in code spans"),
    pytest.param(_rising_backticks(100), "unbalanced", id="backtick runs of rising length"),
    pytest.param("&#1;" * 6000, "too_much_markup", id="6000 entities"),
    pytest.param("\\*" * 20_000, "too_much_markup", id="escapes"),
    pytest.param("*a* " * 10_000, "too_much_markup", id="10000 emphases"),
    pytest.param("<a@b.cn>" * 6000, "too_much_markup", id="6000 automails"),
    pytest.param(
        "|" + "a|" * 40 + "\n|" + "-|" * 40 + "\n" + ("|" + "研|" * 40 + "\n") * 200,
        "too_much_markup",
        id="8000 table cells",
    ),
    pytest.param("研\n" * 5000, "too_many_lines", id="5000 lines"),
    pytest.param("# 标题\n" * 400, "block_too_long", id="400 headings without a blank line"),
    pytest.param("研\n---\n" * 200, "block_too_long", id="setext and rules in one block"),
    pytest.param(_nested_list(100), "too_deep", id="list nested 100 deep"),
    pytest.param(_nested_list(17), "too_deep", id="list nested 17 deep"),
    pytest.param("- " * 2500 + "a", "too_deep", id="- - - ... (RecursionError)"),
    pytest.param("> " * 400 + "a", "too_deep", id="quotes 400 deep"),
    pytest.param("".join(">" * n + " a\n" for n in range(1, 40)), "too_deep", id="quotes rising"),
]


@pytest.mark.parametrize(("source", "reason"), PATHOLOGICAL)
def test_pathological_input_is_refused_before_rendering(source, reason, monkeypatch):
    def no_rendering():
        raise AssertionError("render() must refuse before calling python-markdown")

    monkeypatch.setattr(md, "_markdown", no_rendering)
    started = time.perf_counter()
    with pytest.raises(MarkdownRejected) as refused:
        render(source)
    assert time.perf_counter() - started < 0.5  # ~1-5 ms measured; generous for CI
    assert refused.value.reason == reason
    with pytest.raises(MarkdownRejected):
        check(source)


def test_refusal_is_a_service_error_on_the_body_field():
    with pytest.raises(ServiceError) as refused:
        render("研" * (MAX_BODY_CHARS + 1))
    assert refused.value.field == "body"
    assert "50,000" in refused.value.message


def _long_chinese_post(chars: int) -> str:
    unit = (
        "## 第{i}讲 校本研修的组织与实施\n\n"
        "在本次工作坊的**主题研讨**中，我们围绕“生成性资源”展开了深入交流。"
        "[@zhangli](/u/zhangli) 老师分享了她在初中语文课堂上的做法。\n"
        "课堂观察量表的设计要注意三个维度：学生参与、教师提问、目标达成。"
        "详见[研修简报第{i}期](https://example.edu.cn/briefs/{i})。\n\n"
        "> 教研组要把“问题”变成“课题”，把“经验”变成“成果”。\n\n"
        "1. 明确研修主题，做到*有的放矢*；\n2. 制定观察量表，分工记录；\n3. 课后及时反思。\n\n"
        "| 环节 | 时间 | 负责人 |\n|---|---|---|\n| 说课 | 10分钟 | 李老师 |\n| 观课 | 40分钟 | 全体 |\n\n"
        "```python\ndef 平均(分数):\n    return sum(分数) / len(分数)\n```\n\n"
    )
    text, i = "", 0
    while len(text) < chars:
        text += unit.format(i=i)
        i += 1
    return text[:chars]


def test_long_realistic_chinese_post_renders():
    source = _long_chinese_post(MAX_BODY_CHARS)
    started = time.perf_counter()
    page = soup(render(source))
    assert time.perf_counter() - started < 2  # 0.06 s measured
    assert len(page.find_all("h3")) > 100 and page.find("table") and page.find("blockquote")


def test_recursion_error_becomes_a_clear_refusal(monkeypatch):
    monkeypatch.setattr(md, "_check", lambda text: None)
    with pytest.raises(MarkdownRejected) as refused:
        render("- " * 2500 + "a")
    assert refused.value.reason == "recursion"
    assert "嵌套" in refused.value.message


def test_a_render_over_the_deadline_is_abandoned(monkeypatch):
    monkeypatch.setattr(md, "_check", lambda text: None)
    monkeypatch.setattr(md, "RENDER_TIMEOUT", 0.05)
    handler = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    with pytest.raises(MarkdownRejected) as refused:
        render("[" * 8000)  # ~6 s unbounded
    assert time.perf_counter() - started < 1
    assert refused.value.reason == "timeout"
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_deadline_leaves_an_alarm_set_by_someone_else_alone(monkeypatch):
    monkeypatch.setattr(md, "RENDER_TIMEOUT", 0.01)
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        assert "<strong>" in render("**好**")
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- caching and text -------------------------------------------------------------------


def test_render_cached_renders_each_body_once():
    md._render_source.cache_clear()
    first = render_cached("**缓存**的正文")
    second = render_cached("**缓存**的正文")
    assert first == second == render("**缓存**的正文")
    info = md._render_source.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_render_cached_does_not_cache_refusals():
    md._render_source.cache_clear()
    for _ in range(2):
        with pytest.raises(MarkdownRejected):
            render_cached("[" * 8000)
    assert md._render_source.cache_info().currsize == 0


def test_renderer_version_is_a_positive_int():
    assert isinstance(md.RENDERER_VERSION, int) and md.RENDERER_VERSION >= 1


def test_line_endings_and_control_characters_are_normalised():
    assert render("一\r\n二\r三\x00\x02\x03") == render("一\n二\n三")


def test_lone_surrogates_and_empty_bodies_do_not_break_rendering():
    assert render("a\ud800b") == render("ab")
    assert render("") == ""


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<h2>标题</h2><p>第一段<br>第二行</p><ul><li>一</li><li>二</li></ul>", "标题 第一段 第二行 一 二"),
        ("<p>a &amp; b &lt;c&gt;</p>", "a & b <c>"),
        ("<p>  多个\n\n  空白\t </p>", "多个 空白"),
        ("<script>alert(1)</script><p>正文</p>", "正文"),
        ("", ""),
    ],
)
def test_plain_text(html, text):
    assert plain_text(html) == text


def test_plain_text_of_rendered_markdown():
    html = render("# 题目\n\n**加粗**与[链接](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert plain_text(html) == "题目 加粗与链接 a b 1 2"
