"""Host workload (seed 002 scores 辅导者 on 学情通报, 研修组织, 工作坊简报, 资源整合): for each
host of a workshop and each expert in a region, what they did in a period. One query a
column, whatever the number of hosts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from peixun.accounts.models import User
from peixun.briefs.models import PUBLISHED, Brief
from peixun.core.policy import EXPERT, HOST
from peixun.extensions import db
from peixun.lessons.models import LessonStudy
from peixun.resources.models import SELECTED, LibraryEntry
from peixun.spaces.models import Activity, RoleAssignment, Space
from peixun.stats.queries import Period
from peixun.threads.models import QUESTION, Post, Thread

COLUMNS = {
    "briefs": "发布简报",
    "reports": "学情通报",
    "answered": "答疑（问题数）",
    "hours": "平均答复用时（小时）",
    "selected": "遴选资源",
    "lessons": "指导课例研究",
}
ROLE_LABELS = {HOST: "坊主", EXPERT: "学科专家"}


@dataclass
class WorkRow:
    user: User
    role: str
    spaces: list[Space] = field(default_factory=list)
    counts: dict[str, float | int | None] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def workload(region: Space, period: Period) -> list[WorkRow]:
    below = select(Space.id).where(Space.path.startswith(region.path))
    roles = db.session.execute(
        select(RoleAssignment, User, Space)
        .join(User, User.id == RoleAssignment.user_id)
        .join(Space, Space.id == RoleAssignment.space_id)
        .where(RoleAssignment.role.in_((HOST, EXPERT)), RoleAssignment.space_id.in_(below))
        .order_by(RoleAssignment.role.desc(), User.real_name, User.id)
    ).all()
    rows: dict[tuple[int, str], WorkRow] = {}
    for role, user, space in roles:
        rows.setdefault((user.id, role.role), WorkRow(user, role.role)).spaces.append(space)
    if not rows:
        return []
    ids = list({user_id for user_id, _ in rows})
    start, end = period.start, period.end

    def put(column: str, values: dict[int, float | int]) -> None:
        for (user_id, _), row in rows.items():
            row.counts[column] = values.get(user_id, 0 if column != "hours" else None)

    def done(person, space, when, *where) -> dict[int, int]:
        """How many of these rows each of them made in the region below, in the period."""
        statement = select(person, func.count()).where(
            person.in_(ids), space.in_(below), when >= start, when < end, *where
        )
        return dict(db.session.execute(statement.group_by(person)).all())

    put("briefs", done(Brief.author_id, Brief.space_id, Brief.published_at, Brief.state == PUBLISHED))
    put(
        "reports",
        done(Activity.actor_id, Activity.space_id, Activity.created_at, Activity.verb == "report.posted"),
    )
    put(
        "selected",
        done(
            LibraryEntry.decided_by_id,
            LibraryEntry.space_id,
            LibraryEntry.decided_at,
            LibraryEntry.state == SELECTED,
        ),
    )
    # 答疑: questions below the region she answered in the period, and how long the first
    # answer of hers took after the question was asked.
    first = func.min(Post.created_at)
    first_answers = db.session.execute(
        select(Post.author_id, Thread.created_at, first)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.author_id.in_(ids),
            Post.is_opening.is_(False),
            Post.deleted_at.is_(None),
            Thread.kind == QUESTION,
            Thread.space_id.in_(below),
        )
        .group_by(Post.author_id, Thread.id, Thread.created_at)
        .having(first >= start, first < end)  # her first answer, when it falls in the period
    ).all()
    waits: dict[int, list[float]] = {}
    for user_id, asked, answered in first_answers:
        waits.setdefault(user_id, []).append((answered - asked).total_seconds() / 3600)
    put("answered", {u: len(w) for u, w in waits.items()})
    put("hours", {u: round(sum(w) / len(w), 1) for u, w in waits.items()})
    # 课例指导: lesson studies under way in the period in the spaces she serves (and below).
    served = [(row.user.id, space.path) for row in rows.values() for space in row.spaces]
    under_way = and_(
        LessonStudy.created_at < end, (LessonStudy.finished_at.is_(None)) | (LessonStudy.finished_at >= start)
    )
    studies = (
        db.session.execute(
            select(Space.path)
            .join(LessonStudy, LessonStudy.space_id == Space.id)
            .where(Space.id.in_(below), under_way)
        )
        .scalars()
        .all()
    )
    guided: dict[int, int] = {}
    for user_id, path in served:
        guided[user_id] = guided.get(user_id, 0) + sum(1 for p in studies if p.startswith(path))
    put("lessons", guided)
    return list(rows.values())
