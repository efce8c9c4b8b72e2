"""Briefs as Word documents: one issue, or a booklet of them all (汇编成册).  Bodies are the
sanitised HTML of peixun.core.markdown, walked as an html.parser tree into Word paragraphs,
lists, quotes, code and tables; images are not fetched but shown as "[图片：alt]"."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph

from peixun.core.text import date_cn

AUTHOR = "研修社区"
BODY_FONT, HEADING_FONT = "宋体", "黑体"
LATIN_FONT, SANS_FONT, CODE_FONT = "Times New Roman", "Arial", "Consolas"
MAX_NESTING = 32  # tags deeper than this are dropped, their text kept: the walk recurses per level
STEP = 360  # twips of indentation per list or quote level, as in the list styles
_BLACK, _GREY, _LINK = RGBColor(0, 0, 0), RGBColor(0x59, 0x59, 0x59), RGBColor(0x05, 0x63, 0xC1)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_clean = partial(_NOT_XML.sub, "")  # what XML 1.0 cannot hold: control characters, lone surrogates
_SPACE = re.compile(r"[ \t\n\r\f]+")
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # and letters, digits, "_.-"; the rest is %-escaped, as Word wants
_ABSOLUTE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)  # others are the site's: text only
_VOID = {"br", "hr", "img"}
_FORMATS = dict(strong="bold", b="bold", em="italic", i="italic", s="strike", code="code") | {"del": "strike"}
_INLINE = {*_FORMATS, "a", "img", "br", "span", "u", "sup", "sub", "small", "mark", "kbd"}
_ALIGN = {name: getattr(WD_ALIGN_PARAGRAPH, name.upper()) for name in ("left", "center", "right")}
# What may follow <w:pBdr> and <w:shd> in our paragraphs, in schema order (Word wants that order).
_PPR_AFTER = ("w:tabs", "w:spacing", "w:ind", "w:contextualSpacing", "w:jc", "w:outlineLvl", "w:rPr")
_TOC_HINT = "（在 Word 中右键单击此处，选择“更新域”，即生成带页码的目录。）"


@dataclass(frozen=True)
class BriefExport:
    title: str
    label: str  # e.g. "工作坊简报 第3期"
    space_name: str
    author_name: str
    published_at: datetime
    body_html: str


def brief_docx(brief: BriefExport) -> bytes:
    """One issue as an A4 Word document: label and space, title, byline, body."""
    doc = _new_document()
    doc.add_paragraph(_clean(f"{brief.label}　{brief.space_name}"), style="Brief Kicker")
    doc.add_paragraph(_clean(brief.title), style="Title")
    doc.add_paragraph(_clean(f"{brief.author_name}　{date_cn(brief.published_at)}"), style="Byline")
    _Body(doc, heading_offset=0).write(brief.body_html)
    return _save(doc, brief.title, brief.published_at)


def booklet_docx(title: str, space_name: str, briefs: list[BriefExport]) -> bytes:
    """All issues in one document: a cover; a contents page (a TOC field, filled when
    Word updates it, and a plain list that needs no update); each issue on a new page."""
    doc = _new_document()
    dates = sorted(brief.published_at for brief in briefs)
    doc.add_paragraph().paragraph_format.space_before = Cm(6)
    doc.add_paragraph(_clean(title), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    first, last = (date_cn(dates[0]), date_cn(dates[-1])) if dates else ("", "")
    span = first if first == last else f"{first} 至 {last}"
    for line, size in ((space_name, 16), (span, 14), (f"共 {len(briefs)} 期", 14)):
        doc.add_paragraph(style="Cover Line").add_run(_clean(line)).font.size = Pt(size)
    doc.styles["Heading 1"].paragraph_format.page_break_before = True  # each issue, and the contents
    doc.add_paragraph("目录", style="TOC Heading")
    _field(doc.add_paragraph(), ' TOC \\o "1-1" \\h \\z \\u ', _TOC_HINT)
    doc.add_paragraph("全部简报", style="Brief Kicker").paragraph_format.space_before = Pt(18)
    for brief in briefs:
        line = f"{brief.label}　{brief.title}\t{date_cn(brief.published_at)}"
        doc.add_paragraph(_clean(line), style="Contents Entry")
    for brief in briefs:
        doc.add_paragraph(_clean(f"{brief.label}　{brief.title}"), style="Heading 1")
        doc.add_paragraph(_clean(f"{brief.author_name}　{date_cn(brief.published_at)}"), style="Byline")
        _Body(doc, heading_offset=1).write(brief.body_html)
    doc.sections[0].different_first_page_header_footer = True  # no page number on the cover
    return _save(doc, title, dates[-1] if dates else datetime(2000, 1, 1, tzinfo=UTC))


_STYLES = (  # name, Latin font, East Asian font, size and space after (pt), colour
    ("Normal", LATIN_FONT, BODY_FONT, 12, None, None),
    ("Title", SANS_FONT, HEADING_FONT, 22, None, _BLACK),
    ("Heading 1", SANS_FONT, HEADING_FONT, 16, None, _BLACK),
    ("Heading 2", SANS_FONT, HEADING_FONT, 14, None, _BLACK),
    ("Heading 3", SANS_FONT, HEADING_FONT, 12, None, _BLACK),
    ("TOC Heading", SANS_FONT, HEADING_FONT, 16, None, _BLACK),
    ("Brief Kicker", SANS_FONT, HEADING_FONT, 10.5, 4, _GREY),
    ("Byline", LATIN_FONT, BODY_FONT, 10.5, 12, _GREY),
    ("Code Block", CODE_FONT, BODY_FONT, 10, 6, None),
    ("Cover Line", LATIN_FONT, BODY_FONT, 12, None, None),
    ("Contents Entry", LATIN_FONT, BODY_FONT, 12, 4, None),
)


def _new_document() -> Any:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2.5)
    styles = doc.styles
    defaults = styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(defaults.find(qn("w:rFonts")), LATIN_FONT, BODY_FONT)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    for name, latin, east_asian, size, after, colour in _STYLES:
        style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        _set_fonts(style.element.get_or_add_rPr().get_or_add_rFonts(), latin, east_asian)
        style.font.size = Pt(size)
        if after is not None:
            style.paragraph_format.space_after = Pt(after)
        style.font.color.rgb = colour
    styles["Code Block"].paragraph_format.line_spacing = 1.0
    for name in ("Cover Line", "Footer"):
        styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    shade = _el("w:shd", val="clear", fill="F2F2F2")
    styles["Code Block"].element.get_or_add_pPr().insert_element_before(shade, *_PPR_AFTER)
    tabs = styles["Contents Entry"].paragraph_format.tab_stops
    tabs.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    return doc


def _set_fonts(fonts: Any, latin: str, east_asian: str) -> None:
    """Explicit fonts; a theme font would win over them, so those go."""
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    fonts.attrib.update({qn("w:ascii"): latin, qn("w:hAnsi"): latin, qn("w:eastAsia"): east_asian})


def _el(tag: str, **attrs: str) -> Any:
    return OxmlElement(tag, {qn(f"w:{key}"): value for key, value in attrs.items()})


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A complex field: begin, instruction, separate, the text shown until updated, end."""
    instr = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    instr.text = instruction
    for part in (_el("w:fldChar", fldCharType="begin"), instr, _el("w:fldChar", fldCharType="separate")):
        paragraph.add_run()._r.append(part)
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(_el("w:fldChar", fldCharType="end"))


