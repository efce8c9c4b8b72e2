"""The demo's resource catalogue, as data: what the 黔西南州 teachers, hosts and the
region share (教案, 课件, 课例, 微课, 讲义, 论文, 反思, 试题, links) and the region's
定向征集 calls.  `render` turns an entry into the bytes of its file (peixun.demo.files).

The text lives in peixun.demo.texts.resources_*: plain dicts, one per resource, with
the document as a light Markdown `body` that this module parses into sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from peixun.demo.texts import resources_chinese, resources_english, resources_maths, resources_region

TYPES = ("课件", "教案", "课例", "微课", "讲义", "论文", "反思", "试题", "其他")
FORMATS = ("docx", "pptx", "pdf", "xlsx", "link")

Section = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class DemoResource:
    title: str
    description: str  # Markdown, 2-5 sentences, in the sharer's voice
    subject: str  # a workshop subject, or "" for general (通识) material
    stage: str  # "初中" or "高中", or "" when it fits every stage
    type: str  # one of TYPES
    tags: tuple[str, ...]
    format: str  # one of FORMATS
    url: str = ""  # links only
    # The document body: (heading, paragraphs) for docx and pdf, (slide title, bullets)
    # for pptx; for xlsx every section is a row, (first cell, the other cells), and the
    # first row is the header.
    sections: tuple[Section, ...] = ()


def _sections(body: str, table: bool) -> tuple[Section, ...]:
    """Sections from a body: "## heading" lines and their paragraphs, or for a table one
    row a line, cells separated by "|"."""
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    if table:
        rows = [[cell.strip() for cell in line.split("|")] for line in lines]
        return tuple((row[0], tuple(row[1:])) for row in rows)
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        else:
            sections[-1][1].append(line)
    return tuple((heading, tuple(paragraphs)) for heading, paragraphs in sections)


def _resource(subject: str, entry: dict) -> DemoResource:
    fields = dict(entry)
    subject = fields.pop("subject", subject)
    body = fields.pop("body", "")
    fields["tags"] = tuple(fields.get("tags", ()))
    fields["sections"] = _sections(body, fields["format"] == "xlsx")
    return DemoResource(subject=subject, **fields)


WORKSHOP_RESOURCES: dict[str, list[DemoResource]] = {
    "语文": [_resource("语文", e) for e in resources_chinese.RESOURCES],
    "数学": [_resource("数学", e) for e in resources_maths.RESOURCES],
    "英语": [_resource("英语", e) for e in resources_english.RESOURCES],
}

REGION_RESOURCES: list[DemoResource] = [_resource("", e) for e in resources_region.RESOURCES]

# 定向征集 themes a region admin opens: (title, description).
CALLS: list[tuple[str, str]] = list(resources_region.CALLS)


def all_resources() -> list[DemoResource]:
    """Every catalogue entry: the workshops' by subject, then the region's."""
    return [r for subject in WORKSHOP_RESOURCES.values() for r in subject] + REGION_RESOURCES


def filename(resource: DemoResource) -> str:
    """The file name to upload the document under, e.g. "《背影》教学设计.docx"."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", resource.title).strip("_")[:80]
    return f"{stem}.{resource.format}"


def _cell(text: str) -> object:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def render(resource: DemoResource) -> bytes | None:
    """The bytes of the resource's document, or None for a link."""
    from peixun.demo import files

    sections = [(heading, list(paragraphs)) for heading, paragraphs in resource.sections]
    if resource.format == "docx":
        return files.make_docx(resource.title, sections)
    if resource.format == "pptx":
        return files.make_pptx(resource.title, sections)
    if resource.format == "pdf":
        return files.make_pdf(resource.title, sections)
    if resource.format == "xlsx":
        rows = [[_cell(first), *map(_cell, rest)] for first, rest in sections]
        return files.make_xlsx(resource.title, [str(c) for c in rows[0]], rows[1:])
    return None
