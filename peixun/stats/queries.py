"""The 学情 table of a space over a period (seed 000, table 1): one row per child region or
school for a region, one row per person for a school, workshop or study group.

Every figure is a query over the rows themselves, one query per column, grouped by school
(a region's rows add up their schools) or by person, so a page costs the same dozen
queries for ten teachers or a hundred thousand. A person belongs to the row of her school
(her school membership). What she did counts wherever she did it on the site, so the rows
of every level add up to the level above.

- 应参训 (enrolled): on the roster (Enrolment); 已报到: of them, signed in at least once;
  报到率 = 已报到 / 应参训.
- 活跃: of the enrolled who have signed in, used the site on a day of the period
  (ActiveDay); 学习率 = 活跃 / 已报到.
- 研修日志, 发帖 (threads started), 回帖 (replies and comments), 分享资源, 资源被遴选 (her
  resources selected into a library above), 课例研究 (studies she leads), 简报 (issues she
  published): made in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from peixun.accounts.models import User
from peixun.briefs.activity import member_ids
from peixun.briefs.models import PUBLISHED, Brief
from peixun.core.db import utcnow
from peixun.core.text import CHINA, local
from peixun.extensions import db
from peixun.lessons.models import LessonStudy
from peixun.resources.models import SELECTED, LibraryEntry, Resource
from peixun.spaces.models import ACTIVE, REGION, SCHOOL, Membership, Space
from peixun.stats.models import ActiveDay, Enrolment
from peixun.threads.models import JOURNAL, PERIODIC, QUESTION, TOPIC, Post, Thread

COUNTS = (
    "enrolled",
    "registered",
    "active",
    "journals",
    "threads",
    "replies",
    "resources",
    "selected",
    "lessons",
    "briefs",
)
COLUMNS = {
    "enrolled": "应参训",
    "registered": "已报到",
    "report_rate": "报到率",
    "active": "活跃",
    "learn_rate": "学习率",
    "journals": "研修日志",
    "threads": "发帖",
    "replies": "回帖",
    "resources": "分享资源",
    "selected": "资源被遴选",
    "lessons": "课例研究",
    "briefs": "简报",
}
RATES = {"report_rate": ("registered", "enrolled"), "learn_rate": ("active", "registered")}


@dataclass
class Row:
    key: int
    name: str
    space: Space | None = None  # a child region or school (region pages)
    user: User | None = None  # a person (school, workshop and group pages)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def rate(self, name: str) -> float | None:
        top, bottom = RATES[name]
        return round(100 * self.counts[top] / self.counts[bottom], 2) if self.counts[bottom] else None

    def value(self, column: str) -> float | int | None:
        return self.rate(column) if column in RATES else self.counts[column]


@dataclass
class Table:
    space: Space
    start: datetime
    end: datetime
    by: str  # 区域 / 学校 / 成员
    rows: list[Row]
    total: Row


@dataclass(frozen=True)
class Period:
    """Whole days, China time: [first, last]."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=CHINA).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=CHINA).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def china_today() -> date:
    return local(utcnow()).date()


class _Keys:
    """How people become rows: by school (key = the school's id, `schools`) or one row
    each (key = the user's id, `people`)."""

    def __init__(self, schools=None, people: list[int] | None = None, narrow: bool = True) -> None:
        # narrow: count only the people of these schools (a county among many); a province
        # holding most of the site counts everyone and skips the filter (bench/stats.py).
        self.schools, self.people, self.narrow = schools, people, narrow

    def count(self, person, *where, source) -> dict[int, int]:
        """{key: rows of `source` matching `where`}, `person` naming whose row it is.

        For schools the rows are first counted per person, then the (far fewer) per-person
        counts are joined to the school memberships: a million posts are grouped once
        instead of each being joined (bench/stats.py)."""
        if self.schools is None:
            statement = (
                select(person, func.count()).select_from(source).where(person.in_(self.people), *where)
            )
            return dict(db.session.execute(statement.group_by(person)).all())
        people = select(Membership.user_id).where(
            Membership.space_id.in_(self.schools), Membership.state == ACTIVE
        )
        inner = (
            select(person.label("person"), func.count().label("n"))
            .select_from(source)
            .where(person.in_(people), *where)
            .group_by(person)
            .subquery()
        )
        member = aliased(Membership)
        on = and_(member.user_id == inner.c.person, member.state == ACTIVE, member.space_id.in_(self.schools))
        statement = select(member.space_id, func.sum(inner.c.n)).select_from(inner).join(member, on)
        return {k: int(n) for k, n in db.session.execute(statement.group_by(member.space_id)).all()}