def _save(doc: Any, title: str, when: datetime) -> bytes:
    """Page numbers, then the bytes: the same for the same input (fixed properties, zip times)."""
    _field(doc.sections[0].footer.paragraphs[0], " PAGE ", "1")
    when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    props = doc.core_properties
    props.author = props.last_modified_by = AUTHOR
    props.title, props.comments = _clean(title)[:255], ""
    props.created = props.modified = when
    raw, out = io.BytesIO(), io.BytesIO()
    doc.save(raw)
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info))
    return out.getvalue()


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Forgiving: stray end tags are ignored, unclosed tags close with their parent."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack, self.dropped = [_Node("body")], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.stack) > MAX_NESTING:
            self.dropped += [] if tag in _VOID else [tag]
            return
        self.stack[-1].children.append(node := _Node(tag, {key: value or "" for key, value in attrs}))
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.dropped and self.dropped[-1] == tag:
            self.dropped.pop()
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


_Format = frozenset[str]  # of "bold", "italic", "strike", "code", "pre" (spaces and breaks kept)


@dataclass
class _Place:
    container: Any  # where blocks go: the document or a table cell
    level: int = 0  # of indentation: lists and quotes
    quoted: bool = False
    fmt: _Format = frozenset()
    align: str | None = None
    item: tuple[str, int | None] | None = None  # a list item's first paragraph: style, numId
    reuse: Any = None  # a cell's own empty first paragraph


