"""What a space did in a period, counted from the rows themselves: the facts a brief is
drafted from (and the numbers the statistics pages show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from peixun.accounts.models import User
from peixun.extensions import db
from peixun.lessons.models import DesignVersion, LessonStudy, Observation
from peixun.resources.models import SELECTED, LibraryEntry, Resource
from peixun.spaces.models import ACTIVE, GROUP, PERSONAL, REGION, SCHOOL, Membership, Space
from peixun.threads.models import COMMENTS, JOURNAL, ModerationAction, Post, Thread

TOP_THREADS, MAX_NAMES = 5, 60
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # before anything on the site


@dataclass
class GroupRow:
    """One line of the 学情 table: a school or a study group of the space's members."""

    name: str
    members: int = 0
    active: int = 0
    posts: int = 0
    journals: int = 0
    resources: int = 0


@dataclass
class Activity:
    start: datetime
    end: datetime
    new_members: list[User] = field(default_factory=list)  # the first MAX_NAMES
    new_member_count: int = 0
    threads: int = 0
    replies: int = 0
    journals: int = 0
    resources: int = 0
    busiest: list[tuple[Thread, int]] = field(default_factory=list)  # (thread, posts in the period)
    featured: list[Thread] = field(default_factory=list)
    selected: list[LibraryEntry] = field(default_factory=list)
    table: list[GroupRow] = field(default_factory=list)
    table_by: str = ""  # 学校 or 研修小组
    idle: list[User] = field(default_factory=list)  # members with no activity at all yet
    idle_count: int = 0
    # Lesson studies of the space and its groups: (study, versions, observations in the period)
    lessons: list[tuple[LessonStudy, int, int]] = field(default_factory=list)


def member_ids(space: Space) -> list[int]:
    """Active members: of the space itself, or for a region of every school and workshop below."""
    if space.kind == REGION:
        statement = (
            select(Membership.user_id)
            .join(Space, Membership.space_id == Space.id)
            .where(Space.path.startswith(space.path), Space.kind != PERSONAL, Membership.state == ACTIVE)
            .distinct()
        )
    else:
        statement = select(Membership.user_id).where(
            Membership.space_id == space.id, Membership.state == ACTIVE
        )
    return list(db.session.execute(statement).scalars())


def _space_ids(space: Space) -> list[int]:
    """The space and, for a region, every space below it (where its members write)."""
    if space.kind != REGION:
        return [space.id]
    return list(
        db.session.execute(
            select(Space.id).where(Space.path.startswith(space.path), Space.kind != PERSONAL)
        ).scalars()
    )


def _counts_by_user(
    space_ids: list[int], users: list[int], start: datetime, end: datetime
) -> dict[int, dict]:
    """Per member: posts in these spaces, journals (in personal spaces) and resources shared
    here, in the period."""
    counts: dict[int, dict] = {u: {"posts": 0, "journals": 0, "resources": 0} for u in users}
    posts = db.session.execute(
        select(Post.author_id, func.count())
        .join(Thread, Post.thread_id == Thread.id)
        .where(
            Thread.space_id.in_(space_ids),
            Thread.kind != COMMENTS,
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
        )
        .group_by(Post.author_id)
    )
    journals = db.session.execute(
        select(Thread.author_id, func.count())
        .where(
            Thread.kind == JOURNAL,
            Thread.author_id.in_(users),
            Thread.created_at >= start,
            Thread.created_at < end,
        )
        .group_by(Thread.author_id)
    )
    # Shared here, or shared elsewhere (her own space) and selected into a library here.
    shared = db.session.execute(
        select(Resource.author_id, func.count(func.distinct(Resource.id)))
        .join(LibraryEntry, LibraryEntry.resource_id == Resource.id)
        .where(
            LibraryEntry.space_id.in_(space_ids),
            LibraryEntry.state == SELECTED,
            Resource.deleted_at.is_(None),
            LibraryEntry.placed_at >= start,
            LibraryEntry.placed_at < end,
        )
        .group_by(Resource.author_id)
    )
    for key, rows in (("posts", posts), ("journals", journals), ("resources", shared)):
        for user_id, number in rows:
            if user_id in counts:
                counts[user_id][key] = number
    return counts


def _groups(space: Space, users: list[int]) -> tuple[str, dict[int, str]]:
    """How to split the 学情 table: by study group where the space has groups, else by school."""
    groups = db.session.execute(
        select(Membership.user_id, Space.name)
        .join(Space, Membership.space_id == Space.id)
        .where(Space.parent_id == space.id, Space.kind == GROUP, Membership.state == ACTIVE)
    ).all()
    if groups:
        return "研修小组", {user_id: name for user_id, name in groups}
    schools = db.session.execute(
        select(Membership.user_id, Space.name)
        .join(Space, Membership.space_id == Space.id)
        .where(Membership.user_id.in_(users), Space.kind == SCHOOL, Membership.state == ACTIVE)
    ).all()
    return "学校", {user_id: name for user_id, name in schools}


