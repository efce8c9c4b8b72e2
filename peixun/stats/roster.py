"""Reading a roster (学员信息表, seed 001) from .xlsx or .csv into plain rows, with every
problem named by its row and column; and the template admins fill in.

The header is found in the first rows (templates often carry a title line above it), and
columns are matched by their Chinese names, in any order, with a trailing * or a
（必填） note allowed. Excel on Chinese Windows saves CSV as GB18030, so that is tried after
UTF-8. Nothing here touches the database (stats/importer.py does)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# The template's columns, in order; the first six must be filled in on every row.
COLUMNS = ("姓名", "性别", "手机", "区县", "学校", "学科", "学段", "工作坊", "用户名")
REQUIRED = ("姓名", "性别", "手机", "区县", "学校", "学科", "学段")
HEADER_SEARCH_ROWS = 5
MAX_ROWS = 20_000
GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_HEADER_NOTE = re.compile(r"[*＊]|（[^）]*）|\([^)]*\)")
TEMPLATE_EXAMPLE = ("张丽", "女", "13812345678", "兴义市", "兴义市第八中学", "语文", "初中", "", "")


class RosterError(Exception):
    """The file as a whole cannot be read (not a roster, too many rows …)."""


@dataclass(frozen=True)
class CellError:
    row: int  # as the spreadsheet numbers it (the header is row 1 or below)
    column: str  # the column's name, 姓名 …
    message: str


@dataclass
class RosterRow:
    row: int
    values: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def clean_cell(value: object) -> str:
    """A cell as trimmed text: NFKC (full-width digits and letters become ASCII), Excel's
    13812345678.0 as 13812345678, no control characters."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    return text.strip()


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile number, or None: spaces, hyphens and a +86 prefix are dropped."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE.match(digits) else None


def _header_name(text: str) -> str:
    return _HEADER_NOTE.sub("", clean_cell(text)).replace(" ", "")


def _table(path: Path, filename: str) -> list[list[object]]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        # A file object: openpyxl refuses a path without the .xlsx ending (stored files have none).
        with path.open("rb") as stream:
            try:
                book = load_workbook(stream, read_only=True, data_only=True)
                try:
                    rows = []
                    for values in book.worksheets[0].iter_rows(values_only=True):
                        rows.append(list(values))
                        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                            raise RosterError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件。")
                    return rows
                finally:
                    book.close()
            except RosterError:
                raise
            except Exception as error:  # openpyxl and its XML parser raise many kinds for a damaged file
                raise RosterError(
                    "无法读取这个 Excel 文件，请确认是 .xlsx 格式（可用“另存为”转换）。"
                ) from error
    if suffix == ".csv":
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterError("无法识别 CSV 文件的编码，请用 UTF-8 或 GBK 保存。")
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise RosterError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件。")
        return rows
    raise RosterError("请上传 .xlsx 或 .csv 文件（可先下载模板）。")


def read_roster(path: Path, filename: str) -> tuple[list[RosterRow], list[CellError]]:
    """The roster's rows (blank rows skipped) and the errors of the file's layout."""
    table = _table(path, filename)
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        names = [_header_name(str(c)) if c is not None else "" for c in cells]
        if "姓名" in names:
            header_row = index
            break
    else:
        raise RosterError("没有找到表头：前几行中须有“姓名”“手机”等列名（可先下载模板）。")
    positions = {name: i for i, name in reversed(list(enumerate(names))) if name in COLUMNS}
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        return [], [CellError(header_row + 1, c, "缺少这一列") for c in missing]
    rows = []
    for index, cells in enumerate(table[header_row + 1 :], start=header_row + 2):
        values = {name: clean_cell(cells[i]) if i < len(cells) else "" for name, i in positions.items()}
        if any(values.values()):
            rows.append(RosterRow(index, values))
    if not rows:
        raise RosterError("表格中没有学员。")
    return rows, []


def template() -> bytes:
    """The 学员信息表 template: the header to fill in below, and a sheet explaining each
    column with an example row (kept off the first sheet so that it is never imported)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "学员信息表"
    sheet.append([f"{c}*" if c in REQUIRED else c for c in COLUMNS])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, width in enumerate((10, 6, 14, 12, 22, 8, 8, 26, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    for line in (
        ("列", "说明"),
        ("姓名*", "学员的真实姓名。"),
        ("性别*", "男 或 女。"),
        ("手机*", "11 位手机号。再次导入时按手机号（或用户名）找到同一个人并更新，不会重复建号。"),
        ("区县*", "学校所在的区县，须与平台上的区域名称一致。"),
        ("学校*", "须与平台上的学校名称一致。"),
        ("学科*、学段*", "如 语文、初中，须是平台学科、学段列表中的一项。"),
        ("工作坊", "可选：学员所在的工作坊全称。"),
        ("用户名", "可选：不填则按姓名拼音生成（如 zhangli，重名时加数字）。"),
        ("", "不需要也不要填写身份证号。"),
    ):
        notes.append(list(line))
    notes.append([])
    notes.append(["示例", "“学员信息表”中的一行："])
    notes.append(list(COLUMNS))
    notes.append(list(TEMPLATE_EXAMPLE))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
