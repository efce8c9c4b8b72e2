"""The demo's documents (peixun.demo.files) open again in their libraries with their
Chinese text, and the resource catalogue (peixun.demo.library) is complete and valid."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import openpyxl
import pptx
import pypdf
import pytest
from reportlab.pdfbase import pdfmetrics

from peixun.demo import data, files, library
from peixun.demo.library import CALLS, FORMATS, REGION_RESOURCES, TYPES, WORKSHOP_RESOURCES, DemoResource

SECTIONS = [
    (
        "教学目标",
        ["有感情地朗读“望父买橘”一段，体会动作描写中蕴含的父爱。", "Students can use comparatives."],
    ),
    (
        "教学过程",
        [
            "情境导入（3 分钟）：出示一张父亲背影的照片。",
            "朗读体验（8 分钟）：学生分组朗读，读出停顿和重音。",
        ],
    ),
]


def pdf_text(data: bytes) -> str:
    """All the text of a PDF without whitespace and page numbers."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"—\s*\d+\s*—", "", re.sub(r"\s+", "", text))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_docx_opens_with_its_headings_paragraphs_and_step_table():
    made = files.make_docx("《背影》教学设计", SECTIONS)
    document = docx.Document(io.BytesIO(made))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Title", "《背影》教学设计")
    assert ("Heading 1", "教学目标") in paragraphs
    assert ("Normal", "Students can use comparatives.") in paragraphs
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["环节", "时间"],
        ["情境导入", "3 分钟"],
        ["朗读体验", "8 分钟"],
        ["合计", "11 分钟"],
    ]
    assert document.core_properties.title == "《背影》教学设计"
    assert files.make_docx("《背影》教学设计", SECTIONS) == made  # same input, same bytes


def test_pptx_has_a_title_slide_then_one_slide_per_section():
    made = files.make_pptx("整本书阅读推进课", SECTIONS)
    deck = pptx.Presentation(io.BytesIO(made))
    slides = list(deck.slides)
    assert len(slides) == 1 + len(SECTIONS)
    assert slides[0].shapes.title.text == "整本书阅读推进课"
    assert slides[1].shapes.title.text == "教学目标"
    bullets = [p.text for p in slides[1].placeholders[1].text_frame.paragraphs]
    assert bullets == SECTIONS[0][1]
    assert files.make_pptx("整本书阅读推进课", SECTIONS) == made


def test_pdf_text_comes_back_and_long_chinese_paragraphs_wrap_inside_the_page():
    long = "".join(
        p for r in library.all_resources() if r.format == "pdf" for _, ps in r.sections for p in ps
    )
    sections = [*SECTIONS, ("调查结果与分析", [long[:4000]])]
    made = files.make_pdf("民族地区初中生整本书阅读现状调查", sections)
    reader = pypdf.PdfReader(io.BytesIO(made))
    assert len(reader.pages) >= 2  # a new page when one is full
    assert reader.metadata.title == "民族地区初中生整本书阅读现状调查"
    text = pdf_text(made)
    for paragraph in ["民族地区初中生整本书阅读现状调查", *SECTIONS[1][1], long[:4000]]:
        assert squeeze(paragraph) in text

    right = files.PAGE_W - files.MARGIN + 2 * files.BODY  # closing marks may hang into the margin
    lines: list[tuple[float, str, float]] = []
    for page in reader.pages:
        page.extract_text(
            visitor_text=lambda t, cm, tm, font, size: (
                t.strip() and lines.append((tm[4], t.strip(), tm[0] * size))
            )
        )
    body = [(x, t, size) for x, t, size in lines if size == files.BODY]
    assert len(body) > 4000 / 50  # the long paragraph took many lines
    for x, t, size in body:
        assert x >= files.MARGIN and x + pdfmetrics.stringWidth(t, files.FONT, size) <= right, t
    assert files.make_pdf("民族地区初中生整本书阅读现状调查", sections) == made


def test_wrap_keeps_every_character_and_english_words_whole():
    text = "读后续写：Li Ming had never been to the mountains before（原创材料）。" * 3
    lines = files.wrap(text, files.BODY, 200)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(pdfmetrics.stringWidth(line, files.FONT, files.BODY) <= 200 + 2 * files.BODY for line in lines)
    assert not any(line[:1] in files.CLOSING or line[-1:] in files.OPENING for line in lines)
    words = set(text.replace("（", " ").split())
    assert all(piece in words or not piece.isascii() for line in lines for piece in line.split()[1:-1])