class _Body:
    def __init__(self, doc: Any, heading_offset: int) -> None:
        self.doc, self.offset = doc, heading_offset
        self.paragraph: Any = None  # open for inline content
        self.link: Any = None  # the <w:hyperlink> runs go into
        self.line_start = True
        self.end = doc.element.body.sectPr  # new paragraphs go before it

    def write(self, html: str) -> None:
        (builder := _TreeBuilder()).feed(html)
        builder.close()
        self._blocks(builder.stack[0], _Place(self.doc))

    def _blocks(self, node: _Node, place: _Place) -> None:
        for child in node.children:
            if isinstance(child, str) or child.tag in _INLINE:
                if self.paragraph is None and isinstance(child, str) and not child.strip():
                    continue
                if self.paragraph is None:
                    self._open(place)
                self._inline(child, place.fmt)
            else:
                self._close()
                self._block(child, place)
        self._close()

    def _block(self, node: _Node, place: _Place) -> None:
        if re.fullmatch("h[1-6]", node.tag):
            self._open(place, f"Heading {min(max(int(node.tag[1]) - 1 + self.offset, 1), 3)}")
            self._inline(node, place.fmt)
        elif node.tag == "pre":
            self._open(place, "Code Block")
            self._inline(node, place.fmt | {"pre"})
        elif node.tag == "hr":
            rule = _el("w:pBdr")
            rule.append(_el("w:bottom", val="single", sz="6", space="1", color="auto"))
            self._open(place)._p.get_or_add_pPr().insert_element_before(rule, "w:shd", *_PPR_AFTER)
        elif node.tag in {"ul", "ol"}:
            self._list(node, place)
        elif node.tag == "blockquote":
            self._blocks(node, replace(place, level=place.level + 1, quoted=True, item=None, reuse=None))
        elif node.tag == "table":
            self._table(node, place)
        else:  # p, div, a stray li or table part, an unknown tag: its content
            self._blocks(node, place)
        self._close()

    def _open(self, place: _Place, style: str | None = None) -> Any:
        paragraph, place.reuse = place.reuse or self._add_paragraph(place.container), None
        if style is None and place.item is not None:
            (style, num_id), place.item = place.item, None
            if num_id is not None:
                numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                numbering.get_or_add_ilvl().val, numbering.get_or_add_numId().val = 0, num_id
            paragraph.paragraph_format.first_line_indent = Twips(-STEP)
        style = style or ("Quote" if place.quoted else "Normal")
        paragraph._p.style = style.replace(" ", "")  # its id; python-docx finds a name slowly (1 ms)
        if place.level and not style.startswith("Heading"):
            paragraph.paragraph_format.left_indent = Twips(STEP * place.level)
        if place.align in _ALIGN:
            paragraph.alignment = _ALIGN[place.align]
        self.paragraph, self.line_start = paragraph, True
        return paragraph

    def _add_paragraph(self, container: Any) -> Paragraph:
        """Document.add_paragraph() looks for the end of the body from its start: quadratic."""
        if container is not self.doc:
            return container.add_paragraph()
        self.end.addprevious(p := OxmlElement("w:p"))
        return Paragraph(p, self.doc._body)

    def _close(self) -> None:
        self.paragraph = None

    def _list(self, node: _Node, place: _Place) -> None:
        depth = min(place.level + 1, 3)
        style = ("List Number" if node.tag == "ol" else "List Bullet") + ("" if depth == 1 else f" {depth}")
        num_id = self._restart(style, node.attrs.get("start", "1")) if node.tag == "ol" else None
        inner = replace(place, level=place.level + 1, reuse=None)
        for child in node.children:  # anything but an <li> is wrapped in one without a marker
            item = (style, num_id) if _is(child, {"li"}) else None
            self._blocks(child if item else _Node("li", children=[child]), replace(inner, item=item))

    def _restart(self, style: str, start: str) -> int:
        """A numbering instance of the style's own, so each <ol> counts from its start."""
        numbering = self.doc.part.numbering_part.element
        style_num = self.doc.styles[style].element.pPr.numPr.numId.val
        num = numbering.add_num(numbering.num_having_numId(style_num).abstractNumId.val)
        num.add_lvlOverride(ilvl=0).add_startOverride(int(start[:9]) if start.isdecimal() else 1)
        return num.numId

    def _table(self, node: _Node, place: _Place) -> None:
        """Uneven rows padded; a row of <th> only is a header row, repeated on each page."""
        rows = [[cell for cell in row.children if _is(cell, {"td", "th"})] for row in _rows(node)]
        rows = [cells for cells in rows if cells]
        if not rows:
            return
        columns = min(max(len(cells) for cells in rows), 63)  # Word's limit; the rest join the last
        table = place.container.add_table(len(rows), columns)
        table.style = self.doc.styles["Table Grid"]
        for row, cells in zip(table.rows, rows, strict=True):
            if all(cell.tag == "th" for cell in cells):
                row._tr.get_or_add_trPr().append(_el("w:tblHeader"))
            targets = row.cells
            for index, cell in enumerate(cells):
                target = targets[min(index, columns - 1)]
                fmt = place.fmt | {"bold"} if cell.tag == "th" else place.fmt
                last = target.paragraphs[-1]
                reuse = None if last.text else last
                self._blocks(cell, _Place(target, fmt=fmt, align=cell.attrs.get("align"), reuse=reuse))

    def _inline(self, node: _Node | str, fmt: _Format) -> None:
        if isinstance(node, str):
            self._text(node, fmt)
        elif node.tag == "br":
            self._run("", fmt).add_break()
            self.line_start = True
        elif node.tag == "img":
            alt = " ".join(node.attrs.get("alt", "").split())
            self._text(f"[图片：{alt}]" if alt else "[图片]", fmt - {"pre"})
        elif node.tag == "a" and self.link is None and _ABSOLUTE.match(node.attrs.get("href", "").strip()):
            self._link(node, quote(node.attrs["href"].strip(), safe=_URL_SAFE), fmt)
        else:
            if node.tag in _FORMATS:
                fmt = fmt | {_FORMATS[node.tag]}
            for child in node.children:
                self._inline(child, fmt)

    def _link(self, node: _Node, href: str, fmt: _Format) -> None:
        """A real hyperlink, then its address in brackets unless that is its text."""
        link = _el("w:hyperlink")
        link.set(qn("r:id"), self.doc.part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
        self.paragraph._p.append(link)
        before = len(self.paragraph.text)
        self.link = link
        for child in node.children:
            self._inline(child, fmt)
        self.link = None
        address = href.removeprefix("mailto:")
        if self.paragraph.text[before:].strip() not in {href, address}:
            self._text(f"（{address}）", fmt - {"pre"})

    def _text(self, text: str, fmt: _Format) -> None:
        text = _clean(text)  # charrefs can make control characters
        if "pre" in fmt:  # python-docx writes "\n" as a line break
            self._run(text.removesuffix("\n"), fmt)
            return
        text = _SPACE.sub(" ", text)
        text = text.lstrip(" ") if self.line_start else text
        if text:
            self._run(text, fmt)
            self.line_start = False

    def _run(self, text: str, fmt: _Format) -> Any:
        run = self.paragraph.add_run(text)
        run.bold, run.italic = "bold" in fmt or None, "italic" in fmt or None
        run.font.strike = "strike" in fmt or None
        if fmt & {"code", "pre"}:
            run.font.name = CODE_FONT
        if self.link is not None:  # inside a <w:hyperlink>
            run.font.underline, run.font.color.rgb = True, _LINK
            self.link.append(run._r)
        return run


def _is(node: _Node | str, tags: set[str]) -> bool:
    return isinstance(node, _Node) and node.tag in tags


def _rows(node: _Node) -> Iterator[_Node]:
    """A table's rows, inside thead, tbody or tfoot or not, but not a nested table's."""
    for child in node.children:
        if _is(child, {"tr"}):
            yield child
        elif isinstance(child, _Node) and child.tag != "table":
            yield from _rows(child)
