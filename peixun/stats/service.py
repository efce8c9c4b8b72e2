"""What hosts do with the 学情: find the members who have not studied lately and urge
them (督促) in one action, at most once a day per space."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.briefs.activity import member_ids
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.extensions import db
from peixun.spaces.models import REGION, SCHOOL, WORKSHOP, RoleAssignment, Space
from peixun.stats.models import ActiveDay, Enrolment
from peixun.stats.queries import china_today
from peixun.threads.models import Notification

URGE_AGAIN_AFTER = timedelta(hours=20)
DEFAULT_URGE = "最近几天没有看到您登录学习，请抽时间完成本阶段的研修任务。有困难请在工作坊里留言。"
MAX_IDLE_DAYS = 60


def idle_members(space: Space, days: int) -> list[tuple[User, date | None]]:
    """Members (not the space's hosts, leaders or admins) with no day of study in the last
    `days` days, the longest idle first (never signed in before all)."""
    if not 1 <= days <= MAX_IDLE_DAYS:
        raise ServiceError(f"天数须在 1–{MAX_IDLE_DAYS} 之间。", "days")
    staff = select(RoleAssignment.user_id).where(RoleAssignment.space_id == space.id)
    ids = [i for i in member_ids(space)]
    last = dict(
        db.session.execute(
            select(ActiveDay.user_id, func.max(ActiveDay.day))
            .where(ActiveDay.user_id.in_(ids))
            .group_by(ActiveDay.user_id)
        ).all()
    )
    cutoff = china_today() - timedelta(days=days)
    users = db.session.execute(
        select(User).where(User.id.in_(ids), User.id.notin_(staff), User.is_disabled.is_(False))
    ).scalars()
    idle = [(u, last.get(u.id)) for u in users if last.get(u.id) is None or last[u.id] <= cutoff]
    return sorted(idle, key=lambda pair: (pair[1] is not None, pair[1] or date.min, pair[0].id))


def urge(actor: User, space: Space, users: list[User], message: str) -> int:
    """Notify each of them (督促); someone urged from this space in the last 20 hours is
    skipped. Returns how many were notified."""
    message = clean_text(message, 200) or DEFAULT_URGE
    recent = set(
        db.session.execute(
            select(Notification.user_id).where(
                Notification.kind == "urge",
                Notification.space_id == space.id,
                Notification.created_at > utcnow() - URGE_AGAIN_AFTER,
            )
        ).scalars()
    )
    sent = [u for u in users if u.id not in recent and u.id != actor.id]
    db.session.add_all(
        Notification(user_id=u.id, actor_id=actor.id, kind="urge", space_id=space.id, detail=message)
        for u in sent
    )
    db.session.commit()
    return len(sent)


UNREGISTERED_SHOWN = 200


def unregistered(space: Space) -> tuple[int, list[Enrolment]]:
    """Who is on the roster of this space (or below it) but has never signed in: how many,
    and the first UNREGISTERED_SHOWN by school and name."""
    if space.kind == REGION:
        where = Enrolment.school_id.in_(select(Space.id).where(Space.path.startswith(space.path)))
    elif space.kind == SCHOOL:
        where = Enrolment.school_id == space.id
    elif space.kind == WORKSHOP:
        where = Enrolment.workshop_id == space.id
    else:
        where = Enrolment.user_id.in_(member_ids(space))
    never = (where, User.last_login_at.is_(None))
    count = db.session.execute(
        select(func.count()).select_from(Enrolment).join(User, User.id == Enrolment.user_id).where(*never)
    ).scalar_one()
    shown = db.session.execute(
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(*never)
        .order_by(Enrolment.school_id, User.real_name, User.id)
        .limit(UNREGISTERED_SHOWN)
        .options(selectinload(Enrolment.user), selectinload(Enrolment.school))
    ).scalars()
    return count, list(shown)