def test_xlsx_has_the_title_header_and_rows():
    rows = [
        [1, "选择题", "下列加点字注音全部正确的一项是（  ）", 2],
        [2, "简答题", "文中作者几次流泪？", 4.5],
    ]
    made = files.make_xlsx("第四单元阅读练习", ["题号", "题型", "题目", "分值"], rows)
    sheet = openpyxl.load_workbook(io.BytesIO(made)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "第四单元阅读练习"
    assert values[1] == ["题号", "题型", "题目", "分值"]
    assert values[2:] == rows
    assert files.make_xlsx("第四单元阅读练习", ["题号", "题型", "题目", "分值"], rows) == made


def _document_text(resource: DemoResource, made: bytes) -> str:
    if resource.format == "docx":
        return "".join(p.text for p in docx.Document(io.BytesIO(made)).paragraphs)
    if resource.format == "pptx":
        deck = pptx.Presentation(io.BytesIO(made))
        return "".join(s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame)
    if resource.format == "pdf":
        return pdf_text(made)
    sheet = openpyxl.load_workbook(io.BytesIO(made)).active
    return "".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_every_catalogue_document_renders_and_holds_its_text():
    for resource in library.all_resources():
        made = library.render(resource)
        if resource.format == "link":
            assert made is None
            continue
        assert made is not None
        text = squeeze(_document_text(resource, made))
        first, rest = resource.sections[0]
        last = resource.sections[-1][1][-1]
        for piece in (first, rest[0], last):
            assert squeeze(piece) in text, (resource.title, piece)
        assert library.filename(resource).endswith("." + resource.format)


def test_catalogue_entries_are_valid():
    workshop_stages: dict[str, set[str]] = {}
    for workshop in data.WORKSHOPS:
        workshop_stages.setdefault(workshop.subject, set()).add(workshop.stage)
    assert set(WORKSHOP_RESOURCES) == set(workshop_stages)
    for subject, resources in WORKSHOP_RESOURCES.items():
        assert 8 <= len(resources) <= 12
        assert {r.subject for r in resources} == {subject}
        assert {r.stage for r in resources} - {""} == workshop_stages[subject]  # every stage, none else
        assert {"教案", "课件", "课例", "试题", "论文", "反思"} <= {r.type for r in resources}
    assert 8 <= len(REGION_RESOURCES) <= 10
    assert all(r.subject in ("", "其他") for r in REGION_RESOURCES)

    resources = library.all_resources()
    assert len({r.title for r in resources}) == len(resources)
    for r in resources:
        assert r.type in TYPES and r.format in FORMATS, r.title
        assert r.title and r.tags and all(r.tags), r.title
        assert 2 <= len(re.findall(r"[。！？]", r.description)) <= 5, r.title
        if r.format == "link":
            assert r.url.startswith("https://") and not r.sections, r.title
            continue
        assert not r.url and r.sections, r.title
        assert all(heading and paragraphs and all(paragraphs) for heading, paragraphs in r.sections), r.title
        if r.format == "xlsx":
            assert len({len(paragraphs) for _, paragraphs in r.sections}) == 1, r.title  # a rectangle
    assert {"xlsx", "pdf", "pptx", "docx", "link"} == {r.format for r in resources}

    assert 2 <= len(CALLS) <= 3
    assert all(title and len(description) > 20 for title, description in CALLS)


@pytest.mark.parametrize("make", [files.make_pdf_of_size, files.make_docx_of_size])
def test_documents_of_a_given_size(make):
    made = make(2_000_000)
    assert 0.8 <= len(made) / 2_000_000 <= 1.2
    if make is files.make_pdf_of_size:
        reader = pypdf.PdfReader(io.BytesIO(made))
        pages = [reader.pages[n].extract_text() for n in (5, 6)]
    else:
        with zipfile.ZipFile(io.BytesIO(made)) as archive:
            xml = archive.read("word/document.xml").decode()
        assert len(xml) > len(made)  # the volume is mostly text (compressed about 4×)
        paragraphs = docx.Document(io.BytesIO(made)).paragraphs
        pages = ["".join(p.text for p in paragraphs[1000 * n : 1000 * n + 40]) for n in (5, 6)]
    assert pages[0] != pages[1] and all(re.search(r"\d+\. ", page) and "。" in page for page in pages)
