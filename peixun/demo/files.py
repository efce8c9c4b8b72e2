"""Real small documents made in memory for the demo's resources: Word, PowerPoint, PDF, Excel.

Deterministic: the same input gives the same bytes (ZIP entries and document properties
carry a fixed date; ReportLab runs in invariant mode).  `make_pdf_of_size` and
`make_docx_of_size` make large documents for benchmarks, full of the demo catalogue's
text (peixun.demo.library), numbered and reshuffled on every pass.
"""

from __future__ import annotations

import io
import math
import random
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from xml.sax.saxutils import escape

import docx
import openpyxl
import pptx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from PIL import Image
from pptx.util import Pt as PptPt
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

AUTHOR = "黔西南州研修社区"
DATE = datetime(2018, 9, 12, 8, 0, 0)  # the programme's first day (seed 000)
SEED = 2018

Sections = list[tuple[str, list[str]]]


# ZIP containers.
def _stable_zip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """The same ZIP with every entry dated DATE (and `replace`'s entries swapped in)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, DATE.timetuple()[:6])
            entry.compress_type = info.compress_type
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, replace.get(info.filename) or src.read(info))
    return out.getvalue()


def _set_properties(props, title: str) -> None:
    """python-docx and python-pptx core properties: same API."""
    fixed = {"title": title, "author": AUTHOR, "last_modified_by": AUTHOR, "comments": ""}
    for name, value in {**fixed, "revision": 1, "created": DATE, "modified": DATE}.items():
        setattr(props, name, value)


# Word.
def _new_docx(title: str) -> DocxDocument:
    document = docx.Document()
    _set_properties(document.core_properties, title)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.5)
    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        document.styles[name].element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(title, 0)
    return document


_STEP = re.compile(r"(.{1,20})（(\d+) 分钟）：")  # "情境导入（3 分钟）：…", a step of a lesson


def make_docx(title: str, sections: Sections) -> bytes:
    """A Word document: the title, then a Heading 1 and its paragraphs per section.

    After a 教学过程 section whose paragraphs all start "环节（N 分钟）：" comes a small
    table of the time each step takes (环节, 时间) and their total.
    """
    document = _new_docx(title)
    for heading, paragraphs in sections:
        document.add_heading(heading, 1)
        for text in paragraphs:
            document.add_paragraph(text)
        steps = [_STEP.match(text) for text in paragraphs] if "教学过程" in heading else []
        if steps and all(steps):
            rows = [("环节", "时间")] + [(m[1], f"{m[2]} 分钟") for m in steps if m]
            rows.append(("合计", f"{sum(int(m[2]) for m in steps if m)} 分钟"))
            table = document.add_table(rows=len(rows), cols=2)
            table.style = "Table Grid"
            for table_row, (step, minutes) in zip(table.rows, rows, strict=True):
                table_row.cells[0].text, table_row.cells[1].text = step, minutes
    buffer = io.BytesIO()
    document.save(buffer)
    return _stable_zip(buffer.getvalue())


# PowerPoint.
def make_pptx(title: str, slides: Sections, subtitle: str = AUTHOR) -> bytes:
    """A presentation: a title slide, then one Title-and-Content slide per (title, bullets)."""
    deck = pptx.Presentation()
    _set_properties(deck.core_properties, title)
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = title
    first.placeholders[1].text = subtitle
    for heading, bullets in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        frame = slide.placeholders[1].text_frame
        crowded = len(bullets) > 4 or sum(len(b) for b in bullets) > 120
        for number, bullet in enumerate(bullets):
            paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
            paragraph.text = bullet
            paragraph.font.size = PptPt(18 if crowded else 24)
    buffer = io.BytesIO()
    deck.save(buffer)
    return _stable_zip(buffer.getvalue())


# Excel.
def _display_width(value: object) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))  # CJK is two columns wide


def make_xlsx(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    """A workbook with one sheet: the title (merged across), the bold header, the rows."""
    book = openpyxl.Workbook()
    props = book.properties
    props.title, props.creator, props.lastModifiedBy = title, AUTHOR, AUTHOR
    props.created = props.modified = DATE
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Sheet1"
    columns = max(len(header), 1)
    sheet.append([title])
    if columns > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append(list(row))
    for column in range(1, columns + 1):
        values = [header[column - 1]] + [row[column - 1] for row in rows if len(row) >= column]
        width = min(max(_display_width(v) for v in values) + 2, 60)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        core = archive.read("docProps/core.xml").decode()
    # openpyxl stamps `modified` with the time of saving: put DATE back.
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*", DATE.strftime(r"\g<1>%Y-%m-%dT%H:%M:%SZ"), core)
    return _stable_zip(buffer.getvalue(), {"docProps/core.xml": core.encode()})


# PDF.

FONT = "STSong-Light"  # a CID font every PDF reader has: no font file to embed
PAGE_W, PAGE_H = A4
MARGIN = 56.0  # points, about 2 cm
TEXT_W = PAGE_W - 2 * MARGIN
BODY, HEADING, TITLE = 10.5, 14.0, 18.0
LEADING = 1.6
# Never start a line with CLOSING (they hang at the end of the line before), nor end one
# with OPENING (it moves to the next line).
CLOSING, OPENING = set("，。、；：？！）》」』”’%"), set("（《「『“‘")
# A run of printable ASCII (an English word, a number) wraps as one piece; any other
# character (Chinese) may break anywhere.
_TOKENS = re.compile(r"[\x21-\x7e]+| +|.", re.DOTALL)


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@cache
def _char_width(ch: str) -> float:
    """Width of a character at size 1000."""
    return pdfmetrics.stringWidth(ch, _font(), 1000)


@cache
def wrap(text: str, size: float, width: float = TEXT_W, indent: float = 0.0) -> tuple[str, ...]:
    """Break a paragraph into lines no wider than `width` at font `size` (the first line
    `indent` narrower; closing marks may hang past it): Chinese breaks between any
    characters, English between words."""
    lines: list[str] = []
    line: list[str] = []
    used, room, full = 0.0, (width - indent) * 1000 / size, width * 1000 / size

    def flush() -> None:
        nonlocal line, used, room
        carry = [line.pop()] if len(line) > 1 and line[-1] in OPENING else []
        lines.append("".join(line).rstrip())
        line, used, room = carry, sum(_char_width(ch) for ch in carry), full

    for token in _TOKENS.findall(text.replace("\n", " ")):
        if not line and token.isspace():
            continue
        tw = sum(_char_width(ch) for ch in token)
        if used + tw <= room or (line and token in CLOSING):
            line.append(token)
            used += tw
        elif tw > full:  # a word longer than a line: break it by character
            for ch in token:
                if line and used + _char_width(ch) > room:
                    flush()
                line.append(ch)
                used += _char_width(ch)
        else:
            flush()
            if not token.isspace():
                line.append(token)
                used += tw
    if line:
        flush()
    return tuple(lines)


class _PdfWriter:
    """Lines top to bottom on A4 pages, a new page when one is full, page numbers below."""

    def __init__(self, title: str, compress: bool = True) -> None:
        self.buffer = io.BytesIO()
        options = {"invariant": True, "pageCompression": int(compress), "initialFontSize": BODY}
        self.canvas = Canvas(self.buffer, pagesize=A4, initialFontName=_font(), **options)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(AUTHOR)
        self.canvas.setCreator(AUTHOR)
        self.page, self.y = 1, PAGE_H - MARGIN

    def lines(self, lines: tuple[str, ...], size: float, indent: float = 0.0, keep: int = 1) -> None:
        """Write lines, the first `indent` further right; start a new page first unless
        `keep` lines fit on this one."""
        step = size * LEADING
        if self.y - keep * step < MARGIN:
            self.new_page()
        text = self.canvas.beginText()
        text.setFont(FONT, size, step)
        for number, line in enumerate(lines):
            if self.y - step < MARGIN:
                self.canvas.drawText(text)
                self.new_page()
                text = self.canvas.beginText()
                text.setFont(FONT, size, step)
            text.setTextOrigin(MARGIN + (indent if number == 0 else 0.0), self.y - size)
            text.textOut(line)
            self.y -= step
        self.canvas.drawText(text)

    def new_page(self) -> None:
        self.canvas.setFont(FONT, 9)
        self.canvas.drawCentredString(PAGE_W / 2, MARGIN / 2, f"— {self.page} —")
        self.canvas.showPage()
        self.page, self.y = self.page + 1, PAGE_H - MARGIN

    def heading(self, text: str, size: float = HEADING) -> None:
        """A heading, a little space above it, never alone at the foot of a page."""
        self.y -= size * 0.6 if self.y < PAGE_H - MARGIN else 0.0
        self.lines(wrap(text, size), size, keep=3)

    def paragraph(self, text: str) -> None:
        indent = 2 * BODY  # the first line starts two characters in, as Chinese text does
        self.lines(wrap(text, BODY, TEXT_W, indent), BODY, indent)

    def save(self) -> bytes:
        self.new_page()
        self.canvas.save()
        return self.buffer.getvalue()


def make_pdf(title: str, sections: Iterable[tuple[str, Iterable[str]]], compress: bool = True) -> bytes:
    """An A4 PDF in STSong-Light: the title, then each section's heading and paragraphs."""
    writer = _PdfWriter(title, compress)
    writer.heading(title, TITLE)
    for heading, paragraphs in sections:
        writer.heading(heading)
        for text in paragraphs:
            writer.paragraph(text)
    return writer.save()


