"""Read-side builders for library pages, resource pages, the review queue and calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.core.pagination import Page, paginate
from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.resources.models import OFFERED, SELECTED, Call, LibraryEntry, Resource, ResourceTag, ResourceVote
from peixun.spaces.models import PERSONAL, Space
from peixun.spaces.queries import spaces_by_ids

PER_PAGE = 20
TAG_CLOUD = 30
# What a list row shows of an entry's resource: author, origin, tags, file, provenance.
ROW_LOADS = (
    contains_eager(LibraryEntry.resource).selectinload(Resource.author),
    contains_eager(LibraryEntry.resource).selectinload(Resource.space),
    contains_eager(LibraryEntry.resource).selectinload(Resource.tags),
    contains_eager(LibraryEntry.resource).selectinload(Resource.blob),
    selectinload(LibraryEntry.from_space),
)


@dataclass
class LibraryQuery:
    """The filters and order of a library page, from its query string."""

    subject: str = ""
    stage: str = ""
    type: str = ""
    tag: str = ""
    sort: str = "newest"
    excellent: bool = False

    @property
    def is_filtered(self) -> bool:
        return bool(self.subject or self.stage or self.type or self.tag or self.excellent)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string values for a link that changes one filter and keeps the others."""
        values = {
            "subject": self.subject,
            "stage": self.stage,
            "type": self.type,
            "tag": self.tag,
            "sort": self.sort if self.sort != "newest" else "",
            "excellent": "1" if self.excellent else "",
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value}


def _shown(statement: Any, viewer: User | None, can_review: bool) -> Any:
    statement = statement.where(Resource.deleted_at.is_(None))
    if can_review:
        return statement
    visible = Resource.is_held.is_(False)
    return statement.where(visible if viewer is None else or_(visible, Resource.author_id == viewer.id))


def _library_entries(space: Space) -> Any:
    return (
        select(LibraryEntry)
        .join(Resource, LibraryEntry.resource_id == Resource.id)
        .where(LibraryEntry.space_id == space.id, LibraryEntry.state == SELECTED)
    )


def library_page(space: Space, viewer: User | None, query: LibraryQuery, page: int, can_review: bool) -> Page:
    """One page of a space's library: entries with their resources, authors, origins,
    tags and files loaded in a fixed number of queries whatever the library's size."""
    statement = _shown(_library_entries(space), viewer, can_review)
    if query.subject:
        statement = statement.where(Resource.subject == query.subject)
    if query.stage:
        statement = statement.where(Resource.stage == query.stage)
    if query.type:
        statement = statement.where(Resource.type == query.type)
    if query.excellent:
        statement = statement.where(LibraryEntry.is_excellent.is_(True))
    if query.tag:
        tagged = select(ResourceTag.resource_id).where(ResourceTag.name == query.tag)
        statement = statement.where(Resource.id.in_(tagged))
    order = {
        "downloads": (Resource.download_count.desc(), LibraryEntry.placed_at.desc()),
        "votes": (Resource.vote_count.desc(), LibraryEntry.placed_at.desc()),
    }.get(query.sort, (LibraryEntry.placed_at.desc(),))
    statement = statement.order_by(*order, LibraryEntry.id.desc()).options(
        *ROW_LOADS,
    )
    return paginate(statement, page, PER_PAGE)


def tag_cloud(space: Space) -> list[tuple[str, int]]:
    """The library's most used tags, for the tag filter."""
    count = func.count().label("n")
    rows = db.session.execute(
        select(ResourceTag.name, count)
        .join(LibraryEntry, LibraryEntry.resource_id == ResourceTag.resource_id)
        .join(Resource, Resource.id == ResourceTag.resource_id)
        .where(
            LibraryEntry.space_id == space.id,
            LibraryEntry.state == SELECTED,
            Resource.deleted_at.is_(None),
            Resource.is_held.is_(False),
        )
        .group_by(ResourceTag.name)
        .order_by(count.desc(), ResourceTag.name)
        .limit(TAG_CLOUD)
    ).all()
    return [(row.name, row.n) for row in rows]


def waiting_count(space: Space) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(LibraryEntry)
        .join(Resource, Resource.id == LibraryEntry.resource_id)
        .where(
            LibraryEntry.space_id == space.id, LibraryEntry.state == OFFERED, Resource.deleted_at.is_(None)
        )
    ).scalar_one()


def review_page(space: Space, page: int, call: Call | None = None) -> Page:
    """The one queue of a space's reviewers: recommendations and answers to calls, oldest first."""
    statement = (
        select(LibraryEntry)
        .join(Resource, LibraryEntry.resource_id == Resource.id)
        .where(
            LibraryEntry.space_id == space.id, LibraryEntry.state == OFFERED, Resource.deleted_at.is_(None)
        )
        .order_by(LibraryEntry.created_at, LibraryEntry.id)
        .options(
            *ROW_LOADS,
            selectinload(LibraryEntry.recommended_by),
            selectinload(LibraryEntry.call),
        )
    )
    if call is not None:
        statement = statement.where(LibraryEntry.call_id == call.id)
    return paginate(statement, page, PER_PAGE)


