"""File kinds by content: every allowed type, renamed and forbidden files, zip bombs, display names."""

from __future__ import annotations

import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from peixun.core.errors import ServiceError
from peixun.resources.extract_worker import MAX_ZIP_TOTAL, zip_limit_error
from peixun.resources.files import EXTENSIONS, KINDS, UNSUPPORTED, clean_filename, file_extension, sniff

CHINESE = "三备两打磨"
MISMATCH = "文件内容与扩展名不符"

# Every sample is made here, at test time: no binary files in the repository.


def make_docx(path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_heading("教研活动记录", 1)
    document.add_paragraph(f"本学期推行{CHINESE}的集体备课。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "课题"
    table.cell(1, 1).text = "同课异构"
    document.save(str(path))


def make_pptx(path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    first = presentation.slides.add_slide(presentation.slide_layouts[5])
    first.shapes.title.text = "第一课时"
    box = first.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
    box.text_frame.text = CHINESE
    group = first.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1)).text_frame.text = "分组里的文字"
    second = presentation.slides.add_slide(presentation.slide_layouts[6])
    table = second.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(6), Inches(2)).table
    table.cell(0, 0).text = "评课要点"
    table.cell(1, 1).text = "学生活动"
    presentation.save(str(path))


def make_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "研修安排"
    sheet.append(["周次", "活动"])
    sheet.append([1, CHINESE])
    sheet.append([2, "听评课"])
    workbook.save(str(path))


def make_pdf(path: Path, text: str = CHINESE) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 14)
    pdf.drawString(72, 720, f"教学设计：{text}")
    pdf.showPage()
    pdf.setFont("STSong-Light", 14)  # each page starts with the default font
    pdf.drawString(72, 720, "第二页：课后反思")
    pdf.showPage()
    pdf.save()


def make_image(path: Path, fmt: str, size: tuple[int, int] = (800, 600), mode: str = "RGB") -> None:
    from PIL import Image

    Image.new(mode, size, "red" if mode != "1" else 1).save(path, fmt)


def make_wav(path: Path) -> None:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(1600))