# Documents of a given size.
@cache
def _corpus() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(title · heading, paragraphs) of every document section in the demo catalogue."""
    from peixun.demo.library import all_resources  # the catalogue renders through this module

    return tuple(
        (f"{resource.title} · {heading}", paragraphs)
        for resource in all_resources()
        if resource.format != "xlsx"
        for heading, paragraphs in resource.sections
    )


def _passages(chars: int) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The corpus's sections, numbered and in a new order on every pass, until they
    hold `chars` characters."""
    corpus, rng = list(_corpus()), random.Random(SEED)
    number = written = 0
    while written < chars:
        rng.shuffle(corpus)
        for heading, paragraphs in corpus:
            if written >= chars:
                return
            number += 1
            yield f"{number}. {heading}", paragraphs
            written += len(heading) + sum(len(p) for p in paragraphs)


def _sized_pdf(chars: int) -> bytes:
    return make_pdf("研修资源汇编", _passages(chars), compress=False)


@cache
def _rate(kind: str) -> tuple[float, float]:
    """(fixed bytes, bytes per character) of sized documents, from an empty and a sample one."""
    make = _sized_pdf if kind == "pdf" else lambda chars: _sized_docx(chars, 0)
    fixed = len(make(0))
    return fixed, (len(make(100_000)) - fixed) / 100_000


