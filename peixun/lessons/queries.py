"""Read-side builders for lesson-study lists and pages: versions, observation summaries
per round and the comparison of round one and round two by dimension."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from peixun.core.db import utcnow
from peixun.core.markdown import render
from peixun.core.pagination import Page, paginate
from peixun.extensions import db
from peixun.lessons.models import (
    AWARDS,
    DIMENSIONS,
    Appraisal,
    AppraisalEntry,
    AppraisalReview,
    DesignVersion,
    LessonStudy,
    Observation,
    ObservationTask,
    Recording,
    StepThread,
)
from peixun.resources.models import Resource
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


def recordings(study: LessonStudy, round_: int) -> list[Recording]:
    return list(
        db.session.execute(
            select(Recording)
            .join(Recording.resource)
            .where(Recording.study_id == study.id, Recording.round == round_, Resource.deleted_at.is_(None))
            .order_by(Recording.id)
            .options(contains_eager(Recording.resource))
        ).scalars()
    )


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
    recordings: list[Recording]


def round_summary(study: LessonStudy, round_: int) -> RoundSummary:
    observations = list(
        db.session.execute(
            select(Observation)
            .where(Observation.study_id == study.id, Observation.round == round_)
            .order_by(Observation.id)
            .options(
                selectinload(Observation.observer),
                selectinload(Observation.version),
                selectinload(Observation.video),
            )
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
    return RoundSummary(round_, observations, dimensions, recordings(study, round_))


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


def case_html(study: LessonStudy) -> str:
    """The case for reviewers and judges, who may not read the group's own space."""
    return render(case_markdown(study))


# ---- appraisals: 组互评, 自荐 and 优秀课例评选 (lessons/appraisals.py) ----

AWARD_RANK = {code: rank for rank, code in enumerate(AWARDS)}


def appraisal_list(space: Space, page: int) -> Page:
    return paginate(
        select(Appraisal)
        .where(Appraisal.space_id == space.id)
        .order_by(Appraisal.created_at.desc(), Appraisal.id.desc())
        .options(selectinload(Appraisal.author)),
        page,
        PER_PAGE,
    )


def appraisal_for_page(appraisal_id: int) -> Appraisal | None:
    return db.session.execute(
        select(Appraisal)
        .where(Appraisal.id == appraisal_id)
        .options(selectinload(Appraisal.space), selectinload(Appraisal.author))
    ).scalar_one_or_none()


@dataclass
class EntryRow:
    entry: AppraisalEntry
    allocated: int
    submitted: int
    mean: float | None  # of the submitted reviews' totals
    reviews: list[AppraisalReview] = field(default_factory=list)  # for the organiser only


def _review_stats(entry_ids: list[int]) -> dict[int, tuple[int, int, float | None]]:
    rows = db.session.execute(
        select(
            AppraisalReview.entry_id,
            func.count(),
            func.count(AppraisalReview.submitted_at),
            func.avg(AppraisalReview.total),
        )
        .where(AppraisalReview.entry_id.in_(entry_ids))
        .group_by(AppraisalReview.entry_id)
    )
    return {
        entry_id: (n, done, float(mean) if mean is not None else None) for entry_id, n, done, mean in rows
    }


def entry_rows(appraisal: Appraisal, with_reviews: bool = False) -> list[EntryRow]:
    """The entries with their review progress and mean score; published results rank by
    award, then score. A fixed number of queries however many entries."""
    entries = list(
        db.session.execute(
            select(AppraisalEntry)
            .where(AppraisalEntry.appraisal_id == appraisal.id)
            .order_by(AppraisalEntry.id)
            .options(
                selectinload(AppraisalEntry.study).selectinload(LessonStudy.space),
                selectinload(AppraisalEntry.study).selectinload(LessonStudy.teacher),
            )
        ).scalars()
    )
    stats = _review_stats([e.id for e in entries]) if entries else {}
    rows = [EntryRow(e, *stats.get(e.id, (0, 0, None))) for e in entries]
    if with_reviews and entries:
        by_entry = {row.entry.id: row for row in rows}
        for review in db.session.execute(
            select(AppraisalReview)
            .where(AppraisalReview.entry_id.in_(by_entry))
            .order_by(AppraisalReview.id)
            .options(selectinload(AppraisalReview.reviewer))
        ).scalars():
            by_entry[review.entry_id].reviews.append(review)
    if appraisal.state == "published":
        rows.sort(key=lambda r: (AWARD_RANK.get(r.entry.award or "", len(AWARD_RANK)), -(r.mean or 0)))
    else:
        rows.sort(key=lambda r: -(r.mean or 0))
    return rows


