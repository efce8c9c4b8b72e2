"""The lesson design diff: character-level marks for Chinese, words for Latin, line
numbers, context collapsing, escaping, normalisation, bounds, and the macro."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from peixun.lessons.diff import DesignDiff, Row, diff_designs


def changes(d: DesignDiff) -> list[Row]:
    return [row for row in d.rows if row.kind not in ("same", "skip")]


def only_change(d: DesignDiff) -> Row:
    [row] = changes(d)
    return row


def test_chinese_insertion_marks_exactly_the_inserted_characters():
    d = diff_designs("学生分组讨论课文的主要内容", "学生先独立思考，再分组讨论课文的主要内容")
    row = only_change(d)
    assert (row.kind, row.old_no, row.new_no) == ("changed", 1, 1)
    assert row.old_html == "学生分组讨论课文的主要内容"
    assert row.new_html == "学生<ins>先独立思考，再</ins>分组讨论课文的主要内容"
    assert row.inline_html == row.new_html
    assert isinstance(row.new_html, Markup)
    assert (d.summary.added, d.summary.removed, d.summary.changed) == (0, 0, 1)
    assert d.summary.text == "修改 1 行"
    assert d.detailed


def test_chinese_replacement_is_marked_by_character():
    row = only_change(diff_designs("本节课共40分钟，教师讲解重点", "本节课共45分钟，学生讲解重点"))
    assert row.old_html == "本节课共<del>40</del>分钟，<del>教师</del>讲解重点"
    assert row.new_html == "本节课共<ins>45</ins>分钟，<ins>学生</ins>讲解重点"
    assert row.inline_html == "本节课共<del>40</del><ins>45</ins>分钟，<del>教师</del><ins>学生</ins>讲解重点"


def test_a_latin_word_is_one_token():
    row = only_change(diff_designs("课前用PPT展示 the old slides", "课前用PowerPoint展示 the new slides"))
    assert row.old_html == "课前用<del>PPT</del>展示 the <del>old</del> slides"
    assert row.new_html == "课前用<ins>PowerPoint</ins>展示 the <ins>new</ins> slides"


def test_a_short_equal_run_between_changes_is_folded_into_them():
    row = only_change(diff_designs("我们讨论了课文内容和结构", "他们阅读了课文内容和结构"))
    assert row.old_html == "<del>我们讨论</del>了课文内容和结构"
    assert row.new_html == "<ins>他们阅读</ins>了课文内容和结构"


def test_added_and_removed_lines_keep_their_numbers():
    old = "# 教学目标\n1. 理解课文\n2. 朗读课文\n3. 背诵课文"
    new = "# 教学目标\n1. 理解课文\n3. 背诵课文\n4. 完成练习"
    d = diff_designs(old, new)
    assert [(r.kind, r.old_no, r.new_no) for r in d.rows] == [
        ("same", 1, 1),
        ("same", 2, 2),
        ("removed", 3, None),
        ("same", 4, 3),
        ("added", None, 4),
    ]
    removed, added = d.rows[2], d.rows[4]
    assert (removed.old_html, removed.new_html) == ("<del>2. 朗读课文</del>", "")
    assert (added.old_html, added.new_html) == ("", "<ins>4. 完成练习</ins>")
    assert d.summary.text == "新增 1 行，删除 1 行"


def test_lines_in_a_rewritten_block_are_paired_by_similarity():
    old = "导入\n学生分组讨论课文的主要内容\n小结"
    new = "导入\n## 新的环节\n学生先独立思考，再分组讨论课文的主要内容\n教学反思：本课重点突出。\n小结"
    d = diff_designs(old, new)
    assert [(r.kind, r.old_no, r.new_no) for r in d.rows] == [
        ("same", 1, 1),
        ("added", None, 2),
        ("changed", 2, 3),
        ("added", None, 4),
        ("same", 3, 5),
    ]
    assert d.summary.text == "新增 2 行，修改 1 行"


def test_a_line_that_grew_is_a_changed_line():
    row = only_change(diff_designs("教学反思", "教学反思：本课重点突出，但时间分配不够合理。"))
    assert row.kind == "changed"
    assert row.new_html == "教学反思<ins>：本课重点突出，但时间分配不够合理。</ins>"


def test_unrelated_lines_are_removed_and_added():
    d = diff_designs("我们讨论了课文", "他们阅读了文章")
    assert [r.kind for r in d.rows] == ["removed", "added"]
    assert d.summary.text == "新增 1 行，删除 1 行"


def test_all_three_counts_in_the_summary():
    d = diff_designs("甲\n第3课时\n乙\n丙丁戊己", "甲\n第4课时\n乙\n新内容在这里\n")
    assert d.summary.text == "新增 1 行，删除 1 行，修改 1 行"
    assert d.summary.total == 3 and d.changed


def test_unchanged_runs_collapse_to_context():
    old = [f"第{i}行的教学内容" for i in range(1, 31)]
    new = list(old)
    new[14] = "第15行的教学内容（已修改）"
    d = diff_designs("\n".join(old), "\n".join(new))
    kinds = [(r.kind, r.old_no) for r in d.rows]
    assert kinds == [
        ("skip", None),
        ("same", 13),
        ("same", 14),
        ("changed", 15),
        ("same", 16),
        ("same", 17),
        ("skip", None),
    ]
    assert (d.rows[0].skipped, d.rows[-1].skipped) == (12, 13)
    assert d.rows[0].old_html == d.rows[0].inline_html == "省略 12 行未改动的内容"


def test_changes_close_together_share_their_context():
    old = [f"第{i}行" for i in range(1, 11)]
    new = list(old)
    new[2], new[7] = "第3行改", "第8行改"
    d = diff_designs("\n".join(old), "\n".join(new))
    assert "skip" not in [r.kind for r in d.rows[1:-1]]
    assert [r.old_no for r in d.rows if r.kind == "changed"] == [3, 8]


def test_input_is_escaped():
    old = '<script>alert("x")</script>\n相同 & 不变\n<b>旧</b>'
    new = '<script>alert("y")</script>\n相同 & 不变\n<b>旧</b>\n<img src=x onerror=alert(1)>'
    d = diff_designs(old, new)
    for row in d.rows:
        for html in (row.old_html, row.new_html, row.inline_html):
            assert "<script" not in html and "<b>" not in html and "<img" not in html
    assert d.rows[0].old_html == "&lt;script&gt;alert(&#34;<del>x</del>&#34;)&lt;/script&gt;"
    assert d.rows[1].new_html == "相同 &amp; 不变"
    assert d.rows[-1].new_html == "<ins>&lt;img src=x onerror=alert(1)&gt;</ins>"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("一\r\n二\r\n", "一\n二\n"),
        ("一\r二\r", "一\n二"),
        ("一  \n二\t\n\n\n", "一\n二"),
        ("\ufeff一\n二", "一\n二"),
    ],
)
def test_newlines_and_trailing_whitespace_are_not_changes(old, new):
    d = diff_designs(old, new)
    assert not d.changed
    assert d.summary.total == 0 and d.summary.text == "两个版本内容相同"


def test_identical_texts_have_no_changes():
    text = "\n".join(f"第{i}段" for i in range(10))
    d = diff_designs(text, text)
    assert not d.changed and d.detailed
    assert [(r.kind, r.skipped) for r in d.rows] == [("skip", 10)]


def test_a_whitespace_change_inside_a_line_is_shown():
    row = only_change(diff_designs("学生 讨论", "学生  讨论"))
    assert row.old_html == "学生<del> </del>讨论"
    assert row.new_html == "学生<ins>  </ins>讨论"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", ""),
        ("", "新内容"),
        ("旧内容", ""),
        ("   \n\n\t", ""),
        ("\x00\u2028😀\t", "\x00😀😀"),
        ("\n\n\n一", "一\n\n\n"),
        ("\r\r\r", "\n"),
    ],
)
def test_odd_inputs_do_not_raise(old, new):
    d = diff_designs(old, new)
    assert isinstance(d, DesignDiff)
    assert d.summary.total == len(changes(d))


def test_empty_to_text_is_all_added():
    d = diff_designs("", "一\n二")
    assert [(r.kind, r.new_no) for r in d.rows] == [("added", 1), ("added", 2)]


def test_a_huge_text_falls_back_to_lines_quickly():
    old = [f"第{i}行：学生活动与教师指导" for i in range(30_000)]
    new = list(old)
    new[100] = "第100行：学生活动与教师指导（改）"
    start = time.perf_counter()
    d = diff_designs("\n".join(old), "\n".join(new))
    assert time.perf_counter() - start < 3
    assert not d.detailed
    assert [(r.kind, r.old_no, r.new_no) for r in changes(d)] == [
        ("removed", 101, None),
        ("added", None, 101),
    ]
    assert changes(d)[1].new_html == "<ins>第100行：学生活动与教师指导（改）</ins>"
    assert d.summary.text == "新增 1 行，删除 1 行"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n".join(["甲", "乙"] * 5_000), "\n".join(["乙", "甲"] * 5_000)),  # many repeated lines
        ("学生" * 100_000, "生学" * 100_000),  # one long line of repeated characters
        ("课" * 400_001, "课"),  # over the character bound
    ],
)
def test_pathological_inputs_return_quickly(old, new):
    start = time.perf_counter()
    d = diff_designs(old, new)
    assert time.perf_counter() - start < 3
    assert not d.detailed and d.changed


def render(app, d: DesignDiff, old_label: str = "一备", new_label: str = "二备") -> str:
    macro = app.jinja_env.get_template("lessons/_diff.html").module.design_diff
    return str(macro(d, old_label, new_label))


def test_the_macro_renders_a_table_and_an_inline_list(app):
    old = "# 教学过程\n学生分组讨论课文的主要内容\n<script>alert(1)</script>\n小结"
    new = "# 教学过程\n学生先独立思考，再分组讨论课文的主要内容\n小结\n<img src=x onerror=alert(1)>"
    d = diff_designs(old, new)
    html = render(app, d, "一备<i>x</i>", "二备")
    soup = BeautifulSoup(html, "html.parser")
    table = soup.select_one("table.diff.diff-side")
    inline = soup.select_one("ul.diff.diff-inline")
    assert table is not None and inline is not None
    assert len(table.select("tbody tr")) == len(inline.select("li")) == len(d.rows)
    assert [th.get_text() for th in table.select("th[scope=col]")] == ["一备<i>x</i>", "二备"]
    assert soup.find("script") is None and soup.find("img") is None and soup.find("i") is None
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert table.select_one("tr.d-changed ins").get_text() == "先独立思考，再"
    assert inline.select_one("li.d-removed del").get_text() == "<script>alert(1)</script>"
    assert soup.select_one(".diff-summary").get_text() == "新增 1 行，删除 1 行，修改 1 行"


def test_the_macro_says_when_nothing_changed(app):
    html = render(app, diff_designs("一\n二", "一\r\n二\r\n"))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".diff-summary").get_text() == "两个版本内容相同"
    assert soup.find("table") is None and soup.find("ul") is None


def test_the_macro_says_when_changes_are_by_whole_lines(app):
    html = render(app, diff_designs("课" * 400_001, "课"))
    assert "部分改动只按整行比较" in html