def resource_for_page(resource_id: int) -> Resource | None:
    """A resource with everything its page and the policy read: libraries, origin, file."""
    return db.session.execute(
        select(Resource)
        .where(Resource.id == resource_id)
        .options(
            selectinload(Resource.author),
            selectinload(Resource.space),
            selectinload(Resource.blob),
            selectinload(Resource.tags),
            selectinload(Resource.thread),
            selectinload(Resource.entries).selectinload(LibraryEntry.space),
            selectinload(Resource.entries).selectinload(LibraryEntry.from_space),
            selectinload(Resource.entries).selectinload(LibraryEntry.decided_by),
        )
    ).scalar_one_or_none()


def resource_of_thread(thread_id: int) -> Resource | None:
    return db.session.execute(
        select(Resource)
        .where(Resource.thread_id == thread_id)
        .options(
            selectinload(Resource.entries).selectinload(LibraryEntry.space), selectinload(Resource.space)
        )
    ).scalar_one_or_none()


def recommend_targets(user: User, resource: Resource) -> list[tuple[Space, Space]]:
    """Where this user may recommend (推荐) the resource, each with the library it moves
    up from. The author offers it to any space she belongs to and the regions above; a
    host or admin of a library holding it offers it to the spaces above that library."""
    actor = load_actor(user)
    held = [entry for entry in resource.entries if entry.state == SELECTED]
    taken = {entry.space_id for entry in resource.entries if entry.state in (OFFERED, SELECTED)}
    wanted: set[int] = set()
    if resource.author_id == user.id:
        wanted |= actor.member_of
    for entry in held:
        if can(actor, "library.review", entry.space):
            wanted |= set(entry.space.chain_ids)
    spaces = [space for space in spaces_by_ids(sorted(wanted - taken)) if space.kind != PERSONAL]
    targets = []
    for space in spaces:
        # Provenance: the deepest library holding it below the target, else its origin.
        below = [e.space for e in held if space.id in e.space.chain_ids and e.space_id != space.id]
        source = max(below, key=lambda s: len(s.chain_ids)) if below else resource.space
        targets.append((space, source))
    return sorted(targets, key=lambda pair: (len(pair[0].chain_ids), pair[0].name))


def own_resources(user: User, limit: int = 200) -> list[Resource]:
    """The user's own live resources, newest first (to answer a call with)."""
    return list(
        db.session.execute(
            select(Resource)
            .where(Resource.author_id == user.id, Resource.deleted_at.is_(None), Resource.is_held.is_(False))
            .order_by(Resource.id.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass
class CallRow:
    call: Call
    answers: int = 0
    selected: int = 0


@dataclass
class Calls:
    open: list[CallRow] = field(default_factory=list)
    closed: list[CallRow] = field(default_factory=list)


def calls_of(space: Space, limit: int = 50) -> Calls:
    """A space's calls for submissions with their answer counts; open ones first."""
    calls = list(
        db.session.execute(
            select(Call)
            .where(Call.space_id == space.id)
            .order_by(Call.deadline_at.desc())
            .limit(limit)
            .options(selectinload(Call.author))
        ).scalars()
    )
    counts: dict[int, CallRow] = {call.id: CallRow(call) for call in calls}
    if calls:
        for call_id, state, n in db.session.execute(
            select(LibraryEntry.call_id, LibraryEntry.state, func.count())
            .where(LibraryEntry.call_id.in_(counts))
            .group_by(LibraryEntry.call_id, LibraryEntry.state)
        ):
            counts[call_id].answers += n
            if state == SELECTED:
                counts[call_id].selected += n
    now = utcnow()
    result = Calls()
    for call in calls:
        (result.open if call.deadline_at > now else result.closed).append(counts[call.id])
    result.open.reverse()  # the nearest deadline first
    return result


def call_answers(call: Call, page: int) -> Page:
    """Answers selected into the call's space, for everyone to see."""
    statement = (
        _library_entries(call.space)
        .where(LibraryEntry.call_id == call.id, Resource.deleted_at.is_(None), Resource.is_held.is_(False))
        .order_by(LibraryEntry.placed_at.desc(), LibraryEntry.id.desc())
        .options(
            *ROW_LOADS,
        )
    )
    return paginate(statement, page, PER_PAGE)


def has_voted(user: User, resource: Resource) -> bool:
    return (
        db.session.execute(
            select(ResourceVote.user_id).where(
                ResourceVote.resource_id == resource.id, ResourceVote.user_id == user.id
            )
        ).first()
        is not None
    )
