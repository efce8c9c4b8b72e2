"""Read-side builders for space pages; every function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.orm import aliased, selectinload

from peixun.accounts.models import User
from peixun.core.pagination import Page, paginate
from peixun.extensions import db
from peixun.spaces.models import (
    ACTIVE,
    GROUP,
    INVITED,
    PERSONAL,
    REGION,
    REQUESTED,
    SCHOOL,
    WORKSHOP,
    Activity,
    Membership,
    RoleAssignment,
    Space,
)

ACTIVITY_LIMIT = 15
# Kinds whose members count as members of every region above them.
MEMBER_KINDS = (SCHOOL, WORKSHOP)


def actor_data(user: User) -> dict[str, Any]:
    """Memberships and roles for the policy's Actor: two queries per request."""
    rows = db.session.execute(
        select(Membership.space_id, Membership.state, Space.path)
        .join(Space, Membership.space_id == Space.id)
        .where(Membership.user_id == user.id)
    ).all()
    memberships = {row.space_id: row.state for row in rows}
    member_of: set[int] = set()
    for row in rows:
        if row.state == ACTIVE:
            # A member of a school or workshop is a member of every region above it.
            member_of.update(int(part) for part in row.path.strip("/").split("/") if part)
    roles: dict[int, set[str]] = {}
    for space_id, role in db.session.execute(
        select(RoleAssignment.space_id, RoleAssignment.role).where(RoleAssignment.user_id == user.id)
    ):
        roles.setdefault(space_id, set()).add(role)
    return {"member_of": member_of, "memberships": memberships, "roles": roles}


def school_choices() -> list[tuple[int, str, str]]:
    """(id, school name, region name) of every school, grouped by region."""
    parent = aliased(Space)
    rows = db.session.execute(
        select(Space.id, Space.name, parent.name)
        .join(parent, Space.parent_id == parent.id)
        .where(Space.kind == SCHOOL)
        .order_by(parent.path, Space.name)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def school_id_of(user: User) -> int | None:
    return (
        db.session.execute(
            select(Membership.space_id)
            .join(Space, Membership.space_id == Space.id)
            .where(Membership.user_id == user.id, Space.kind == SCHOOL)
        )
        .scalars()
        .first()
    )


def space_by_slug(kind: str, slug: str) -> Space | None:
    return db.session.execute(
        select(Space).where(Space.kind == kind, Space.slug == slug)
    ).scalar_one_or_none()


def personal_space_of(username: str) -> Space | None:
    return db.session.execute(
        select(Space)
        .join(User, Space.owner_id == User.id)
        .where(User.username == username, Space.kind == PERSONAL)
        .options(selectinload(Space.owner))
    ).scalar_one_or_none()


def ancestors(space: Space) -> list[Space]:
    ids = space.chain_ids[:-1]
    if not ids:
        return []
    found = {s.id: s for s in db.session.execute(select(Space).where(Space.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def _memberships_below(region: Space) -> Select[Any]:
    """user_id of every active membership in a school or workshop below a region."""
    return (
        select(Membership.user_id)
        .join(Space, Membership.space_id == Space.id)
        .where(Space.path.startswith(region.path), Space.kind.in_(MEMBER_KINDS), Membership.state == ACTIVE)
    )


def member_count(space: Space) -> int:
    if space.kind == PERSONAL:
        return 1
    if space.kind == REGION:
        # Counted on memberships alone (covered by an index), never by visiting users.
        statement = _memberships_below(space).with_only_columns(func.count(distinct(Membership.user_id)))
    else:
        statement = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.space_id == space.id, Membership.state == ACTIVE)
        )
    return db.session.execute(statement).scalar_one()


def role_holders(space: Space) -> list[tuple[str, User]]:
    rows = db.session.execute(
        select(RoleAssignment.role, User)
        .join(User, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.space_id == space.id)
        .order_by(RoleAssignment.role, User.username)
    ).all()
    return [(row[0], row[1]) for row in rows]


def recent_activity(space_ids: list[int] | set[int], limit: int = ACTIVITY_LIMIT) -> list[Activity]:
    if not space_ids:
        return []
    return list(
        db.session.execute(
            select(Activity)
            .where(Activity.space_id.in_(list(space_ids)))
            .options(selectinload(Activity.actor), selectinload(Activity.space))
            .order_by(Activity.created_at.desc(), Activity.id.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass
class ChildSpace:
    space: Space
    members: int


def children(space: Space, kinds: tuple[str, ...]) -> dict[str, list[ChildSpace]]:
    """Direct children of a space by kind, each with its member count (two queries)."""
    rows = list(
        db.session.execute(
            select(Space).where(Space.parent_id == space.id, Space.kind.in_(kinds)).order_by(Space.name)
        ).scalars()
    )
    ids = [row.id for row in rows]
    direct = (
        dict(
            db.session.execute(
                select(Membership.space_id, func.count())
                .where(Membership.space_id.in_(ids), Membership.state == ACTIVE)
                .group_by(Membership.space_id)
            ).all()
        )
        if ids
        else {}
    )
    regions = [row for row in rows if row.kind == REGION]
    nested = _region_counts(regions)
    grouped: dict[str, list[ChildSpace]] = {kind: [] for kind in kinds}
    for row in rows:
        count = nested.get(row.id, 0) if row.kind == REGION else direct.get(row.id, 0)
        grouped[row.kind].append(ChildSpace(row, count))
    return grouped


def _region_counts(regions: list[Space]) -> dict[int, int]:
    """Distinct members below each of several regions, in one query."""
    if not regions:
        return {}
    region = aliased(Space)
    below = aliased(Space)
    rows = db.session.execute(
        select(region.id, func.count(distinct(Membership.user_id)))
        .join(below, and_(below.path.startswith(region.path), below.kind.in_(MEMBER_KINDS)))
        .join(Membership, and_(Membership.space_id == below.id, Membership.state == ACTIVE))
        .where(region.id.in_([r.id for r in regions]))
        .group_by(region.id)
    ).all()
    return dict(rows)


def members_page(space: Space, page: int, per_page: int = 40) -> Page:
    """A page of members (users) with the roles each holds in this space."""
    if space.kind != REGION:
        statement = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.space_id == space.id, Membership.state == ACTIVE)
            .order_by(User.username)
        )
        return paginate(statement, page, per_page)
    # A region may have tens of thousands of members: sort only (id, username) to
    # find the page, then load those rows (bench/: the full-row sort spilled to disk).
    ids = select(User.id).where(User.id.in_(_memberships_below(space))).order_by(User.username)
    found = paginate(ids, page, per_page, total=member_count(space))
    if found.items:
        found.items = list(
            db.session.execute(select(User).where(User.id.in_(found.items)).order_by(User.username)).scalars()
        )
    return found


def roles_by_user(space: Space, users: list[User]) -> dict[int, list[str]]:
    if not users:
        return {}
    found: dict[int, list[str]] = {}
    for user_id, role in db.session.execute(
        select(RoleAssignment.user_id, RoleAssignment.role).where(
            RoleAssignment.space_id == space.id, RoleAssignment.user_id.in_([u.id for u in users])
        )
    ):
        found.setdefault(user_id, []).append(role)
    return found


def pending(space: Space, state: str = REQUESTED) -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership)
            .where(Membership.space_id == space.id, Membership.state == state)
            .options(selectinload(Membership.user))
            .order_by(Membership.created_at)
        ).scalars()
    )


