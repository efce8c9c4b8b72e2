"""Shared vocabularies (学科, 学段, 资源类型): data an admin extends, with defaults in code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import g, has_app_context
from wtforms.fields.choices import SelectChoice

from peixun.core.errors import ServiceError
from peixun.core.settings import get_settings, put_setting
from peixun.extensions import db

DEFAULT_SUBJECTS = (
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "历史",
    "地理",
    "道德与法治",
    "信息技术",
    "科学",
    "音乐",
    "体育",
    "美术",
    "综合实践",
    "心理健康",
    "其他",
)
DEFAULT_STAGES = ("小学", "初中", "高中")
# Seed 000's list of what teachers share, in the words the programmes use.
DEFAULT_RESOURCE_TYPES = (
    "课件",
    "教案",
    "课例",
    "微课",
    "讲义",
    "论文",
    "反思",
    "试题",
    "视频",
    "音频",
    "网站",
    "其他",
)

MAX_TERMS, MAX_TERM_CHARS = 100, 20


@dataclass(frozen=True)
class Vocabulary:
    name: str
    label: str
    defaults: tuple[str, ...]

    @property
    def setting_key(self) -> str:
        return f"vocab.{self.name}"


SUBJECTS = Vocabulary("subjects", "学科", DEFAULT_SUBJECTS)
STAGES = Vocabulary("stages", "学段", DEFAULT_STAGES)
RESOURCE_TYPES = Vocabulary("resource_types", "资源类型", DEFAULT_RESOURCE_TYPES)
VOCABULARIES = (SUBJECTS, STAGES, RESOURCE_TYPES)


def terms(vocabulary: Vocabulary) -> tuple[str, ...]:
    """The current terms, read once per request (forms ask several times)."""
    if not has_app_context():
        return vocabulary.defaults
    if "_vocab" not in g:  # every list in one query: a form usually shows several
        stored = get_settings([v.setting_key for v in VOCABULARIES])
        g._vocab = {
            v.name: tuple(stored[v.setting_key].split("\n")) if v.setting_key in stored else v.defaults
            for v in VOCABULARIES
        }
    return g._vocab[vocabulary.name]


def parse_terms(vocabulary: Vocabulary, text: str, field: str | None = None) -> list[str]:
    """One term a line; blank lines dropped; refuses duplicates, long terms, an empty list."""
    found: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        term = " ".join(raw.split())
        if not term:
            continue
        if len(term) > MAX_TERM_CHARS:
            raise ServiceError(f"第 {number} 行太长：每项最多 {MAX_TERM_CHARS} 个字。", field)
        if term in found:
            raise ServiceError(f"第 {number} 行「{term}」重复了。", field)
        found.append(term)
    if not found:
        raise ServiceError(f"{vocabulary.label}列表至少要有一项。", field)
    if len(found) > MAX_TERMS:
        raise ServiceError(f"{vocabulary.label}最多 {MAX_TERMS} 项。", field)
    return found


def save_terms(vocabulary: Vocabulary, text: str, field: str | None = None) -> None:
    """Store an admin's list. Values already stored on users, spaces or resources keep
    their text even when a term is removed; only new choices change."""
    put_setting(vocabulary.setting_key, "\n".join(parse_terms(vocabulary, text, field)))
    db.session.commit()
    g.pop("_vocab", None)


def choices(values: tuple[str, ...] | list[str], blank: str | None = "（不填）") -> list[SelectChoice]:
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, value) for value in values]


def choices_of(vocabulary: Vocabulary, blank: str | None = "（不填）") -> Callable[[], list[SelectChoice]]:
    """For SelectField(choices=…): resolved on each form, so an admin's edit shows at once."""
    return lambda: choices(terms(vocabulary), blank)
