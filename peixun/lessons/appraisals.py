"""After the summary: 自评 (self review), 组互评 (peer review by other groups), 自荐
(recommendation) and 优秀课例评选 (awards school → county → city → province), seed 003.

An Appraisal is run by an organiser in a space. Entries are lesson studies below that space
whose case is published and self-reviewed. The organiser allocates reviewers (never the
entry's own group), reviewers score by RUBRIC until the deadline, the organiser publishes
the results with awards and a shortlist, and recommends the shortlist to an award appraisal
of a region above. Each operation commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.markdown import normalise, render
from peixun.extensions import db
from peixun.lessons.models import (
    APPRAISAL_KINDS,
    AWARDS,
    RUBRIC,
    Appraisal,
    AppraisalEntry,
    AppraisalReview,
    LessonStudy,
)
from peixun.resources.service import deadline_of
from peixun.spaces.models import ACTIVE, REGION, SCHOOL, WORKSHOP, Membership, Space
from peixun.spaces.service import record

# Where each kind runs: peer review among the groups of a workshop or school; awards at a
# school or any region level (county, city, province).
KIND_SPACES = {"peer": (WORKSHOP, SCHOOL), "award": (SCHOOL, REGION)}
MAX_REVIEWERS_PER_ENTRY = 9
MAX_TEXT = 5000


def clean_scores(raw: dict[str, object]) -> dict[str, int]:
    """Whole points per criterion, each within its maximum; every criterion is required."""
    scores = {}
    for code, (label, points, _) in RUBRIC.items():
        value = raw.get(code)
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ServiceError(f"请为“{label}”打分（0–{points} 分）。", code) from None
        if not 0 <= value <= points:
            raise ServiceError(f"“{label}”的得分须在 0–{points} 分之间。", code)
        scores[code] = value
    return scores


def _text(text: str, field: str) -> tuple[str, str]:
    text = normalise(text or "")
    if len(text) > MAX_TEXT:
        raise ServiceError(f"最多 {MAX_TEXT} 字。", field)
    return text, render(text) if text.strip() else ""


def save_self_review(actor: User, study: LessonStudy, scores: dict[str, object], text: str) -> None:
    """自评: the group's own scores and account of its work (required to end the study)."""
    if study.step != "review":
        raise ServiceError("发布课例后的“自评与推荐”阶段才能自评。")
    clean = clean_scores(scores)
    body, body_html = _text(text, "self_review")
    if not body.strip():
        raise ServiceError("请写下自评意见。", "self_review")
    study.self_scores, study.self_review, study.self_review_html = clean, body, body_html
    record(study.space, actor, "lesson.self_reviewed", study.title, study.id)
    db.session.commit()


@dataclass
class AppraisalData:
    kind: str
    title: str
    entry_deadline: date
    review_deadline: date
    description: str = ""
    reviewers_per_entry: int = 3


def open_appraisal(actor: User, space: Space, data: AppraisalData) -> Appraisal:
    if data.kind not in APPRAISAL_KINDS:
        raise ServiceError("请选择评价方式。", "kind")
    if space.kind not in KIND_SPACES[data.kind]:
        raise ServiceError(
            "组互评在工作坊或学校中开展；优秀课例评选由学校或区域组织。"
            if data.kind == "peer"
            else "优秀课例评选由学校或区域（区县、市、省）组织。",
            "kind",
        )
    title = clean_text(data.title, 120)
    if not title:
        raise ServiceError("请填写名称。", "title")
    entry_at, review_at = deadline_of(data.entry_deadline), deadline_of(data.review_deadline)
    if entry_at <= utcnow():
        raise ServiceError("报送截止日期须在今天或以后。", "entry_deadline")
    if review_at < entry_at:
        raise ServiceError("评审截止日期不能早于报送截止日期。", "review_deadline")
    if not 1 <= data.reviewers_per_entry <= MAX_REVIEWERS_PER_ENTRY:
        raise ServiceError(f"每个课例的评审人数为 1–{MAX_REVIEWERS_PER_ENTRY} 人。", "reviewers_per_entry")
    description, description_html = _text(data.description, "description")
    appraisal = Appraisal(
        space_id=space.id,
        author_id=actor.id,
        kind=data.kind,
        title=title,
        description=description,
        description_html=description_html,
        entry_deadline_at=entry_at,
        review_deadline_at=review_at,
        reviewers_per_entry=data.reviewers_per_entry,
    )
    appraisal.space = space
    db.session.add(appraisal)
    db.session.flush()
    record(space, actor, "appraisal.opened", title, appraisal.id)
    db.session.commit()
    return appraisal


