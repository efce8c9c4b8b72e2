"""The demo's 学情: the roster (Enrolment, with each teacher's mobile number and gender as a
学员信息表 would give them), who signed in (报到), and the days each teacher used the site
over the programme's ten weeks (ActiveDay), every day she wrote anything included.
Most teachers study several days a week; a few never signed in, and a few stopped coming
in the last fortnight (the ones a host would urge)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, update

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.core.text import CHINA, local
from peixun.demo import data
from peixun.demo.clock import WEEKS
from peixun.extensions import db
from peixun.spaces.models import ACTIVE, SCHOOL, WORKSHOP, Membership, Space
from peixun.stats.models import ActiveDay, Enrolment
from peixun.threads.models import Post

NEVER_SIGNED_IN = 0.1  # of the enrolled teachers who wrote nothing at all
STOPPED = 0.04  # studied, then nothing in the last two weeks
NAMED = {login.username for login in data.DEMO_LOGINS}


def build(users: dict[str, User]) -> None:
    rng = random.Random(f"{data.SEED}-learning")
    now = utcnow().replace(microsecond=0)
    today = local(now).date()
    first_day = today - timedelta(weeks=WEEKS)
    staff = {name for name, _, _ in data.STAFF}
    schools = dict(
        db.session.execute(
            select(Membership.user_id, Membership.space_id)
            .join(Space, Space.id == Membership.space_id)
            .where(Space.kind == SCHOOL, Membership.state == ACTIVE)
        ).all()
    )
    workshops = dict(
        db.session.execute(
            select(Membership.user_id, func.min(Membership.space_id))
            .join(Space, Space.id == Membership.space_id)
            .where(Space.kind == WORKSHOP, Membership.state == ACTIVE)
            .group_by(Membership.user_id)
        ).all()
    )
    people = [
        u
        for u in db.session.execute(select(User).order_by(User.id)).scalars()
        if u.id in schools and u.username not in staff
    ]
    wrote: dict[int, set] = {}
    for author_id, created in db.session.execute(select(Post.author_id, Post.created_at)):
        wrote.setdefault(author_id, set()).add(local(created).date())
    enrolments, days, phones, signed_in = [], [], set(), []
    for user in people:
        phone = _phone(rng, phones)
        user_row = {"id": user.id, "phone": phone, "gender": rng.choice("男女女")}
        enrolments.append(
            {"user_id": user.id, "school_id": schools[user.id], "workshop_id": workshops.get(user.id)}
        )
        never = user.username not in NAMED and not wrote.get(user.id) and rng.random() < NEVER_SIGNED_IN
        if never:
            signed_in.append(user_row | {"last_login_at": None})
            continue
        # Only someone who wrote nothing in the last fortnight can have stopped coming.
        recent = any(d >= today - timedelta(days=14) for d in wrote.get(user.id, ()))
        stopped = user.username not in NAMED and not recent and rng.random() < STOPPED
        habit = rng.choice((0.25, 0.4, 0.55, 0.7))  # the share of days she comes
        active = set(wrote.get(user.id, set()))
        for n in range(WEEKS * 7):
            day = first_day + timedelta(days=n + 1)
            if rng.random() < habit:
                active.add(day)
        if stopped:
            active = {d for d in active if d < today - timedelta(days=14)} or {first_day + timedelta(days=3)}
        last = max(active)
        seen = min(now, _evening(last) if last < today else now - timedelta(minutes=rng.randint(5, 300)))
        signed_in.append(user_row | {"last_login_at": seen})
        days.extend({"user_id": user.id, "day": d} for d in sorted(active))
    db.session.execute(update(User), signed_in)
    db.session.execute(insert(Enrolment), enrolments)
    for start in range(0, len(days), 5000):
        db.session.execute(insert(ActiveDay), days[start : start + 5000])
    db.session.commit()


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def _evening(day: date) -> datetime:
    return datetime.combine(day, time(20, 30), tzinfo=CHINA).astimezone(UTC)