def make_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def make_zip_bomb_docx(path: Path, megabytes: int = 50) -> None:
    """A .docx with a member of zeros that compresses about 1000:1."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\0\0\0\0" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + bytes(64)


MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10) + b"\xff\xfb\x90\x64" + bytes(400)
MP4 = _ftyp(b"isom", b"isom", b"iso2", b"mp41")
M4A = _ftyp(b"M4A ", b"M4A ", b"mp42", b"isom")
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + bytes(64)
)
OGG = b"OggS\x00\x02" + bytes(20) + b"\x01\x1evorbis" + bytes(64)
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


SAMPLES: list[tuple[str, Callable[[Path], None], str]] = [
    ("教案.docx", make_docx, "docx"),
    ("课件.pptx", make_pptx, "pptx"),
    ("安排.xlsx", make_xlsx, "xlsx"),
    ("设计.pdf", make_pdf, "pdf"),
    ("说明.txt", _bytes(f"{CHINESE}\n".encode()), "txt"),
    ("说明.md", _bytes(f"# 标题\n\n{CHINESE}\n".encode()), "md"),
    ("说明.markdown", _bytes(b"# title\n"), "md"),
    ("图.png", lambda p: make_image(p, "PNG"), "png"),
    ("图.jpg", lambda p: make_image(p, "JPEG"), "jpeg"),
    ("图.jpeg", lambda p: make_image(p, "JPEG"), "jpeg"),
    ("图.gif", lambda p: make_image(p, "GIF"), "gif"),
    ("图.webp", lambda p: make_image(p, "WEBP"), "webp"),
    ("微课.mp4", _bytes(MP4), "mp4"),
    ("微课.webm", _bytes(WEBM), "webm"),
    ("朗读.mp3", _bytes(MP3), "mp3"),
    ("朗读.m4a", _bytes(M4A), "m4a"),
    ("朗读.wav", make_wav, "wav"),
    ("朗读.ogg", _bytes(OGG), "ogg"),
    ("旧教案.doc", _bytes(OLE2), "doc"),
    ("旧课件.ppt", _bytes(OLE2), "ppt"),
    ("旧表格.xls", _bytes(OLE2), "xls"),
]


@pytest.mark.parametrize(("filename", "build", "code"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_allowed_type_is_recognised_by_content(tmp_path: Path, filename, build, code):
    path = tmp_path / "upload"  # the stored file has no name of its own
    build(path)
    kind = sniff(path, filename)
    assert kind is KINDS[code]
    assert sniff(path, filename.upper()) is kind  # extensions ignore case


def test_kinds_table_is_consistent():
    assert set(KINDS) == set(EXTENSIONS)
    for kind in KINDS.values():
        assert kind.media in {"image", "video", "audio", "pdf", "document", "text"}
        assert kind.inline == (kind.media in {"image", "video", "audio", "pdf"}), kind.code
        assert "svg" not in kind.mimetype and "html" not in kind.mimetype
    assert not KINDS["doc"].extractable and not KINDS["xls"].extractable and not KINDS["ppt"].extractable
    assert KINDS["docx"].label == "Word 文档"


def test_legacy_office_is_download_only(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(OLE2)
    kind = sniff(path, "教案.doc")
    assert (kind.inline, kind.extractable) == (False, False)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")],
    ids=["utf8", "bom", "gbk"],
)
def test_text_in_utf8_or_gb18030_is_accepted(tmp_path: Path, encoding, prefix):
    path = tmp_path / "f"
    path.write_bytes(prefix + f"{CHINESE}，教学反思。\n".encode(encoding))
    assert sniff(path, "反思.txt") is KINDS["txt"]


def test_long_text_cut_inside_a_character_is_still_text(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"a" + "研".encode() * 40_000)  # 64 KiB falls inside a 3-byte character
    assert sniff(path, "长文.txt") is KINDS["txt"]


@pytest.mark.parametrize(
    "data",
    [b"text\0with a NUL byte", "UTF-16 文本".encode("utf-16"), b"\xff\xfe\xfd broken \x80\x80"],
    ids=["nul", "utf16", "invalid"],
)
def test_binary_or_undecodable_text_is_refused(tmp_path: Path, data: bytes):
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(ServiceError) as caught:
        sniff(path, "说明.txt")
    assert caught.value.message == UNSUPPORTED
    assert caught.value.field == "file"


def test_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    with pytest.raises(ServiceError, match="文件是空的"):
        sniff(path, "空.txt")


@pytest.mark.parametrize("filename", ["报告.pdf", "教案.docx", "图.png", "课件.pptx", "声音.mp3", "旧.doc"])
def test_a_web_page_renamed_to_an_allowed_type_is_refused(tmp_path: Path, filename: str):
    path = tmp_path / "f"
    path.write_bytes(HTML)
    with pytest.raises(ServiceError) as caught:
        sniff(path, filename)
    assert caught.value.message.startswith(MISMATCH)
    assert "文本文件" in caught.value.message


def test_a_web_page_named_txt_is_plain_text_for_download_only(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(HTML)
    kind = sniff(path, "page.txt")
    assert kind is KINDS["txt"]
    assert kind.inline is False


@pytest.mark.parametrize(
    "filename", ["page.html", "page.htm", "page.xhtml", "图.svg", "a.js", "a.csv", "noext"]
)
@pytest.mark.parametrize("data", [HTML, SVG], ids=["html", "svg"])
def test_html_svg_and_other_text_types_are_refused(tmp_path: Path, filename: str, data: bytes):
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(ServiceError) as caught:
        sniff(path, filename)
    assert caught.value.message == UNSUPPORTED or caught.value.message.startswith(MISMATCH)
    if filename.endswith((".html", ".htm", ".svg")):
        assert caught.value.message == UNSUPPORTED


@pytest.mark.parametrize(
    ("build", "filename", "content"),
    [
        (lambda p: make_image(p, "PNG"), "图.pdf", "PNG 图片"),
        (make_docx, "教案.pdf", "Word 文档"),
        (make_pdf, "设计.docx", "PDF 文档"),
        (make_xlsx, "表.docx", "Excel 表格"),
        (lambda p: make_image(p, "JPEG"), "图.png", "JPEG 图片"),
        (_bytes(MP4), "微课.mp3", "MP4 视频"),
        (_bytes(OLE2), "加密.docx", "旧版或已加密的 Office 文件"),
        (make_docx, "教案", "Word 文档"),
    ],
)
def test_content_and_extension_must_agree(tmp_path: Path, build, filename: str, content: str):
    path = tmp_path / "f"
    build(path)
    with pytest.raises(ServiceError) as caught:
        sniff(path, filename)
    assert caught.value.message.startswith(MISMATCH)
    assert content in caught.value.message


def test_mp4_container_named_m4a_is_audio(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(MP4)
    assert sniff(path, "录音.m4a") is KINDS["m4a"]


@pytest.mark.parametrize("filename", ["资料.zip", "资料.docx"])
def test_plain_zip_is_refused(tmp_path: Path, filename: str):
    path = tmp_path / "f"
    make_zip(path, {"a.txt": "内容".encode()})
    with pytest.raises(ServiceError) as caught:
        sniff(path, filename)
    assert caught.value.message == UNSUPPORTED


@pytest.mark.parametrize(
    "data",
    [b"\x7fELF\x02\x01\x01" + bytes(100), b"MZ\x90\x00" + bytes(100), b"\x1f\x8b\x08\x00" + bytes(50)],
    ids=["elf", "exe", "gzip"],
)
def test_other_binaries_are_refused(tmp_path: Path, data: bytes):
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(ServiceError, match="不支持的文件类型"):
        sniff(path, "程序.txt")


def test_zip_bomb_inside_a_docx_is_refused_without_unpacking(tmp_path: Path):
    path = tmp_path / "f"
    make_zip_bomb_docx(path)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ServiceError) as caught:
        sniff(path, "炸弹.docx")
    assert caught.value.message == "文件内部解压后过大，可能已损坏或不安全。"
    assert caught.value.field == "file"


def test_zip_with_too_many_members_is_refused(tmp_path: Path):
    path = tmp_path / "f"
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    members.update({f"word/media/{i}.bin": b"" for i in range(10_000)})
    make_zip(path, members)
    with pytest.raises(ServiceError, match="条目过多"):
        sniff(path, "很多.docx")


def test_corrupt_docx_is_refused(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"PK\x03\x04" + b"\x13\x37garbage" * 100)
    with pytest.raises(ServiceError, match="已损坏"):
        sniff(path, "坏.docx")


def _info(size: int, compressed: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("member")
    info.file_size, info.compress_size = size, compressed
    return info


def test_zip_limits():
    mb = 1024 * 1024
    assert zip_limit_error([_info(100 * mb, 50 * mb)] * 3) is None
    assert zip_limit_error([_info(100 * mb, 50 * mb)] * 3 + [_info(1, 1)]) is not None  # over 300 MB
    assert zip_limit_error([_info(MAX_ZIP_TOTAL, MAX_ZIP_TOTAL)]) is None
    assert zip_limit_error([_info(2 * mb, 2 * mb // 201)]) is not None  # 201:1 over 1 MB
    assert zip_limit_error([_info(2 * mb, 2 * mb // 199)]) is None
    assert zip_limit_error([_info(mb, 10)]) is None  # tiny members may compress well
    assert zip_limit_error([_info(0, 0)] * 10_000) is None
    assert zip_limit_error([_info(0, 0)] * 10_001) is not None


def test_a_real_docx_passes_the_zip_limits(tmp_path: Path):
    path = tmp_path / "f"
    make_docx(path)
    with zipfile.ZipFile(path) as archive:
        assert zip_limit_error(archive.infolist()) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("教案.pdf", "教案.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("C:\\Users\\王老师\\桌面\\第一课 教学设计.docx", "第一课 教学设计.docx"),
        ("课件\r\nSet-Cookie: x=1.pptx", "课件Set-Cookie x=1.pptx"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
        ('a<b>c:d"e|f?g*h.txt', "abcdefgh.txt"),
        ("  多个   空格\t的名字 .md", "多个 空格的名字.md"),
        ("...隐藏.txt", "隐藏.txt"),
        ("ＡＢＣ１２３．ｐｄｆ", "ABC123.pdf"),
        ("第一单元\u3000教案.docx", "第一单元 教案.docx"),
        ("", "未命名文件"),
        ("...", "未命名文件"),
        ("<>?.pdf", "未命名文件.pdf"),
        ("\u202e\u200b.docx", "未命名文件.docx"),
        ("/", "未命名文件"),
    ],
)
def test_clean_filename(name: str, expected: str):
    assert clean_filename(name) == expected


def test_clean_filename_caps_length_and_keeps_the_extension():
    cleaned = clean_filename("研" * 300 + ".pptx")
    assert len(cleaned) == 120
    assert cleaned.endswith("研.pptx")
    assert len(clean_filename("x" * 300)) == 120


def test_clean_filename_output_is_safe_for_headers_and_paths():
    nasty = 'a/b\\c\r\n\x00\x1b\u202e\u2066\u200f<>:"|?*名字.txt'
    cleaned = clean_filename(nasty)
    assert cleaned == "c名字.txt"
    assert clean_filename(cleaned) == cleaned


def test_file_extension():
    assert file_extension("教案.DOCX") == ".docx"
    assert file_extension("../x/archive.tar.gz") == ".gz"
    assert file_extension("README") == ""
    assert file_extension(".pdf") == ".pdf"
