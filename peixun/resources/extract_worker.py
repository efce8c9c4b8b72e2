"""Subprocess that reads one uploaded file: prints its text (and writes a thumbnail) as JSON."""

# Run as `python -m peixun.resources.extract_worker` by extract.py under resource limits.
# It reads one JSON request on stdin and prints one JSON answer on stdout.  The only file
# it writes is the thumbnail it was asked for.  Imports at module level stay in the
# standard library: files.py imports zip_limit_error from here, and a worker should start
# fast; the parsers are imported only for the kind being read.

from __future__ import annotations

import json
import re
import sys
import traceback
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_TOTAL = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
THUMBNAIL_SIZE = (480, 360)

ZIP_TOO_LARGE = "文件内部解压后过大，可能已损坏或不安全。"
ZIP_TOO_MANY = "文件内部包含的条目过多，可能已损坏或不安全。"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


class Refused(Exception):
    """A file the worker will not read, with the Chinese reason."""


def zip_limit_error(infos: Iterable[zipfile.ZipInfo]) -> str | None:
    """Why a zip's directory looks like a zip bomb, or None; reads declared sizes only."""
    total = 0
    for count, info in enumerate(infos, 1):
        if count > MAX_ZIP_MEMBERS:
            return ZIP_TOO_MANY
        total += info.file_size
        if total > MAX_ZIP_TOTAL:
            return ZIP_TOO_LARGE
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            return ZIP_TOO_LARGE
    return None


def _check_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        reason = zip_limit_error(archive.infolist())
    if reason:
        raise Refused(reason)


def _docx(path: Path, max_chars: int) -> Iterator[str]:
    from docx import Document
    from docx.table import Table

    _check_zip(path)
    for block in Document(str(path)).iter_inner_content():
        if isinstance(block, Table):
            yield from _table_rows(block)
        else:
            yield block.text


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(cell.text.strip())
        if any(cells):
            yield "\t".join(cells)


def _pptx(path: Path, max_chars: int) -> Iterator[str]:
    from pptx import Presentation

    _check_zip(path)
    for number, slide in enumerate(Presentation(str(path)).slides, 1):
        yield f"第{number}页"
        yield from _shapes(slide.shapes)


def _shapes(shapes: Any) -> Iterator[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        if shape.has_text_frame:
            yield shape.text_frame.text
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    yield "\t".join(cells)


def _xlsx(path: Path, max_chars: int) -> Iterator[str]:
    from openpyxl import load_workbook

    _check_zip(path)
    # A file object, not the path: openpyxl refuses paths not ending in .xlsx, and
    # stored files have no extension.
    with path.open("rb") as source:
        workbook = load_workbook(source, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                yield sheet.title
                for row in sheet.iter_rows(values_only=True):
                    cells = ["" if value is None else str(value).strip() for value in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        yield "\t".join(cells)
        finally:
            workbook.close()


def _pdf(path: Path, max_chars: int) -> Iterator[str]:
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as error:
            raise Refused("PDF 已加密，无法读取内容。") from error
        if opened == PasswordType.NOT_DECRYPTED:
            raise Refused("PDF 已加密，无法读取内容。")
    for page in reader.pages:
        yield page.extract_text() or ""


def _plain(path: Path, max_chars: int) -> Iterator[str]:
    with path.open("rb") as source:
        data = source.read(max_chars * 4 + 4)
        at_end = not source.read(1)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            yield _decode(data, encoding, at_end, "strict")
            return
        except UnicodeDecodeError:
            continue
    yield _decode(data, "gb18030", at_end, "replace")


def _decode(data: bytes, encoding: str, final: bool, errors: str) -> str:
    import codecs

    # Not final when the read stopped early: a character cut in two is not an error.
    return codecs.getincrementaldecoder(encoding)(errors).decode(data, final=final)


READERS = {"docx": _docx, "pptx": _pptx, "xlsx": _xlsx, "pdf": _pdf, "txt": _plain, "md": _plain}


def read_text(path: Path, code: str, max_chars: int) -> str:
    """The text of a file, tidied: no control characters, no runs of blank lines, capped."""
    parts: list[str] = []
    length = 0
    for part in READERS[code](path, max_chars):
        parts.append(part)
        length += len(part) + 1
        if length > max_chars:
            break
    return tidy("\n".join(parts))[:max_chars]


def tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def make_thumbnail(path: Path, target: Path) -> None:
    """A JPEG of at most 480×360, upright, on white; images over the pixel limit are refused."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # Between the limit and twice it Pillow only warns: refuse those too.
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        _thumbnail(Image.open(path), target)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused("图片尺寸过大，无法生成缩略图。") from error


def _thumbnail(opened: Any, target: Path) -> None:
    from PIL import Image, ImageOps

    with opened:
        opened.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("P", "PA"):
            image = image.convert("RGBA")
        image.thumbnail(THUMBNAIL_SIZE)
        if image.mode in ("RGBA", "LA", "RGBa", "La"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        image.convert("RGB").save(target, "JPEG", quality=82)


def run(request: dict[str, Any]) -> dict[str, Any]:
    path = Path(request["path"])
    code = request["code"]
    answer: dict[str, Any] = {"status": "none", "text": "", "error": "", "has_thumbnail": False}
    try:
        if request.get("thumbnail_to"):
            make_thumbnail(path, Path(request["thumbnail_to"]))
            answer["has_thumbnail"] = True
        if code in READERS:
            answer["text"] = read_text(path, code, int(request["max_chars"]))
            answer["status"] = "ok"
    except Refused as refusal:
        answer.update(status="failed", error=str(refusal))
    except MemoryError:
        answer.update(status="failed", error="无法读取文件内容（内存不足）")
    except Exception:
        traceback.print_exc()  # on stderr, which extract.py logs
        answer.update(status="failed", error="无法读取文件内容（文件可能已损坏）")
    return answer


def main() -> int:
    # Parsers warn about odd files on stderr; nobody reads it, and the answer says enough.
    warnings.simplefilter("ignore")
    request = json.loads(sys.stdin.read())
    answer = run(request)
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