def make_pdf_of_size(target_bytes: int) -> bytes:
    """A PDF of about `target_bytes` (±20 %) of varied Chinese text.

    Page streams are left uncompressed: then the size follows the amount of text
    closely (about 3 bytes a character) and 20 MB takes some 3,500 pages rather than
    three times as many.  The font is not embedded, so the volume is all text.
    """
    fixed, rate = _rate("pdf")
    return _sized_pdf(max(0, round((target_bytes - fixed) / rate)))


# Word deflates its XML, about 4.5× for this text: 20 MB of text alone would be some
# nineteen million characters, a document python-docx takes many seconds to open.
# Real lesson documents that size are big because of their photos, so a sized .docx
# is TEXT_SHARE text (20 MB: 11 million characters in 265,000 paragraphs) and, for
# the rest, one PNG of seeded random pixels (incompressible, so its size is exact).
TEXT_SHARE = 0.6
_HEAD = '<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p>'
_PARA = '<w:p><w:pPr><w:ind w:firstLineChars="200"/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p>'


def _body_xml(chars: int) -> str:
    parts: list[str] = []
    for heading, paragraphs in _passages(chars):
        parts.append(_HEAD.format(escape(heading)))
        parts.extend(_PARA.format(escape(p)) for p in paragraphs)
    return "".join(parts)


def _noise_png(size: int) -> bytes:
    """A square PNG of about `size` bytes of seeded random colour."""
    side = max(8, math.isqrt(max(size, 0) // 3))
    pixels = random.Random(SEED).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _sized_docx(chars: int, picture: int) -> bytes:
    document = _new_docx("研修资源汇编")
    document.add_paragraph("本汇编收录工作坊研修中生成的教学设计、课例、反思和论文，供各校校本研修选用。")
    if picture:
        document.add_picture(io.BytesIO(_noise_png(picture)), width=Cm(15))
        document.add_paragraph("图 1 工作坊线下集中研修现场（扫描件）")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        xml = archive.read("word/document.xml").decode()
    at = xml.rindex("<w:sectPr")
    xml = xml[:at] + _body_xml(chars) + xml[at:]
    return _stable_zip(buffer.getvalue(), {"word/document.xml": xml.encode()})


def make_docx_of_size(target_bytes: int) -> bytes:
    """A Word document of about `target_bytes` (±20 %): TEXT_SHARE of it varied Chinese
    text, the rest one embedded picture (see TEXT_SHARE)."""
    fixed, rate = _rate("docx")
    text = max(0.0, target_bytes * TEXT_SHARE - fixed)
    picture = max(0, round(target_bytes - fixed - text))
    return _sized_docx(round(text / rate), picture)