def my_reviews(user_id: int) -> list[AppraisalReview]:
    """A reviewer's allocations: open appraisals first, unscored first, then by deadline."""
    reviews = list(
        db.session.execute(
            select(AppraisalReview)
            .join(AppraisalEntry, AppraisalEntry.id == AppraisalReview.entry_id)
            .join(Appraisal, Appraisal.id == AppraisalEntry.appraisal_id)
            .where(AppraisalReview.reviewer_id == user_id)
            .order_by(Appraisal.review_deadline_at.desc(), AppraisalReview.id)
            .limit(200)
            .options(
                selectinload(AppraisalReview.entry).selectinload(AppraisalEntry.appraisal),
                selectinload(AppraisalReview.entry).selectinload(AppraisalEntry.study),
            )
        ).scalars()
    )
    reviews.sort(key=lambda r: (r.entry.appraisal.state != "open", r.submitted_at is not None))
    return reviews


def study_entries(study: LessonStudy) -> list[AppraisalEntry]:
    return list(
        db.session.execute(
            select(AppraisalEntry)
            .where(AppraisalEntry.study_id == study.id)
            .order_by(AppraisalEntry.id)
            .options(selectinload(AppraisalEntry.appraisal).selectinload(Appraisal.space))
        ).scalars()
    )


def published_comments(entry_ids: list[int]) -> dict[int, list[AppraisalReview]]:
    """The submitted reviews of published entries, for the group to learn from (anonymous)."""
    found: dict[int, list[AppraisalReview]] = {}
    if entry_ids:
        for review in db.session.execute(
            select(AppraisalReview)
            .where(AppraisalReview.entry_id.in_(entry_ids), AppraisalReview.submitted_at.is_not(None))
            .order_by(AppraisalReview.id)
        ).scalars():
            found.setdefault(review.entry_id, []).append(review)
    return found


def open_appraisals_for(study: LessonStudy, entered: list[AppraisalEntry]) -> list[Appraisal]:
    """Where the study may be recommended (自荐): open appraisals of its space or above."""
    skip = {entry.appraisal_id for entry in entered}
    found = db.session.execute(
        select(Appraisal)
        .where(
            Appraisal.space_id.in_(study.space.chain_ids),
            Appraisal.state == "open",
            Appraisal.entry_deadline_at > utcnow(),
        )
        .order_by(Appraisal.entry_deadline_at)
        .options(selectinload(Appraisal.space))
    ).scalars()
    return [a for a in found if a.id not in skip]


def eligible_studies(appraisal: Appraisal, limit: int = 200) -> list[LessonStudy]:
    """Studies below the appraisal's space that could enter and have not."""
    entered = select(AppraisalEntry.study_id).where(AppraisalEntry.appraisal_id == appraisal.id)
    return list(
        db.session.execute(
            select(LessonStudy)
            .join(Space, Space.id == LessonStudy.space_id)
            .where(
                Space.path.startswith(appraisal.space.path),
                LessonStudy.resource_id.is_not(None),
                LessonStudy.self_scores.is_not(None),
                LessonStudy.id.not_in(entered),
            )
            .order_by(LessonStudy.finished_at.desc())
            .limit(limit)
            .options(selectinload(LessonStudy.space))
        ).scalars()
    )


def promotion_targets(appraisal: Appraisal) -> list[Appraisal]:
    """Open award appraisals of the regions above, for the shortlist (推荐上报)."""
    above = [space_id for space_id in appraisal.space.chain_ids if space_id != appraisal.space_id]
    if not above:
        return []
    return list(
        db.session.execute(
            select(Appraisal)
            .where(
                Appraisal.space_id.in_(above),
                Appraisal.kind == "award",
                Appraisal.state == "open",
                Appraisal.entry_deadline_at > utcnow(),
            )
            .order_by(Appraisal.entry_deadline_at)
            .options(selectinload(Appraisal.space))
        ).scalars()
    )


def promoted_from(appraisal: Appraisal) -> dict[int, list[AppraisalEntry]]:
    """Where each entry of this appraisal went next (entry id → entries above)."""
    found: dict[int, list[AppraisalEntry]] = {}
    for entry in db.session.execute(
        select(AppraisalEntry)
        .join(AppraisalEntry.appraisal)
        .where(
            AppraisalEntry.from_entry_id.in_(
                select(AppraisalEntry.id).where(AppraisalEntry.appraisal_id == appraisal.id)
            )
        )
        .options(selectinload(AppraisalEntry.appraisal).selectinload(Appraisal.space))
    ).scalars():
        found.setdefault(entry.from_entry_id, []).append(entry)
    return found