def eligibility(appraisal: Appraisal, study: LessonStudy) -> str | None:
    """Why a study cannot enter (None when it can)."""
    if appraisal.space_id not in study.space.chain_ids:
        return "只有本空间及其下级空间的课例研究可以参加。"
    if study.resource_id is None:
        return "课例发布后才能参加评价。"
    if not study.self_scores:
        return "请先完成自评。"
    return None


def enter(
    actor: User,
    appraisal: Appraisal,
    study: LessonStudy,
    *,
    source: str,
    statement: str = "",
    from_entry: AppraisalEntry | None = None,
) -> AppraisalEntry:
    """自荐 (source "self"), the organiser's choice ("organiser") or a recommendation from an
    appraisal below ("promoted")."""
    if not appraisal.takes_entries:
        raise ServiceError("报送已经截止。")
    why_not = eligibility(appraisal, study)
    if why_not:
        raise ServiceError(why_not)
    entry = AppraisalEntry(
        appraisal_id=appraisal.id,
        study_id=study.id,
        entered_by_id=actor.id,
        source=source,
        statement=normalise(statement or "")[:2000],
        from_entry_id=from_entry.id if from_entry else None,
    )
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError("这个课例已经报送过了。") from None
    record(appraisal.space, actor, "appraisal.entered", f"{study.title} → {appraisal.title}", appraisal.id)
    db.session.commit()
    return entry


def _members_among(users: list[User], spaces: set[int]) -> set[tuple[int, int]]:
    """(user id, space id) for each active membership of these users in these spaces."""
    rows = db.session.execute(
        select(Membership.user_id, Membership.space_id).where(
            Membership.user_id.in_([u.id for u in users]),
            Membership.space_id.in_(spaces),
            Membership.state == ACTIVE,
        )
    )
    return {(user_id, space_id) for user_id, space_id in rows}


def allocate(actor: User, appraisal: Appraisal, reviewers: Iterable[User]) -> int:
    """Give every entry up to `reviewers_per_entry` reviewers from the list, spreading the
    load (the least-loaded reviewer first) and skipping a reviewer of the entry's own group.
    Earlier allocations stay. Returns how many reviews were allocated; refuses when an entry
    cannot get enough reviewers, so nothing is half done."""
    if appraisal.state != "open":
        raise ServiceError("结果已公布，不能再分配评审。")
    pool = list({user.id: user for user in reviewers}.values())
    if not pool:
        raise ServiceError("请填写评审人的用户名。", "users")
    entries = list(
        db.session.execute(
            select(AppraisalEntry)
            .where(AppraisalEntry.appraisal_id == appraisal.id)
            .options(selectinload(AppraisalEntry.study))
            .order_by(AppraisalEntry.id)
        ).scalars()
    )
    if not entries:
        raise ServiceError("还没有报送的课例。")
    existing = db.session.execute(
        select(AppraisalReview.entry_id, AppraisalReview.reviewer_id)
        .join(AppraisalEntry, AppraisalEntry.id == AppraisalReview.entry_id)
        .where(AppraisalEntry.appraisal_id == appraisal.id)
    ).all()
    members = _members_among(pool, {entry.study.space_id for entry in entries})

    def conflicted(user: User, study: LessonStudy) -> bool:
        """A group does not review its own case (组互评 is by other groups)."""
        return user.id in (study.author_id, study.teacher_id) or (user.id, study.space_id) in members

    taken: dict[int, set[int]] = {entry.id: set() for entry in entries}
    load: dict[int, int] = {user.id: 0 for user in pool}
    for entry_id, reviewer_id in existing:
        taken[entry_id].add(reviewer_id)
        if reviewer_id in load:
            load[reviewer_id] += 1
    added, short = [], []
    for entry in entries:
        need = appraisal.reviewers_per_entry - len(taken[entry.id])
        candidates = sorted(
            (u for u in pool if u.id not in taken[entry.id] and not conflicted(u, entry.study)),
            key=lambda u: (load[u.id], u.id),
        )
        if need > len(candidates):
            short.append(entry.study.title)
            continue
        for user in candidates[: max(need, 0)]:
            added.append(AppraisalReview(entry_id=entry.id, reviewer_id=user.id))
            taken[entry.id].add(user.id)
            load[user.id] += 1
    if short:
        raise ServiceError(
            f"评审人不够：{'、'.join(short[:5])} 还需要更多评审人（评审人不能评本组的课例）。", "users"
        )
    db.session.add_all(added)
    db.session.commit()
    return len(added)