def _lessons(space: Space, start: datetime, end: datetime) -> list[tuple[LessonStudy, int, int]]:
    """Lesson studies under way in the space or its study groups (or, for a region, below
    it), with the design versions and observations of the period."""
    below = select(Space.id).where(Space.path.startswith(space.path))
    studies = list(
        db.session.execute(
            select(LessonStudy)
            .where(LessonStudy.space_id.in_(below), LessonStudy.created_at < end)
            .where((LessonStudy.finished_at.is_(None)) | (LessonStudy.finished_at >= start))
            .order_by(LessonStudy.created_at)
            .limit(MAX_NAMES)
        ).scalars()
    )
    ids = [s.id for s in studies]
    versions = dict(
        db.session.execute(
            select(DesignVersion.study_id, func.count())
            .where(
                DesignVersion.study_id.in_(ids),
                DesignVersion.created_at >= start,
                DesignVersion.created_at < end,
            )
            .group_by(DesignVersion.study_id)
        ).all()
    )
    observed = dict(
        db.session.execute(
            select(Observation.study_id, func.count())
            .where(
                Observation.study_id.in_(ids), Observation.created_at >= start, Observation.created_at < end
            )
            .group_by(Observation.study_id)
        ).all()
    )
    return [(s, versions.get(s.id, 0), observed.get(s.id, 0)) for s in studies]


def activity(space: Space, start: datetime, end: datetime) -> Activity:
    """Everything a brief for [start, end) reports, in a fixed number of queries."""
    result = Activity(start, end)
    users = member_ids(space)
    space_ids = _space_ids(space)
    joined_in_period = (
        Membership.space_id.in_(space_ids),
        Membership.state == ACTIVE,
        Membership.created_at >= start,
        Membership.created_at < end,
    )
    joined = func.min(Membership.created_at).label("joined")
    result.new_members = list(
        db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(*joined_in_period)
            .group_by(User.id)  # one line a person, however many spaces below she joined
            .order_by(joined, User.id)
            .limit(MAX_NAMES)
        ).scalars()
    )
    result.new_member_count = db.session.execute(
        select(func.count(func.distinct(Membership.user_id))).where(*joined_in_period)
    ).scalar_one()
    kinds = db.session.execute(
        select(Thread.kind, Post.is_opening, func.count())
        .join(Thread, Post.thread_id == Thread.id)
        .where(
            Thread.space_id.in_(space_ids),
            Thread.kind != COMMENTS,
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
        )
        .group_by(Thread.kind, Post.is_opening)
    ).all()
    result.threads = sum(n for kind, opening, n in kinds if opening)
    result.replies = sum(n for kind, opening, n in kinds if not opening)
    posts_in_period = func.count(Post.id).label("n")
    result.busiest = [
        (thread, n)
        for thread, n in db.session.execute(
            select(Thread, posts_in_period)
            .join(Post, Post.thread_id == Thread.id)
            .where(
                Thread.space_id.in_(space_ids),
                Thread.kind.notin_((COMMENTS, JOURNAL)),
                Thread.hidden_reason.is_(None),
                Thread.is_held.is_(False),
                Post.deleted_at.is_(None),
                Post.created_at >= start,
                Post.created_at < end,
            )
            .group_by(Thread.id)
            .order_by(posts_in_period.desc(), Thread.id)
            .limit(TOP_THREADS)
            .options(selectinload(Thread.author))
        ).all()
    ]
    result.featured = list(
        db.session.execute(
            select(Thread)
            .where(
                Thread.id.in_(
                    select(ModerationAction.thread_id).where(
                        ModerationAction.space_id.in_(space_ids),
                        ModerationAction.action == "feature",
                        ModerationAction.created_at >= start,
                        ModerationAction.created_at < end,
                    )
                ),
                Thread.is_featured.is_(True),
            )
            .order_by(Thread.id)
            .options(selectinload(Thread.author))
        ).scalars()
    )
    result.selected = list(
        db.session.execute(
            select(LibraryEntry)
            .join(Resource, Resource.id == LibraryEntry.resource_id)
            .where(
                LibraryEntry.space_id == space.id,
                LibraryEntry.state == SELECTED,
                LibraryEntry.placed_at >= start,
                LibraryEntry.placed_at < end,
                Resource.deleted_at.is_(None),
                Resource.is_held.is_(False),
            )
            .order_by(LibraryEntry.placed_at)
            .options(
                selectinload(LibraryEntry.resource).selectinload(Resource.author),
                selectinload(LibraryEntry.resource).selectinload(Resource.space),
            )
        ).scalars()
    )
    counts = _counts_by_user(space_ids, users, start, end)
    result.journals = sum(c["journals"] for c in counts.values())
    result.resources = db.session.execute(
        select(func.count())
        .select_from(Resource)
        .where(
            Resource.space_id.in_(space_ids),
            Resource.deleted_at.is_(None),
            Resource.created_at >= start,
            Resource.created_at < end,
        )
    ).scalar_one()
    result.table_by, group_of = _groups(space, users)
    rows: dict[str, GroupRow] = {}
    for user_id in users:
        name = group_of.get(user_id, "（未填学校）" if result.table_by == "学校" else "（未分组）")
        row = rows.setdefault(name, GroupRow(name))
        c = counts[user_id]
        row.members += 1
        row.active += 1 if any(c.values()) else 0
        row.posts += c["posts"]
        row.journals += c["journals"]
        row.resources += c["resources"]
    result.table = sorted(rows.values(), key=lambda r: (-r.members, r.name))
    ever = _counts_by_user(space_ids, users, EPOCH, end)
    idle_ids = [user_id for user_id in users if not any(ever[user_id].values())]
    result.idle_count = len(idle_ids)
    result.lessons = _lessons(space, start, end)
    result.idle = list(
        db.session.execute(
            select(User).where(User.id.in_(idle_ids[:MAX_NAMES])).order_by(User.real_name, User.id)
        ).scalars()
    )
    return result
