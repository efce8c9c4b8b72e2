"""One person's learning over time: the days she studied and what she wrote, week by week
(China time, weeks from Monday), for her own page and for those responsible for her."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from peixun.accounts.models import User
from peixun.core.text import local
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.spaces.models import ACTIVE, Membership, Space
from peixun.stats.models import ActiveDay, Enrolment
from peixun.stats.queries import Period
from peixun.threads.models import COMMENTS, JOURNAL, Post, Thread


@dataclass
class Learner:
    """The policy's target: a person with the spaces she belongs to (school, workshops,
    groups), whose admins, hosts and leaders answer for her learning."""

    user: User
    spaces: list[Space]
    enrolment: Enrolment | None

    @property
    def policy_owner_id(self) -> int:
        return self.user.id


@dataclass
class Week:
    start: date
    days: int = 0
    threads: int = 0
    replies: int = 0
    journals: int = 0
    resources: int = 0
    dates: set[date] = field(default_factory=set)


def learner(user: User) -> Learner:
    spaces = db.session.execute(
        select(Space)
        .join(Membership, Membership.space_id == Space.id)
        .where(Membership.user_id == user.id, Membership.state == ACTIVE)
    ).scalars()
    enrolment = db.session.execute(select(Enrolment).where(Enrolment.user_id == user.id)).scalar_one_or_none()
    return Learner(user, list(spaces), enrolment)


def weeks(user: User, period: Period) -> list[Week]:
    """Every week touching the period, oldest first, with what she did in it."""
    first_monday = period.first - timedelta(days=period.first.weekday())
    found = {}
    monday = first_monday
    while monday <= period.last:
        found[monday] = Week(monday)
        monday += timedelta(days=7)

    def week_of(day: date) -> Week | None:
        return found.get(day - timedelta(days=day.weekday())) if period.first <= day <= period.last else None

    for (day,) in db.session.execute(
        select(ActiveDay.day).where(
            ActiveDay.user_id == user.id, ActiveDay.day >= period.first, ActiveDay.day <= period.last
        )
    ):
        if (week := week_of(day)) is not None:
            week.days += 1
    posts = db.session.execute(
        select(Post.created_at, Post.is_opening, Thread.kind)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.author_id == user.id,
            Post.deleted_at.is_(None),
            Post.created_at >= period.start,
            Post.created_at < period.end,
        )
    )
    for created, opening, kind in posts:
        week = week_of(local(created).date())
        if week is None:
            continue
        if opening and kind == JOURNAL:
            week.journals += 1
        elif opening and kind != COMMENTS:
            week.threads += 1
        elif not opening:
            week.replies += 1
    shared = db.session.execute(
        select(Resource.created_at).where(
            Resource.author_id == user.id,
            Resource.deleted_at.is_(None),
            Resource.created_at >= period.start,
            Resource.created_at < period.end,
        )
    )
    for (created,) in shared:
        if (week := week_of(local(created).date())) is not None:
            week.resources += 1
    return list(found.values())