@dataclass
class Home:
    """The signed-in user's four levels."""

    personal: Space | None = None
    school: Space | None = None
    regions: list[Space] = field(default_factory=list)
    workshops: list[Space] = field(default_factory=list)
    groups: list[Space] = field(default_factory=list)
    invitations: list[Membership] = field(default_factory=list)
    requests: list[Membership] = field(default_factory=list)
    activity: list[Activity] = field(default_factory=list)


def home(user: User, member_of: set[int], own_activity: bool = False) -> Home:
    """My four levels; the activity of my spaces, or (own_activity) only what I did."""
    data = Home()
    data.personal = db.session.execute(select(Space).where(Space.owner_id == user.id)).scalar_one_or_none()
    rows = db.session.execute(
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(selectinload(Membership.space))
        .order_by(Membership.created_at)
    ).scalars()
    for found in rows:
        space = found.space
        if found.state == INVITED:
            data.invitations.append(found)
        elif found.state == REQUESTED:
            data.requests.append(found)
        elif space.kind == SCHOOL:
            data.school = space
        elif space.kind == WORKSHOP:
            data.workshops.append(space)
        elif space.kind == GROUP:
            data.groups.append(space)
    region_ids = set(member_of)
    if region_ids:
        data.regions = list(
            db.session.execute(
                select(Space).where(Space.id.in_(region_ids), Space.kind == REGION).order_by(Space.path)
            ).scalars()
        )
    if own_activity:
        data.activity = list(
            db.session.execute(
                select(Activity)
                .where(Activity.actor_id == user.id)
                .options(selectinload(Activity.actor), selectinload(Activity.space))
                .order_by(Activity.created_at.desc(), Activity.id.desc())
                .limit(ACTIVITY_LIMIT)
            ).scalars()
        )
    else:
        shown = set(member_of) | ({data.personal.id} if data.personal else set())
        data.activity = recent_activity(shown)
    return data


def top_regions() -> list[Space]:
    return list(
        db.session.execute(
            select(Space).where(Space.kind == REGION, Space.parent_id.is_(None)).order_by(Space.name)
        ).scalars()
    )


def site_counts() -> dict[str, int]:
    rows = dict(db.session.execute(select(Space.kind, func.count()).group_by(Space.kind)).all())
    rows["users"] = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    return rows


def spaces_by_ids(ids: list[int], kinds: tuple[str, ...] = (REGION, SCHOOL, WORKSHOP, GROUP)) -> list[Space]:
    if not ids:
        return []
    return list(
        db.session.execute(
            select(Space).where(Space.id.in_(ids), Space.kind.in_(kinds)).order_by(Space.path)
        ).scalars()
    )
