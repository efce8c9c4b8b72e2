"""Text extraction and thumbnails in a bounded subprocess: Chinese text found, bad files fail softly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from peixun.resources import extract as extract_module
from peixun.resources.extract import Extraction, extract
from peixun.resources.extract_worker import tidy
from peixun.resources.files import KINDS, sniff
from tests.resources.test_files import (
    CHINESE,
    MP4,
    OLE2,
    make_docx,
    make_image,
    make_pdf,
    make_pptx,
    make_xlsx,
    make_zip_bomb_docx,
)


def _sample(tmp_path: Path, build, filename: str) -> tuple[Path, object]:
    path = tmp_path / "upload"
    build(path)
    return path, sniff(path, filename)


def _no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("no worker should be started")

    monkeypatch.setattr(extract_module.subprocess, "run", refuse)


def test_docx_paragraphs_and_table_cells(tmp_path: Path):
    path, kind = _sample(tmp_path, make_docx, "教案.docx")
    result = extract(path, kind)
    assert result.status == "ok", result.error
    assert CHINESE in result.text
    assert "教研活动记录" in result.text
    assert "课题" in result.text and "同课异构" in result.text
    assert result.has_thumbnail is False


def test_pptx_every_slide_with_its_number(tmp_path: Path):
    path, kind = _sample(tmp_path, make_pptx, "课件.pptx")
    result = extract(path, kind)
    assert result.status == "ok", result.error
    lines = result.text.splitlines()
    assert lines[0] == "第1页"
    assert "第2页" in lines
    assert lines.index("第2页") > lines.index(CHINESE)
    assert "评课要点" in result.text and "学生活动" in result.text
    assert "分组里的文字" in lines[: lines.index("第2页")]


def test_xlsx_sheet_names_and_tab_joined_rows(tmp_path: Path):
    path, kind = _sample(tmp_path, make_xlsx, "安排.xlsx")
    result = extract(path, kind)
    assert result.status == "ok", result.error
    assert result.text.splitlines() == ["研修安排", "周次\t活动", f"1\t{CHINESE}", "2\t听评课"]


def test_pdf_chinese_text(tmp_path: Path):
    path, kind = _sample(tmp_path, make_pdf, "设计.pdf")
    result = extract(path, kind)
    assert result.status == "ok", result.error
    assert CHINESE in result.text
    assert "课后反思" in result.text


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (f"{CHINESE}\r\n第二行".encode("gb18030"), "gbk.txt"),
        (b"\xef\xbb\xbf" + f"{CHINESE}\n第二行".encode(), "bom.txt"),
        (f"# {CHINESE}\n第二行".encode(), "说明.md"),
    ],
)
def test_text_files_in_either_encoding(tmp_path: Path, data: bytes, filename: str):
    path = tmp_path / "upload"
    path.write_bytes(data)
    result = extract(path, sniff(path, filename))
    assert result.status == "ok", result.error
    assert result.text.splitlines()[1] == "第二行"
    assert CHINESE in result.text
    assert not result.text.startswith("\ufeff")


def test_blank_lines_collapse_and_text_is_capped(tmp_path: Path):
    path = tmp_path / "upload"
    path.write_bytes(("甲\n\n\n\n\n乙  \n" + "丙" * 5000).encode())
    result = extract(path, KINDS["txt"], max_chars=100)
    assert result.status == "ok"
    assert result.text.startswith("甲\n\n乙\n丙")
    assert len(result.text) == 100


def test_long_spreadsheet_stops_at_the_cap(tmp_path: Path):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in range(3000):
        workbook.active.append([row, f"{CHINESE}{row}", "说课"])
    path = tmp_path / "upload"
    workbook.save(str(path))
    result = extract(path, KINDS["xlsx"], max_chars=1000)
    assert result.status == "ok", result.error
    assert len(result.text) == 1000
    assert f"{CHINESE}0" in result.text


def test_tidy_removes_control_characters():
    assert tidy("a\x00b\x07c\td\x1b\r\ne\x7f") == "abc\td\ne"


def test_image_thumbnail(tmp_path: Path):
    from PIL import Image

    path, kind = _sample(tmp_path, lambda p: make_image(p, "PNG", (1600, 1200), "RGBA"), "图.png")
    thumb = tmp_path / "thumbs" / "ab" / "thumb.jpg"
    result = extract(path, kind, thumbnail_to=thumb)
    assert result == Extraction("none", "", "", has_thumbnail=True)
    with Image.open(thumb) as image:
        assert image.format == "JPEG"
        assert image.size == (480, 360)
        assert image.mode == "RGB"


@pytest.mark.parametrize(("fmt", "filename"), [("GIF", "a.gif"), ("WEBP", "a.webp"), ("JPEG", "a.jpg")])
def test_thumbnails_of_other_formats(tmp_path: Path, fmt: str, filename: str):
    from PIL import Image

    path, kind = _sample(tmp_path, lambda p: make_image(p, fmt, (200, 100)), filename)
    thumb = tmp_path / "t.jpg"
    assert extract(path, kind, thumbnail_to=thumb).has_thumbnail
    with Image.open(thumb) as image:
        assert image.size == (200, 100)  # never enlarged


def test_thumbnail_follows_exif_orientation(tmp_path: Path):
    from PIL import Image

    path = tmp_path / "upload"
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone turned: rotate 90°
    Image.new("RGB", (600, 300), "blue").save(path, "JPEG", exif=exif)
    thumb = tmp_path / "t.jpg"
    assert extract(path, KINDS["jpeg"], thumbnail_to=thumb).has_thumbnail
    with Image.open(thumb) as image:
        assert image.size == (180, 360)


@pytest.mark.parametrize("size", [(10_000, 10_000), (8_000, 6_250)], ids=["error", "warning"])
def test_decompression_bomb_fails_softly(tmp_path: Path, size: tuple[int, int]):
    path = tmp_path / "upload"
    make_image(path, "PNG", size, "1")
    assert path.stat().st_size < 2 * 1024 * 1024
    thumb = tmp_path / "thumbs" / "t.jpg"
    result = extract(path, sniff(path, "bomb.png"), thumbnail_to=thumb)
    assert result.status == "failed"
    assert result.error == "图片尺寸过大，无法生成缩略图。"
    assert result.has_thumbnail is False
    assert not thumb.exists()


def test_corrupt_image_fails_softly(tmp_path: Path):
    path = tmp_path / "upload"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100)
    thumb = tmp_path / "t.jpg"
    result = extract(path, sniff(path, "坏.png"), thumbnail_to=thumb)
    assert result.status == "failed"
    assert not thumb.exists()


def test_image_without_a_thumbnail_target_starts_no_worker(tmp_path: Path, monkeypatch):
    _no_subprocess(monkeypatch)
    path = tmp_path / "upload"
    make_image(path, "PNG")
    assert extract(path, KINDS["png"]) == Extraction("none", "")


@pytest.mark.parametrize("code", ["mp4", "webm", "mp3", "m4a", "wav", "ogg", "doc", "ppt", "xls"])
def test_media_and_legacy_office_start_no_worker(tmp_path: Path, monkeypatch, code: str):
    _no_subprocess(monkeypatch)
    path = tmp_path / "upload"
    path.write_bytes(OLE2 if code in ("doc", "ppt", "xls") else MP4)
    assert extract(path, KINDS[code], thumbnail_to=tmp_path / "t.jpg") == Extraction("none", "")
    assert not (tmp_path / "t.jpg").exists()


def test_encrypted_pdf_fails_with_a_reason(tmp_path: Path):
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    make_pdf(plain)
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "upload"
    with path.open("wb") as out:
        writer.write(out)
    result = extract(path, sniff(path, "加密.pdf"))
    assert result.status == "failed"
    assert "PDF 已加密" in result.error
    assert result.text == ""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7\n" + b"\x00garbage\xff" * 500, "pdf"),
        (b"PK\x03\x04" + b"\x13\x37garbage" * 100, "docx"),
        (b"PK\x03\x04" + b"\x13\x37garbage" * 100, "pptx"),
        (b"PK\x03\x04" + b"\x13\x37garbage" * 100, "xlsx"),
    ],
)
def test_corrupt_documents_fail_softly(tmp_path: Path, data: bytes, code: str):
    path = tmp_path / "upload"
    path.write_bytes(data)
    result = extract(path, KINDS[code])
    assert result.status == "failed"
    assert result.error.startswith("无法读取文件内容")


def test_the_worker_checks_zip_bombs_again(tmp_path: Path):
    path = tmp_path / "upload"
    make_zip_bomb_docx(path)
    result = extract(path, KINDS["docx"])  # as if sniff had been skipped
    assert result.status == "failed"
    assert result.error == "文件内部解压后过大，可能已损坏或不安全。"


def test_timeout_fails_softly(tmp_path: Path):
    path, kind = _sample(tmp_path, make_docx, "教案.docx")
    result = extract(path, kind, timeout=0.01)
    assert result == Extraction("failed", "", "无法读取文件内容（超时）")


def test_too_little_memory_fails_softly(tmp_path: Path):
    path, kind = _sample(tmp_path, make_pdf, "设计.pdf")
    result = extract(path, kind, memory_mb=16)
    assert result.status == "failed"
    assert result.error.startswith("无法读取文件内容")


def _fake_run(monkeypatch: pytest.MonkeyPatch, returncode: int, stdout: bytes, stderr: bytes = b"") -> None:
    def run(args, **kwargs):
        return subprocess.CompletedProcess(args, returncode, stdout=stdout, stderr=stderr)

    monkeypatch.setattr(extract_module.subprocess, "run", run)


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "error"),
    [
        (0, b"not json", b"", "无法读取文件内容（输出无效）"),
        (
            0,
            b'{"status": "maybe", "text": "", "error": "", "has_thumbnail": false}',
            b"",
            "无法读取文件内容（输出无效）",
        ),
        (0, b'{"status": "ok"}', b"", "无法读取文件内容（输出无效）"),
        (0, b"[1, 2]", b"", "无法读取文件内容（输出无效）"),
        (0, b"\xff\xfe", b"", "无法读取文件内容（输出无效）"),
        (1, b"", b"Traceback ...\nMemoryError\n", "无法读取文件内容（内存不足）"),
        (1, b"", b"Segmentation fault", "无法读取文件内容（读取程序出错）"),
        (-11, b"", b"", "无法读取文件内容（读取程序出错）"),
        (-24, b"", b"", "无法读取文件内容（超时）"),
    ],
)
def test_bad_worker_answers_fail_softly(tmp_path: Path, monkeypatch, returncode, stdout, stderr, error):
    _fake_run(monkeypatch, returncode, stdout, stderr)
    path = tmp_path / "upload"
    path.write_bytes(b"text")
    assert extract(path, KINDS["txt"]) == Extraction("failed", "", error)


def test_worker_answer_is_capped_again(tmp_path: Path, monkeypatch):
    _fake_run(
        monkeypatch, 0, b'{"status": "ok", "text": "' + b"x" * 50 + b'", "error": "", "has_thumbnail": false}'
    )
    path = tmp_path / "upload"
    path.write_bytes(b"text")
    assert extract(path, KINDS["txt"], max_chars=10) == Extraction("ok", "x" * 10)


def test_worker_writes_nothing_but_the_thumbnail(tmp_path: Path):
    source_dir = tmp_path / "store"
    source_dir.mkdir()
    document = source_dir / "doc"
    make_docx(document)
    picture = source_dir / "pic"
    make_image(picture, "PNG")
    before = sorted(source_dir.iterdir())
    assert extract(document, KINDS["docx"]).status == "ok"
    thumb = tmp_path / "thumbs" / "t.jpg"
    assert extract(picture, KINDS["png"], thumbnail_to=thumb).has_thumbnail
    assert sorted(source_dir.iterdir()) == before
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted([document, picture, thumb])
