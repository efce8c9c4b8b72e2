"""What an uploaded file really is (by its content, on an allow-list) and the name to show for it."""

from __future__ import annotations

import codecs
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from peixun.core.errors import ServiceError
from peixun.resources.extract_worker import MAX_ZIP_MEMBERS, ZIP_TOO_MANY, zip_limit_error


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    mimetype: str
    media: str  # one of image, video, audio, pdf, document, text
    inline: bool  # may display in the browser (images, PDF, audio, video only)
    extractable: bool  # has text worth extracting


_OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("docx", "Word 文档", _OOXML + "wordprocessingml.document", "document", False, True),
        FileKind(
            "pptx", "PowerPoint 演示文稿", _OOXML + "presentationml.presentation", "document", False, True
        ),
        FileKind("xlsx", "Excel 表格", _OOXML + "spreadsheetml.sheet", "document", False, True),
        FileKind("doc", "Word 97-2003 文档", "application/msword", "document", False, False),
        FileKind(
            "ppt", "PowerPoint 97-2003 演示文稿", "application/vnd.ms-powerpoint", "document", False, False
        ),
        FileKind("xls", "Excel 97-2003 表格", "application/vnd.ms-excel", "document", False, False),
        FileKind("pdf", "PDF 文档", "application/pdf", "pdf", True, True),
        FileKind("txt", "文本文件", "text/plain", "text", False, True),
        FileKind("md", "Markdown 文本", "text/markdown", "text", False, True),
        FileKind("png", "PNG 图片", "image/png", "image", True, False),
        FileKind("jpeg", "JPEG 图片", "image/jpeg", "image", True, False),
        FileKind("gif", "GIF 图片", "image/gif", "image", True, False),
        FileKind("webp", "WebP 图片", "image/webp", "image", True, False),
        FileKind("mp4", "MP4 视频", "video/mp4", "video", True, False),
        FileKind("webm", "WebM 视频", "video/webm", "video", True, False),
        FileKind("mp3", "MP3 音频", "audio/mpeg", "audio", True, False),
        FileKind("m4a", "M4A 音频", "audio/mp4", "audio", True, False),
        FileKind("wav", "WAV 音频", "audio/wav", "audio", True, False),
        FileKind("ogg", "Ogg 音频", "audio/ogg", "audio", True, False),
    )
}
# The extensions a file of each kind may carry (lower case, with the dot).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "docx": (".docx",),
    "pptx": (".pptx",),
    "xlsx": (".xlsx",),
    "doc": (".doc",),
    "ppt": (".ppt",),
    "xls": (".xls",),
    "pdf": (".pdf",),
    "txt": (".txt",),
    "md": (".md", ".markdown"),
    "png": (".png",),
    "jpeg": (".jpg", ".jpeg"),
    "gif": (".gif",),
    "webp": (".webp",),
    "mp4": (".mp4", ".m4v"),
    "webm": (".webm",),
    "mp3": (".mp3",),
    "m4a": (".m4a",),
    "wav": (".wav",),
    "ogg": (".ogg", ".oga"),
}
ALLOWED_EXTENSIONS = frozenset(ext for exts in EXTENSIONS.values() for ext in exts)

UNSUPPORTED = "不支持的文件类型。支持：Word、PowerPoint、Excel、PDF、文本、图片、音频和视频。"
DAMAGED = "文件已损坏，无法识别其类型。"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
TEXT_SAMPLE = 64 * 1024
MAX_NAME_LENGTH = 120
UNNAMED = "未命名文件"

# filetype's extension for what it recognised → our kind; anything else is not allowed.
_FILETYPE_CODES = {
    "png": "png",
    "apng": "png",
    "jpg": "jpeg",
    "gif": "gif",
    "webp": "webp",
    "mp4": "mp4",
    "m4v": "mp4",
    "webm": "webm",
    "mp3": "mp3",
    "m4a": "m4a",
    "wav": "wav",
    "ogg": "ogg",
    "pdf": "pdf",
}
_LEGACY_OFFICE = {".doc": "doc", ".ppt": "ppt", ".xls": "xls"}
# OOXML main parts, looked for in this order.
_OOXML_PARTS = (("word/document.xml", "docx"), ("ppt/presentation.xml", "pptx"), ("xl/workbook.xml", "xlsx"))
_DROPPED = frozenset('<>:"|?*/\\')


