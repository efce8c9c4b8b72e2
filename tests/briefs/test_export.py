"""Word exports of briefs, read back with python-docx: the Chinese text, the structure
(headings, lists, quotes, code, tables, links), the booklet's contents, fixed bytes, and
odd HTML that never breaks them.  No app needed."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.shared import Cm

from peixun.briefs.export import BriefExport, booklet_docx, brief_docx
from peixun.core.markdown import render

BODY = render(
    """# 一、活动概况

本期**工作坊**开展了*两次*研讨，~~取消~~的活动不计，代码写作 `print("你好")`。
张丽老师的课例获奖。

1. 集体备课
2. 课堂观摩
    - 观课量表
    - 议课记录

> 教研要扎根课堂。

```
第一行
    缩进的第二行
```

| 姓名 | 学校 |
|:--|--:|
| 张丽 | 兴义八中 |

详见[研修网](https://example.com/a)和[个人主页](/u/3)，或 <https://example.org/b>。

---

![课堂照片](https://example.com/p.png)
"""
)


def _brief(title: str = "春季研修总结", number: int = 3, body: str = BODY, **when: int) -> BriefExport:
    return BriefExport(
        title=title,
        label=f"工作坊简报 第{number}期",
        space_name="兴义市初中语文工作坊",
        author_name="王坊主",
        published_at=datetime(2026, when.get("month", 11), when.get("day", 23), 2, tzinfo=UTC),
        body_html=body,
    )


def _open(data: bytes):
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    return Document(io.BytesIO(data))


def _part(data: bytes, name: str = "word/document.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def _styled(doc, style: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == style]


def test_a_brief_reads_back_in_chinese():
    data = brief_docx(_brief())
    doc = _open(data)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "工作坊简报 第3期　兴义市初中语文工作坊"
    assert _styled(doc, "Title") == ["春季研修总结"]
    assert texts[2] == "王坊主　2026年11月23日"
    assert _styled(doc, "Heading 1") == ["一、活动概况"]  # Markdown's "#" is <h2>, the top level here
    paragraph = next(p for p in doc.paragraphs if p.text.startswith("本期"))
    assert (
        paragraph.text
        == '本期工作坊开展了两次研讨，取消的活动不计，代码写作 print("你好")。\n张丽老师的课例获奖。'
    )
    formats = {run.text: (run.bold, run.italic, run.font.strike, run.font.name) for run in paragraph.runs}
    assert formats["工作坊"][0] and formats["两次"][1] and formats["取消"][2]
    assert formats['print("你好")'][3] == "Consolas"
    assert _styled(doc, "List Number") == ["集体备课", "课堂观摩"]
    assert _styled(doc, "List Bullet 2") == ["观课量表", "议课记录"]
    assert _styled(doc, "Quote") == ["教研要扎根课堂。"]
    assert _styled(doc, "Code Block") == ["第一行\n    缩进的第二行"]
    assert "[图片：课堂照片]" in texts


def test_tables_links_page_and_fonts():
    data = brief_docx(_brief())
    doc = _open(data)
    (table,) = doc.tables
    assert table.style.name == "Table Grid"
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["姓名", "学校"],
        ["张丽", "兴义八中"],
    ]
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    links = next(p.text for p in doc.paragraphs if p.text.startswith("详见"))
    assert links == "详见研修网（https://example.com/a）和个人主页，或 https://example.org/b。"
    rels = _part(data, "word/_rels/document.xml.rels")
    assert 'Target="https://example.com/a"' in rels and "/u/3" not in rels
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
    styles = _part(data, "word/styles.xml")
    assert 'w:eastAsia="宋体"' in styles and 'w:eastAsia="黑体"' in styles
    heading = re.search(r'<w:style [^>]*w:styleId="Heading1".*?</w:style>', styles, re.DOTALL).group()
    assert 'w:eastAsia="黑体"' in heading and "eastAsiaTheme" not in heading


def test_each_ordered_list_counts_from_its_own_start():
    data = brief_docx(_brief(body="<ol><li>一</li><li>二</li></ol><p>间隔</p><ol start='5'><li>五</li></ol>"))
    assert _styled(_open(data), "List Number") == ["一", "二", "五"]
    numbering = _part(data, "word/numbering.xml")
    assert re.findall(r'<w:startOverride w:val="(\d+)"/>', numbering) == ["1", "5"]
    assert len(set(re.findall(r'<w:numId w:val="(\d+)"/>', _part(data)))) == 2


def test_the_same_brief_gives_the_same_bytes():
    brief = _brief()
    data = brief_docx(brief)
    assert brief_docx(brief) == data
    props = _open(data).core_properties
    assert props.author == "研修社区" and props.title == "春季研修总结"
    assert props.created == props.modified == datetime(2026, 11, 23, 2, tzinfo=UTC)


def test_the_booklet_has_a_cover_contents_and_every_brief_in_order():
    briefs = [
        _brief("开班典礼", 1, "<p>第一期正文</p>", month=9, day=1),
        _brief("中期推进", 2, "<h2>小标题</h2><p>第二期正文</p>", month=12, day=5),
        _brief("结业总结", 3, "<ul><li>第三期要点</li></ul>", month=11, day=23),
    ]
    data = booklet_docx("兴义市初中语文工作坊 简报汇编", "兴义市初中语文工作坊", briefs)
    assert booklet_docx("兴义市初中语文工作坊 简报汇编", "兴义市初中语文工作坊", briefs) == data
    doc = _open(data)
    texts = [p.text for p in doc.paragraphs]
    assert _styled(doc, "Title") == ["兴义市初中语文工作坊 简报汇编"]
    assert "2026年09月01日 至 2026年12月05日" in texts and "共 3 期" in texts
    assert re.search(r"<w:instrText[^>]*>\s*TOC ", _part(data))
    assert _styled(doc, "Contents Entry") == [
        "工作坊简报 第1期　开班典礼\t2026年09月01日",
        "工作坊简报 第2期　中期推进\t2026年12月05日",
        "工作坊简报 第3期　结业总结\t2026年11月23日",
    ]
    headings = _styled(doc, "Heading 1")
    assert headings == [
        "工作坊简报 第1期　开班典礼",
        "工作坊简报 第2期　中期推进",
        "工作坊简报 第3期　结业总结",
    ]
    assert doc.styles["Heading 1"].paragraph_format.page_break_before
    assert _styled(doc, "Heading 2") == ["小标题"]  # bodies sit one level below their brief
    order = [texts.index(text) for text in ("第一期正文", "第二期正文", "第三期要点")]
    assert order == sorted(order) and order[0] > texts.index(headings[0])
    assert doc.core_properties.modified == datetime(2026, 12, 5, 2, tzinfo=UTC)


def test_an_empty_booklet_still_opens():
    doc = _open(booklet_docx("空的汇编", "某工作坊", []))
    assert "共 0 期" in [p.text for p in doc.paragraphs]


def _nested(depth: int) -> str:
    return "".join(f"<ul><li>第{level}层" for level in range(1, depth + 1)) + "</li></ul>" * depth


ODD = {
    "nested lists 5 deep": _nested(5),
    "nested 400 deep": _nested(400) + "<strong>" * 3000 + "深" + "</strong>" * 3000,
    "empty tags": "<p></p><ul></ul><ol><li></li></ol><table></table><blockquote></blockquote><pre></pre>"
    "<h2></h2><a></a><strong></strong><img><hr><tr></tr><td></td>",
    "uneven table": "<table><tr><th>甲</th></tr><tr><td>1</td><td>2</td><td>3</td></tr><tr><td>4</td></tr></table>",
    "wide table": "<table><tr>" + "<td>格</td>" * 100 + "</tr></table>",
    "entities": "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#0; &#12; &#x1F600;</p>",
    "control characters": "<p>a\x00b\x0bc\ud800d</p><a href='https://例子.cn/a b'>\x01链接</a>",
    "unclosed and stray": "<ul><li>一<li>二<ol><li>三</ul>尾</p></li></td><p>段<table><tr><td>x<td>y",
    "odd attributes": "<ol start='99999999999999999999'><li>x</li></ol><ol start='x'><li>y</li></ol>"
    "<a href='javascript:alert(1)'>j</a><img alt=''><h7>七</h7><td align='justify'>z</td>",
    "very long": "<p>" + "研修" * 100_000 + "</p>",
}


@pytest.mark.parametrize("html", ODD.values(), ids=ODD.keys())
def test_odd_html_never_breaks_the_document(html):
    doc = _open(brief_docx(_brief(body=html)))
    assert doc.paragraphs[1].text == "春季研修总结"
    assert _open(booklet_docx("汇编", "空间", [_brief(body=html)] * 2))


def test_odd_html_keeps_its_text():
    nested = _open(brief_docx(_brief(body=ODD["nested lists 5 deep"])))
    items = [p for p in nested.paragraphs if p.text.startswith("第")]
    assert [p.text for p in items] == [f"第{level}层" for level in range(1, 6)]
    indents = [p.paragraph_format.left_indent for p in items]
    assert indents == sorted(indents) and len(set(indents)) == 5
    uneven = _open(brief_docx(_brief(body=ODD["uneven table"]))).tables[0]
    assert [[cell.text for cell in row.cells] for row in uneven.rows] == [
        ["甲", "", ""],
        ["1", "2", "3"],
        ["4", "", ""],
    ]
    assert len(_open(brief_docx(_brief(body=ODD["wide table"]))).tables[0].columns) == 63
    texts = [p.text for p in _open(brief_docx(_brief(body=ODD["entities"]))).paragraphs]
    assert "<script>alert(1)</script> & \ufffd 😀" in texts
    long = _open(brief_docx(_brief(body=ODD["very long"])))
    assert len(long.paragraphs[3].text) == 200_000
