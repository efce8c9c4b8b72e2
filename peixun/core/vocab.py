"""Shared vocabularies: subjects (学科) and stages (学段)."""

from wtforms.fields.choices import SelectChoice

SUBJECTS = [
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
]

STAGES = ["小学", "初中", "高中"]


def choices(values: list[str], blank: str | None = "（不填）") -> list[SelectChoice]:
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, value) for value in values]
