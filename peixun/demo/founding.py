"""When the demo community was set up: the regions and schools well before the programme,
the workshops ten days before its first week, the study groups and every active
membership before that week begins. Written in bulk after building (the services date
everything at the moment of loading), so that what counts "since the space began" or
"new members in the period" (the briefs drafted from activity) finds a true history.
Pending requests and invitations keep their recent dates."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.demo import data
from peixun.demo.clock import Clock
from peixun.extensions import db
from peixun.spaces.models import ACTIVE, GROUP, PERSONAL, REGION, SCHOOL, Activity, Membership, Space

# Days before the programme's first day that each kind of space was set up.
SET_UP = {REGION: 21, SCHOOL: 18, "workshop": 10, GROUP: 3}


def date_community() -> None:
    rng = random.Random(f"{data.SEED}-founding")
    clock = Clock(random.Random(rng.random()), utcnow().replace(microsecond=0))
    start = clock.start
    spaces = db.session.execute(
        select(Space.id, Space.kind).where(Space.kind != PERSONAL).order_by(Space.id)
    ).all()
    created: dict[int, datetime] = {}
    for space_id, kind in spaces:
        days = SET_UP.get(kind, 10)
        created[space_id] = clock.waking(start - timedelta(days=days, hours=rng.uniform(-20, 0)))
    db.session.execute(update(Space), [{"id": i, "created_at": when} for i, when in created.items()])
    members = db.session.execute(
        select(Membership.id, Membership.space_id)
        .where(Membership.state == ACTIVE, Membership.space_id.in_(created))
        .order_by(Membership.id)
    ).all()
    joined = []
    for membership_id, space_id in members:
        since = created[space_id] + timedelta(hours=1)
        latest = start - timedelta(hours=2)
        joined.append({"id": membership_id, "created_at": _between(clock, since, latest)})
    db.session.execute(update(Membership), joined)
    # The activity lines of joining, appointing and creating groups follow what they tell.
    membership_date = (
        select(func.min(Membership.created_at))
        .where(Membership.space_id == Activity.space_id, Membership.user_id == Activity.actor_id)
        .scalar_subquery()
    )
    db.session.execute(
        update(Activity)
        .where(Activity.verb == "member.joined")
        .values(created_at=func.coalesce(membership_date, Activity.created_at))
    )
    group_date = select(Space.created_at).where(Space.id == Activity.target_id).scalar_subquery()
    db.session.execute(
        update(Activity)
        .where(Activity.verb == "group.created")
        .values(created_at=func.coalesce(group_date, Activity.created_at))
    )
    space_date = select(Space.created_at).where(Space.id == Activity.space_id).scalar_subquery()
    db.session.execute(
        update(Activity)
        .where(Activity.verb == "role.appointed")
        .values(created_at=func.coalesce(membership_date, space_date, Activity.created_at))
    )
    # Every account was opened with its first membership (staff's with the 州's space).
    first_joined = (
        select(func.min(Membership.created_at))
        .where(Membership.user_id == User.id, Membership.state == ACTIVE)
        .scalar_subquery()
    )
    db.session.execute(
        update(User).values(created_at=func.coalesce(first_joined, start - timedelta(days=SET_UP[REGION])))
    )
    db.session.commit()


def _between(clock: Clock, first: datetime, last: datetime) -> datetime:
    if last <= first:
        return first
    return min(clock.waking(first + (last - first) * clock.rng.random()), last)
