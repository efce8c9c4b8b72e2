"""A 学情 table as a spreadsheet (.xlsx) or CSV (UTF-8 with BOM, so Excel reads Chinese)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from peixun.core.text import date_cn
from peixun.stats.queries import COLUMNS, RATES, Row, Table


def _cells(row: Row) -> list:
    return [_text(row.name), *(_value(row, c) for c in COLUMNS)]


def _text(value: str) -> str:
    """A name as text, never a formula: Excel runs cells starting = + - @ (a teacher
    chooses her own name)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _value(row: Row, column: str):
    value = row.value(column)
    if column in RATES:
        return "" if value is None else f"{value:.2f}%"
    return value


def _title(table: Table, rows: list[Row]) -> list[str]:
    return [f"{table.space.name} 学情统计（{date_cn(table.start)} — {date_cn(table.end)} 前）"]


def to_csv(table: Table, rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_title(table, rows))
    writer.writerow([table.by, *COLUMNS.values()])
    for row in [*rows, table.total]:
        writer.writerow(_cells(row))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, rows: list[Row]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "学情统计"
    sheet.append(_title(table, rows))
    sheet.append([table.by, *COLUMNS.values()])
    for row in [*rows, table.total]:
        sheet.append(_cells(row))
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[2], *sheet[sheet.max_row]):
        cell.font = bold
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