def sniff(path: Path, filename: str) -> FileKind:
    """The kind of the file at `path`, decided by its content; its name must agree.

    Raises ServiceError (field "file") for content off the allow-list, a name whose
    extension belongs to another kind (a web page renamed .pdf), or a zip bomb.
    """
    extension = file_extension(filename)
    with path.open("rb") as source:
        head = source.read(TEXT_SAMPLE + 1)
    if not head:
        raise ServiceError("文件是空的。", "file")
    code = _detect(path, head, extension)
    if code is None:
        raise ServiceError(UNSUPPORTED, "file")
    if extension not in EXTENSIONS[code]:
        if code in ("txt", "md") and extension not in ALLOWED_EXTENSIONS:
            # Text named .html, .svg, .js …: a type we do not take at all.
            raise ServiceError(UNSUPPORTED, "file")
        raise _mismatch(KINDS[code].label, extension)
    return KINDS[code]


def file_extension(filename: str) -> str:
    """The lower-case extension (with the dot) of the name as it will be shown, or ""."""
    _, dot, ext = clean_filename(filename).rpartition(".")
    return f".{ext.lower()}" if dot and ext else ""


def _detect(path: Path, head: bytes, extension: str) -> str | None:
    if head.startswith(OLE2_MAGIC):
        if extension in _LEGACY_OFFICE:
            return _LEGACY_OFFICE[extension]
        # Password-protected .docx/.pptx/.xlsx are OLE2 containers too.
        raise _mismatch("旧版或已加密的 Office 文件", extension)
    if head.startswith(ZIP_MAGIC):
        return _ooxml(path)
    try:
        guessed = filetype.guess(head[:8192])
    except Exception:  # a truncated header can trip its parsers
        guessed = None
    if guessed is not None and guessed.extension in _FILETYPE_CODES:
        code = _FILETYPE_CODES[guessed.extension]
        # MP4 and M4A are the same container; the name tells sound from picture.
        if code in ("mp4", "m4a") and extension in EXTENSIONS["mp4"] + EXTENSIONS["m4a"]:
            code = "m4a" if extension in EXTENSIONS["m4a"] else "mp4"
        return code
    if _is_text(head[:TEXT_SAMPLE], complete=len(head) <= TEXT_SAMPLE):
        return "md" if extension in EXTENSIONS["md"] else "txt"
    return None


def _ooxml(path: Path) -> str | None:
    """docx, pptx or xlsx from the zip's member names; refuses zip bombs without unpacking."""
    try:
        if _declared_members(path) > MAX_ZIP_MEMBERS:
            raise ServiceError(ZIP_TOO_MANY, "file")
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ServiceError(DAMAGED, "file") from error
    reason = zip_limit_error(infos)
    if reason:
        raise ServiceError(reason, "file")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        return None
    return next((code for part, code in _OOXML_PARTS if part in names), None)


def _declared_members(path: Path) -> int:
    # ZipFile makes an object per member as it opens; a directory of millions of tiny
    # members would exhaust memory before the member limit is checked, so count first.
    with path.open("rb") as source:
        end = zipfile._EndRecData(source)  # type: ignore[attr-defined]
    if end is None:
        raise zipfile.BadZipFile("no end of central directory")
    return int(end[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


def _is_text(sample: bytes, *, complete: bool) -> bool:
    """UTF-8 (a BOM allowed) or GB18030 without NUL bytes."""
    if b"\0" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # Not final when the sample was cut: a character split in two is no error.
            codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _mismatch(content: str, extension: str) -> ServiceError:
    shown = extension or "（无扩展名）"
    return ServiceError(f"文件内容与扩展名不符（内容是{content}，扩展名却是 {shown}）。", "file")


def clean_filename(name: str) -> str:
    """The name to show and offer on download; never used to store the file.

    Keeps Chinese (unlike werkzeug's secure_filename) but drops the path, control and
    format characters (CR/LF, bidi overrides, zero-width) and characters Windows forbids.
    """
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKC", name)
    name = "".join(
        char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs") and char not in _DROPPED
    )
    name = " ".join(name.split())
    stem, dot, ext = name.rpartition(".")
    if dot and ext and len(ext) <= 16 and " " not in ext:
        extension = f".{ext}"
    else:
        stem, extension = name, ""
    stem = stem.lstrip(". ").rstrip()
    if not stem:
        return UNNAMED + extension
    return stem[: MAX_NAME_LENGTH - len(extension)].rstrip() + extension
