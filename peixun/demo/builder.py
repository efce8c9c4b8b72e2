"""Build the demo community through the services: regions, schools, workshops, people, roles
(dated before the programme by peixun.demo.founding), then its discussions
(peixun.demo.discussions), resource libraries (peixun.demo.resources), briefs
(peixun.demo.briefs), lesson studies with their appraisals (peixun.demo.lessons) and the
roster and days of study the 学情 pages count (peixun.demo.learning)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from peixun.accounts import service as accounts
from peixun.accounts.models import User
from peixun.briefs.models import DRAFT, PUBLISHED, Brief, BriefRead
from peixun.core.policy import EXPERT, HOST, REGION_ADMIN, SCHOOL_ADMIN
from peixun.demo import briefs, data, discussions, founding, learning, lessons, resources
from peixun.demo.people import Person, plan_people
from peixun.extensions import db
from peixun.lessons.models import Appraisal, LessonStudy
from peixun.resources.models import SELECTED, Blob, Call, LibraryEntry, Resource
from peixun.spaces import service as spaces
from peixun.spaces.models import (
    ACTIVE,
    GROUP,
    REGION,
    SCHOOL,
    WORKSHOP,
    Membership,
    RoleAssignment,
    Space,
)
from peixun.stats.models import ActiveDay, Enrolment
from peixun.threads.models import COMMENTS, JOURNAL, Post, Thread

BATCH = 100  # users per commit: one transaction per user would take most of the time


def has_data() -> bool:
    """True once any region exists: the demo is loaded only into an empty site."""
    return db.session.execute(select(Space.id).where(Space.kind == REGION).limit(1)).first() is not None


def load_demo(password: str) -> dict[str, int] | None:
    """Build the whole demo community; None (and no change) when the site already has data."""
    if has_data():
        return None
    rng = random.Random(data.SEED)
    password_hash = accounts.hash_password(password)
    tree = build_tree()
    people = plan_people(rng)
    users = create_users(people, tree, password_hash)
    admin = users["admin"]
    rosters = join_workshops(admin, people, users, tree)
    groups_and_leaders(rng, rosters, tree)
    appoint_staff(admin, people, users, tree)
    leave_pending(users, rosters, tree)
    founding.date_community()
    discussions.build(users, rosters, tree)
    resources.build(users, rosters, tree)
    briefs.build(users, rosters, tree)
    lessons.build(users, rosters, tree)
    learning.build(users)
    return summary()


# --- the tree of spaces ---------------------------------------------------------------


def build_tree() -> dict[str, Space]:
    """Province > city > nine districts, three schools in each, ten workshops; by slug."""
    tree: dict[str, Space] = {}

    def region(item: data.Region, parent: Space | None, level: str) -> Space:
        tree[item.slug] = spaces.create_space(
            REGION,
            item.name,
            item.slug,
            parent,
            commit=False,
            region_level=level,
            description=item.description,
        )
        return tree[item.slug]

    city = region(data.CITY, region(data.PROVINCE, None, "province"), "city")
    for district in data.DISTRICTS:
        county = region(district.region, city, "county")
        for school in district.schools:
            stages = "、".join(school.stages)
            tree[school.slug] = spaces.create_space(
                SCHOOL,
                school.name,
                school.slug,
                county,
                commit=False,
                description=f"{district.region.name}的{stages}学校，参加{data.CITY.name}中学教师工作坊研修。",
            )
    for workshop in data.WORKSHOPS:
        tree[workshop.slug] = spaces.create_space(
            WORKSHOP,
            workshop.name,
            workshop.slug,
            tree[workshop.district],
            commit=False,
            subject=workshop.subject,
            stage=workshop.stage,
            description=workshop.description,
        )
    db.session.commit()
    return tree


# --- people ----------------------------------------------------------------------------


def create_users(people: list[Person], tree: dict[str, Space], password_hash: str) -> dict[str, User]:
    users: dict[str, User] = {}
    for count, person in enumerate(people, start=1):
        users[person.username] = accounts.create_user(
            person.username,
            person.real_name,
            password_hash=password_hash,
            is_admin=person.username == "admin",
            subject=person.subject,
            stage=person.stage,
            bio=person.bio,
            school_id=tree[person.school].id if person.school else None,
            commit=False,
        )
        if count % BATCH == 0:
            db.session.commit()
    db.session.commit()
    return users


# --- workshops: hosts, members, study groups --------------------------------------------


def join_workshops(
    admin: User, people: list[Person], users: dict[str, User], tree: dict[str, Space]
) -> list[list[User]]:
    """Appoint each workshop's hosts, then add its members; returns each roster, hosts first.

    The first workshop's roster is ordered host, co-host, leader, teacher so the named
    logins get the roles the README promises.
    """
    rosters: list[list[User]] = [[] for _ in data.WORKSHOPS]
    for person in people:
        if person.workshop is not None:
            rosters[person.workshop].append(users[person.username])
    host, leader, teacher = users["host"], users["leader"], users["teacher"]
    cohost = next(u for u in rosters[0] if u not in (host, leader, teacher))
    named = [host, cohost, leader, teacher]
    rosters[0] = named + [u for u in rosters[0] if u not in named]
    for item, roster in zip(data.WORKSHOPS, rosters, strict=True):
        workshop = tree[item.slug]
        for host in roster[: item.hosts]:
            spaces.appoint(admin, workshop, host, HOST, commit=False)
        for user in roster[item.hosts :]:
            spaces.add_member(admin, workshop, user, commit=False)
        db.session.commit()
    return rosters


def groups_and_leaders(rng: random.Random, rosters: list[list[User]], tree: dict[str, Space]) -> None:
    """Two or three study groups per workshop, each with a leader and 5–8 members."""
    for item, roster in zip(data.WORKSHOPS, rosters, strict=True):
        workshop = tree[item.slug]
        host = roster[0]
        rest = roster[item.hosts :]
        for name in item.groups:
            leader = rest.pop(0)
            group = spaces.create_group(host, workshop, name, leader)
            for _ in range(rng.randint(5, 8)):
                spaces.invite(leader, group, rest.pop(0))


def appoint_staff(admin: User, people: list[Person], users: dict[str, User], tree: dict[str, Space]) -> None:
    """Region admins, experts and one school admin in the first school of each district."""
    city = tree[data.CITY.slug]
    spaces.appoint(admin, city, users["region"], REGION_ADMIN, commit=False)
    district = tree[data.DISTRICT_ADMIN_REGION]
    spaces.appoint(admin, district, users["region_xingyi"], REGION_ADMIN, commit=False)
    spaces.appoint(admin, city, users["expert"], EXPERT, commit=False)
    for username, subject in (("expert_math", "数学"), ("expert_english", "英语")):
        for item in data.WORKSHOPS:
            if item.subject == subject:
                spaces.appoint(admin, tree[item.slug], users[username], EXPERT, commit=False)
    spaces.appoint(admin, tree[data.ADMIN_SCHOOL], users["school"], SCHOOL_ADMIN, commit=False)
    # Other school admins are teachers with no role yet and no demo login, so that each
    # login shows exactly the role DEMO_LOGINS gives it.
    busy = set(db.session.execute(select(RoleAssignment.user_id)).scalars())
    busy |= {users[login.username].id for login in data.DEMO_LOGINS}
    for district in data.DISTRICTS:
        school = district.schools[0]
        if school.slug == data.ADMIN_SCHOOL:
            continue
        person = next(p for p in people if p.school == school.slug and users[p.username].id not in busy)
        spaces.appoint(admin, tree[school.slug], users[person.username], SCHOOL_ADMIN, commit=False)
    db.session.commit()


def leave_pending(users: dict[str, User], rosters: list[list[User]], tree: dict[str, Space]) -> None:
    """Join requests and invitations waiting in the first workshop, and one for `teacher`."""
    first, second = tree[data.FIRST_WORKSHOP.slug], tree[data.SECOND_WORKSHOP.slug]
    grouped = set(
        db.session.execute(
            select(Membership.user_id).join(Space, Membership.space_id == Space.id).where(Space.kind == GROUP)
        ).scalars()
    )

    def plain(k: int) -> list[User]:
        """Members of workshop k with no role and no study group, from the end of the roster."""
        return [u for u in reversed(rosters[k][data.WORKSHOPS[k].hosts :]) if u.id not in grouped]

    for user in plain(1)[:3]:  # 初中语文 teachers of the second workshop ask to join the first
        spaces.request_to_join(user, first)
    for user in plain(3)[:2]:  # and the host invites two from the other 初中语文 workshop
        spaces.invite(users["host"], first, user)
    spaces.invite(rosters[1][0], second, users["teacher"])


def summary() -> dict[str, int]:
    counts = dict(db.session.execute(select(Space.kind, func.count()).group_by(Space.kind)).all())
    states = dict(db.session.execute(select(Membership.state, func.count()).group_by(Membership.state)).all())
    threads = dict(db.session.execute(select(Thread.kind, func.count()).group_by(Thread.kind)).all())
    return {
        "regions": counts.get(REGION, 0),
        "schools": counts.get(SCHOOL, 0),
        "workshops": counts.get(WORKSHOP, 0),
        "groups": counts.get(GROUP, 0),
        "users": db.session.execute(select(func.count()).select_from(User)).scalar_one(),
        "memberships": states.get(ACTIVE, 0),
        "pending": sum(n for state, n in states.items() if state != ACTIVE),
        "threads": sum(n for kind, n in threads.items() if kind not in (JOURNAL, COMMENTS)),
        "journals": threads.get(JOURNAL, 0),
        "replies": db.session.execute(
            select(func.count())
            .select_from(Post)
            .join(Thread, Post.thread_id == Thread.id)
            .where(Post.is_opening.is_(False), Thread.kind != COMMENTS)
        ).scalar_one(),
        "resources": _count(Resource),
        "files": _count(Blob),
        "library_entries": db.session.execute(
            select(func.count()).select_from(LibraryEntry).where(LibraryEntry.state == SELECTED)
        ).scalar_one(),
        "calls": _count(Call),
        "comments": _comments(select(Resource.thread_id)),
        "briefs": _count_where(Brief, Brief.state == PUBLISHED),
        "brief_drafts": _count_where(Brief, Brief.state == DRAFT),
        "brief_reads": _count(BriefRead),
        "brief_comments": _comments(select(Brief.thread_id)),
        "lesson_studies": _count(LessonStudy),
        "appraisals": _count(Appraisal),
        "enrolments": _count(Enrolment),
        "active_days": _count(ActiveDay),
    }


def _comments(threads) -> int:
    """Comments under the objects whose comments threads `threads` selects."""
    return db.session.execute(
        select(func.count())
        .select_from(Post)
        .join(Thread, Post.thread_id == Thread.id)
        .where(Thread.kind == COMMENTS, Thread.id.in_(threads))
    ).scalar_one()


def _count_where(model: type, condition) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(condition)).scalar_one()


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()