def _tally(keys: _Keys, period: Period) -> dict[str, dict[int, int]]:
    start, end = period.start, period.end
    in_period = lambda column: (column >= start, column < end)  # noqa: E731
    enrolled_person = Enrolment.user_id
    figures: dict[str, dict[int, int]] = {}
    if keys.schools is not None:  # a region: the roster says where each person belongs
        base = select(Enrolment.school_id, func.count(), func.count(User.last_login_at)).join(
            User, User.id == Enrolment.user_id
        )
        rows = db.session.execute(
            base.where(Enrolment.school_id.in_(keys.schools)).group_by(Enrolment.school_id)
        ).all()
        figures["enrolled"] = {k: n for k, n, _ in rows}
        figures["registered"] = {k: n for k, _, n in rows}
        figures["active"] = dict(
            db.session.execute(
                select(Enrolment.school_id, func.count(func.distinct(ActiveDay.user_id)))
                .join(ActiveDay, ActiveDay.user_id == Enrolment.user_id)
                .join(User, User.id == Enrolment.user_id)
                .where(
                    Enrolment.school_id.in_(keys.schools),
                    User.last_login_at.is_not(None),
                    ActiveDay.day >= period.first,
                    ActiveDay.day <= period.last,
                )
                .group_by(Enrolment.school_id)
            ).all()
        )
    else:
        rows = db.session.execute(
            select(Enrolment.user_id, User.last_login_at)
            .join(User, User.id == Enrolment.user_id)
            .where(enrolled_person.in_(keys.people))
        ).all()
        figures["enrolled"] = {k: 1 for k, _ in rows}
        figures["registered"] = {k: 1 for k, seen in rows if seen is not None}
        figures["active"] = {
            k: 1
            for (k,) in db.session.execute(
                select(ActiveDay.user_id)
                .where(
                    ActiveDay.user_id.in_(list(figures["registered"])),
                    ActiveDay.day >= period.first,
                    ActiveDay.day <= period.last,
                )
                .distinct()
            ).all()
        }
    figures["journals"] = keys.count(
        Thread.author_id, Thread.kind == JOURNAL, *in_period(Thread.created_at), source=Thread
    )
    # Discussions started (topics, questions, periodic topics; not journals, nor the
    # comments under resources and briefs), and replies in any thread, comments included.
    discussions = Thread.kind.in_((TOPIC, QUESTION, PERIODIC))
    figures["threads"] = keys.count(
        Thread.author_id, discussions, *in_period(Thread.created_at), source=Thread
    )
    live = (Post.is_opening.is_(False), Post.deleted_at.is_(None), *in_period(Post.created_at))
    figures["replies"] = keys.count(Post.author_id, *live, source=Post)
    figures["resources"] = keys.count(
        Resource.author_id, Resource.deleted_at.is_(None), *in_period(Resource.created_at), source=Resource
    )
    figures["selected"] = keys.count(
        Resource.author_id,
        LibraryEntry.state == SELECTED,
        LibraryEntry.from_space_id.is_not(None),
        Resource.deleted_at.is_(None),
        *in_period(LibraryEntry.decided_at),
        source=LibraryEntry.__table__.join(Resource.__table__, Resource.id == LibraryEntry.resource_id),
    )
    figures["lessons"] = keys.count(
        LessonStudy.author_id, *in_period(LessonStudy.created_at), source=LessonStudy
    )
    figures["briefs"] = keys.count(
        Brief.author_id, Brief.state == PUBLISHED, *in_period(Brief.published_at), source=Brief
    )
    return figures


def _fill(rows: dict[int, Row], figures: dict[str, dict[int, int]], row_of: dict[int, int]) -> None:
    for name, values in figures.items():
        for key, number in values.items():
            row = rows.get(row_of.get(key, -1))
            if row is not None:
                row.counts[name] += number


def table(space: Space, period: Period) -> Table:
    if space.kind == REGION:
        return _region_table(space, period)
    return _people_table(space, period)


def _region_table(space: Space, period: Period) -> Table:
    """One row per child region (its schools summed) or, for a district, per school."""
    below = (Space.kind == SCHOOL, Space.path.startswith(space.path))
    schools = db.session.execute(select(Space.id, Space.path).where(*below)).all()
    children = list(
        db.session.execute(
            select(Space)
            .where(Space.parent_id == space.id, Space.kind.in_((REGION, SCHOOL)))
            .order_by(Space.kind != REGION, Space.name)
        ).scalars()
    )
    row_of = {}
    for school_id, path in schools:
        owner = next((c for c in children if path.startswith(c.path)), None)
        if owner is not None:
            row_of[school_id] = owner.id
    rows = {c.id: Row(c.id, c.name, space=c) for c in children}
    # The school ids as a list, not a subquery: PostgreSQL estimates a path LIKE at one
    # row and then repeats the per-person count for every school (6.6 s for a city of
    # 200 schools, bench/README.md); a list it estimates right.
    keys = _Keys(schools=[school_id for school_id, _ in schools], narrow=space.parent_id is not None)
    _fill(rows, _tally(keys, period), row_of)
    by = "区域" if any(c.kind == REGION for c in children) else "学校"
    return Table(space, period.start, period.end, by, list(rows.values()), _total(rows.values()))


def _people_table(space: Space, period: Period) -> Table:
    ids = member_ids(space)
    people = db.session.execute(
        select(User).where(User.id.in_(ids)).order_by(User.real_name, User.id)
    ).scalars()
    rows = {u.id: Row(u.id, u.display_name, user=u) for u in people}
    _fill(rows, _tally(_Keys(people=ids), period), {i: i for i in ids})
    return Table(space, period.start, period.end, "成员", list(rows.values()), _total(rows.values()))


def _total(rows) -> Row:
    total = Row(0, "合计")
    for row in rows:
        for name in COUNTS:
            total.counts[name] += row.counts[name]
    return total


def sort_rows(rows: list[Row], column: str, descending: bool) -> list[Row]:
    """Missing values (a rate of nothing) last, whichever the direction."""
    present = [r for r in rows if r.value(column) is not None]
    missing = [r for r in rows if r.value(column) is None]
    return sorted(present, key=lambda r: (r.value(column), -r.key), reverse=descending) + missing