def submit_review(actor: User, review: AppraisalReview, scores: dict[str, object], comment: str) -> None:
    appraisal = review.entry.appraisal
    if not appraisal.takes_reviews:
        raise ServiceError("评审已经截止。")
    review.scores = clean_scores(scores)
    review.total = sum(review.scores.values())
    review.comment = normalise(comment or "")[:2000]
    review.submitted_at = utcnow()
    db.session.commit()


def publish(actor: User, appraisal: Appraisal, awards: dict[int, str], shortlist: set[int]) -> None:
    """Publish the results (公示): awards by entry id, and the entries recommended upward."""
    if appraisal.state != "open":
        raise ServiceError("结果已经公布。")
    entries = list(
        db.session.execute(
            select(AppraisalEntry).where(AppraisalEntry.appraisal_id == appraisal.id)
        ).scalars()
    )
    if not entries:
        raise ServiceError("还没有报送的课例，无法公布结果。")
    known = {entry.id for entry in entries}
    if set(awards) - known or shortlist - known:
        raise ServiceError("评选结果中有不属于本次评选的课例，请刷新后再试。")
    if any(award not in AWARDS for award in awards.values() if award):
        raise ServiceError("请选择列表中的奖项。")
    if shortlist and appraisal.kind != "award":
        raise ServiceError("组互评不向上推荐；请在优秀课例评选中推荐。")
    for entry in entries:
        entry.award = awards.get(entry.id) or None
        entry.shortlisted = entry.id in shortlist
    appraisal.state, appraisal.published_at = "published", utcnow()
    record(appraisal.space, actor, "appraisal.published", appraisal.title, appraisal.id)
    db.session.commit()


def promote(actor: User, entry: AppraisalEntry, target: Appraisal) -> AppraisalEntry:
    """推荐上报: a shortlisted entry goes on to an award appraisal of a region above."""
    source = entry.appraisal
    if source.state != "published" or not entry.shortlisted:
        raise ServiceError("只有公布结果时列入推荐名单的课例可以上报。")
    if target.kind != "award" or target.space_id == source.space_id:
        raise ServiceError("请选择上级的优秀课例评选。")
    if target.space_id not in source.space.chain_ids:
        raise ServiceError("只能推荐到本空间的上级区域。")
    return enter(actor, target, entry.study, source="promoted", statement=entry.statement, from_entry=entry)


def pending_reviews(user: User) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(AppraisalReview)
        .join(AppraisalEntry, AppraisalEntry.id == AppraisalReview.entry_id)
        .join(Appraisal, Appraisal.id == AppraisalEntry.appraisal_id)
        .where(
            AppraisalReview.reviewer_id == user.id,
            AppraisalReview.submitted_at.is_(None),
            Appraisal.state == "open",
        )
    ).scalar_one()
