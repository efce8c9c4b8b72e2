"""Read-side builders for brief lists, the brief page, readers, feeds and the booklet."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from peixun.accounts.models import User
from peixun.briefs.activity import member_ids
from peixun.briefs.models import DRAFT, PUBLISHED, Brief, BriefRead
from peixun.core.pagination import Page, paginate
from peixun.extensions import db
from peixun.spaces.models import PERSONAL, REGION, Space

PER_PAGE = 20
FEED_ENTRIES = 30


def _public(statement):
    return statement.where(Brief.state != DRAFT)


def brief_list(
    space: Space, viewer: User | None, page: int, series: str = "", with_drafts: bool = False
) -> Page:
    """A space's issues, newest first; a region's list also holds every space below it.
    Drafts are listed for their author, or all of them for the hosts."""
    if space.kind == REGION:
        below = select(Space.id).where(Space.path.startswith(space.path), Space.kind != PERSONAL)
        statement = select(Brief).where(Brief.space_id.in_(below))
    else:
        statement = select(Brief).where(Brief.space_id == space.id)
    if not with_drafts:
        visible = Brief.state != DRAFT
        statement = statement.where(visible if viewer is None else or_(visible, Brief.author_id == viewer.id))
    if series:
        statement = statement.where(Brief.series == series)
    statement = statement.order_by(
        (Brief.state == DRAFT).desc(), Brief.published_at.desc().nulls_last(), Brief.id.desc()
    ).options(selectinload(Brief.author), selectinload(Brief.space))
    return paginate(statement, page, PER_PAGE)


def feed_entries(space: Space, series: str = "") -> list[Brief]:
    statement = _public(select(Brief).where(Brief.space_id == space.id))
    if series:
        statement = statement.where(Brief.series == series)
    return list(
        db.session.execute(
            statement.order_by(Brief.published_at.desc(), Brief.id.desc())
            .limit(FEED_ENTRIES)
            .options(selectinload(Brief.author))
        ).scalars()
    )


def booklet(space: Space) -> list[Brief]:
    """Every published issue of the space, oldest first (汇编成册)."""
    return list(
        db.session.execute(
            select(Brief)
            .where(Brief.space_id == space.id, Brief.state == PUBLISHED)
            .order_by(Brief.series, Brief.number)
            .options(selectinload(Brief.author))
        ).scalars()
    )


def brief_for_page(brief_id: int) -> Brief | None:
    return db.session.execute(
        select(Brief)
        .where(Brief.id == brief_id)
        .options(selectinload(Brief.author), selectinload(Brief.space), selectinload(Brief.thread))
    ).scalar_one_or_none()


def brief_of_thread(thread_id: int) -> Brief | None:
    return db.session.execute(
        select(Brief).where(Brief.thread_id == thread_id).options(selectinload(Brief.space))
    ).scalar_one_or_none()


@dataclass
class Readers:
    read: list[tuple[User, object]]  # (user, read_at)
    unread: list[User]
    members: int


def readers(brief: Brief, limit: int = 500) -> Readers:
    """Who of the space's members has read the issue, and who has not yet."""
    members = member_ids(brief.space)
    read = db.session.execute(
        select(User, BriefRead.read_at)
        .join(BriefRead, BriefRead.user_id == User.id)
        .where(BriefRead.brief_id == brief.id)
        .order_by(BriefRead.read_at)
        .limit(limit)
    ).all()
    read_ids = set(
        db.session.execute(select(BriefRead.user_id).where(BriefRead.brief_id == brief.id)).scalars()
    )
    unread_ids = [u for u in members if u not in read_ids][:limit]
    unread = list(
        db.session.execute(
            select(User).where(User.id.in_(unread_ids)).order_by(User.real_name, User.id)
        ).scalars()
    )
    return Readers([(user, at) for user, at in read], unread, len(members))


def read_count(brief: Brief) -> int:
    return db.session.execute(
        select(func.count()).select_from(BriefRead).where(BriefRead.brief_id == brief.id)
    ).scalar_one()
