"""Read-side builders for lesson-study lists and pages: versions, observation summaries
per round and the comparison of round one and round two by dimension."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peixun.core.pagination import Page, paginate
from peixun.extensions import db
from peixun.lessons.models import (
    DIMENSIONS,
    DesignVersion,
    LessonStudy,
    Observation,
    ObservationTask,
    StepThread,
)
from peixun.spaces.models import Space

PER_PAGE = 20


def study_list(space: Space, page: int) -> Page:
    return paginate(
        select(LessonStudy)
        .where(LessonStudy.space_id == space.id)
        .order_by(LessonStudy.created_at.desc(), LessonStudy.id.desc())
        .options(selectinload(LessonStudy.teacher), selectinload(LessonStudy.author)),
        page,
        PER_PAGE,
    )


def study_for_page(study_id: int) -> LessonStudy | None:
    return db.session.execute(
        select(LessonStudy)
        .where(LessonStudy.id == study_id)
        .options(
            selectinload(LessonStudy.space),
            selectinload(LessonStudy.author),
            selectinload(LessonStudy.teacher),
            selectinload(LessonStudy.threads).selectinload(StepThread.thread),
        )
    ).scalar_one_or_none()


def versions(study: LessonStudy) -> list[DesignVersion]:
    return list(
        db.session.execute(
            select(DesignVersion)
            .where(DesignVersion.study_id == study.id)
            .order_by(DesignVersion.number)
            .options(selectinload(DesignVersion.author))
        ).scalars()
    )


def tasks(study: LessonStudy) -> dict[tuple[int, str], list]:
    """分工观课 as {(round, dimension): [users]}."""
    found: dict[tuple[int, str], list] = {}
    for task in db.session.execute(
        select(ObservationTask)
        .where(ObservationTask.study_id == study.id)
        .options(selectinload(ObservationTask.user))
    ).scalars():
        found.setdefault((task.round, task.dimension), []).append(task.user)
    return found


@dataclass
class DimensionSummary:
    dimension: str
    label: str
    ratings: list[int] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (observer, note)

    @property
    def average(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 1) if self.ratings else None


@dataclass
class RoundSummary:
    round: int
    observations: list[Observation]
    dimensions: list[DimensionSummary]


def round_summary(study: LessonStudy, round_: int) -> RoundSummary:
    observations = list(
        db.session.execute(
            select(Observation)
            .where(Observation.study_id == study.id, Observation.round == round_)
            .order_by(Observation.id)
            .options(selectinload(Observation.observer), selectinload(Observation.version))
        ).scalars()
    )
    dimensions = []
    for code, label in DIMENSIONS.items():
        summary = DimensionSummary(code, label)
        for o in observations:
            summary.ratings.append(o.rating(code))
            if o.note(code).strip():
                summary.notes.append((o.observer.display_name, o.note(code)))
        dimensions.append(summary)
    return RoundSummary(round_, observations, dimensions)


@dataclass
class Comparison:
    label: str
    first: float | None
    second: float | None

    @property
    def change(self) -> float | None:
        if self.first is None or self.second is None:
            return None
        return round(self.second - self.first, 1)


def compare(first: RoundSummary, second: RoundSummary) -> list[Comparison]:
    """What the second 打磨 improved, by dimension (average ratings)."""
    return [
        Comparison(a.label, a.average, b.average)
        for a, b in zip(first.dimensions, second.dimensions, strict=True)
    ]


def case_markdown(study: LessonStudy) -> str:
    """The finished case as one Markdown document: design versions, observations, summary."""
    lines = [f"# {study.title}", "", f"研修主题：{study.theme}", ""]
    if study.question:
        lines += [f"研究问题：{study.question}", ""]
    lines += [f"执教：{study.teacher.display_name}", ""]
    for version in versions(study):
        lines += [f"## {version.label}", "", version.body, ""]
        if version.note:
            lines += [f"修改说明：{version.note}", ""]
    for round_ in (1, 2):
        summary = round_summary(study, round_)
        if not summary.observations:
            continue
        lines += [f"## 第{round_}次观课", "", "| 维度 | 平均分 | 意见 |", "|---|---:|---|"]
        for d in summary.dimensions:
            notes = (
                "；".join(f"{name}：{note}" for name, note in d.notes).replace("|", "｜").replace("\n", " ")
            )
            lines.append(f"| {d.label} | {d.average or ''} | {notes} |")
        lines.append("")
    lines += ["## 磨课总结", "", study.summary, ""]
    return "\n".join(lines)
