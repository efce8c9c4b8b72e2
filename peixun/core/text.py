"""Chinese-aware display filters: dates, relative times, counts, truncation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flask import Flask

CHINA = timezone(timedelta(hours=8), "CST")


def local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA)


def date_cn(value: datetime | None) -> str:
    return "" if value is None else local(value).strftime("%Y年%m月%d日")


def datetime_cn(value: datetime | None) -> str:
    return "" if value is None else local(value).strftime("%Y-%m-%d %H:%M")


def ago_cn(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - local(value)).total_seconds())
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{seconds // 60}分钟前"
    if seconds < 86400:
        return f"{seconds // 3600}小时前"
    if seconds < 86400 * 30:
        return f"{seconds // 86400}天前"
    return date_cn(value)


def count_cn(value: int) -> str:
    if value >= 100_000_000:
        return f"{value / 100_000_000:.1f}亿"
    if value >= 10_000:
        return f"{value / 10_000:.1f}万"
    return str(value)


def truncate_cn(value: str | None, length: int = 80) -> str:
    value = value or ""
    return value if len(value) <= length else value[: length - 1] + "…"


def filesize(size: int | None) -> str:
    """1536 → "1.5 KB"; sizes of uploads as teachers read them."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date_cn=date_cn,
        datetime_cn=datetime_cn,
        ago_cn=ago_cn,
        count_cn=count_cn,
        truncate_cn=truncate_cn,
        filesize=filesize,
    )
