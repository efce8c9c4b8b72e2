"""Read-side builders for thread lists and thread pages; bounded SQL per page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.core.pagination import Page, paginate
from peixun.core.policy import EXPERT
from peixun.extensions import db
from peixun.spaces.models import PERSONAL, RoleAssignment, Space
from peixun.threads.models import (
    COMMENTS,
    JOURNAL,
    QUESTION,
    REPLIES_PER_PAGE,
    Like,
    ModerationAction,
    Notification,
    Post,
    PostVersion,
    Subscription,
    Thread,
    ThreadVisit,
)

SORTS = {"activity": "最新回复", "newest": "最新发布"}
FILTERS = {"": "全部", "featured": "精华", "questions": "问答", "unanswered": "待解答"}


@dataclass
class ThreadRow:
    thread: Thread
    replies: int = 0
    likes: int = 0
    last_reply: Post | None = None
    is_unread: bool = False


def thread_list(
    space: Space, viewer: User | None, page: int, sort: str, show: str, can_moderate: bool = False
) -> Page:
    """A page of a space's threads, pinned first, each with replies, likes and last reply."""
    statement = (
        select(Thread)
        .where(Thread.space_id == space.id, Thread.kind != COMMENTS)
        .options(selectinload(Thread.author))
    )
    if space.kind == PERSONAL and (viewer is None or viewer.id != space.owner_id):
        statement = statement.where(or_(Thread.kind != JOURNAL, Thread.is_public.is_(True)))
    if not can_moderate:
        visible = and_(Thread.hidden_reason.is_(None), Thread.is_held.is_(False))
        statement = statement.where(
            visible if viewer is None else or_(visible, Thread.author_id == viewer.id)
        )
    if show == "featured":
        statement = statement.where(Thread.is_featured.is_(True))
    elif show == "questions":
        statement = statement.where(Thread.kind == QUESTION)
    elif show == "unanswered":
        statement = statement.where(Thread.kind == QUESTION, Thread.accepted_post_id.is_(None))
    newest = Thread.created_at if sort == "newest" else Thread.last_activity_at
    statement = statement.order_by(Thread.is_pinned.desc(), newest.desc(), Thread.id.desc())
    result = paginate(statement, page, per_page=20)
    result.items = _rows(result.items, viewer)
    return result


def _rows(threads: list[Thread], viewer: User | None = None) -> list[ThreadRow]:
    """Reply counts, likes of the opening post, the last reply and (signed in) what is
    unread: four queries."""
    if not threads:
        return []
    ids = [t.id for t in threads]
    live_reply = and_(Post.is_opening.is_(False), Post.deleted_at.is_(None), Post.is_held.is_(False))
    replies = dict(
        db.session.execute(
            select(Post.thread_id, func.count())
            .where(Post.thread_id.in_(ids), live_reply)
            .group_by(Post.thread_id)
        ).all()
    )
    likes = dict(
        db.session.execute(
            select(Post.thread_id, func.count(Like.id))
            .join(Like, Like.post_id == Post.id)
            .where(Post.thread_id.in_(ids), Post.is_opening.is_(True))
            .group_by(Post.thread_id)
        ).all()
    )
    latest = select(func.max(Post.id)).where(Post.thread_id.in_(ids), live_reply).group_by(Post.thread_id)
    last = {
        p.thread_id: p
        for p in db.session.execute(
            select(Post).where(Post.id.in_(latest)).options(selectinload(Post.author))
        ).scalars()
    }
    seen: dict[int, Any] = {}
    if viewer is not None:
        seen = dict(
            db.session.execute(
                select(ThreadVisit.thread_id, ThreadVisit.seen_at).where(
                    ThreadVisit.user_id == viewer.id, ThreadVisit.thread_id.in_(ids)
                )
            ).all()
        )
    return [
        ThreadRow(
            t,
            replies.get(t.id, 0),
            likes.get(t.id, 0),
            last.get(t.id),
            viewer is not None and (t.id not in seen or t.last_activity_at > seen[t.id]),
        )
        for t in threads
    ]


@dataclass
class ThreadPage:
    thread: Thread
    opening: Post
    page: Page
    accepted: Post | None = None
    likes: dict[int, int] = field(default_factory=dict)
    liked: set[int] = field(default_factory=set)


def thread_page(thread: Thread, viewer: User | None, page: int, can_review: bool = False) -> ThreadPage:
    """The opening post, one page of replies, the accepted answer, like counts.
    Held replies are shown to their authors and to the hosts only."""
    posts = (
        db.session.execute(
            select(Post)
            .where(Post.thread_id == thread.id, Post.is_opening.is_(True))
            .options(selectinload(Post.author))
        )
        .scalars()
        .first()
    )
    replies = paginate(
        _visible_replies(thread, viewer, can_review).options(selectinload(Post.author)).order_by(Post.id),
        page,
        REPLIES_PER_PAGE,
    )
    shown: list[Any] = [posts, *replies.items]
    accepted = None
    if thread.accepted_post_id:
        accepted = next((p for p in shown if p.id == thread.accepted_post_id), None) or db.session.get(
            Post, thread.accepted_post_id
        )
        shown.append(accepted)
    ids = [p.id for p in shown if p is not None]
    likes = dict(
        db.session.execute(
            select(Like.post_id, func.count()).where(Like.post_id.in_(ids)).group_by(Like.post_id)
        ).all()
    )
    liked: set[int] = set()
    if viewer is not None:
        liked = set(
            db.session.execute(
                select(Like.post_id).where(Like.post_id.in_(ids), Like.user_id == viewer.id)
            ).scalars()
        )
    return ThreadPage(thread, posts, replies, accepted, likes, liked)


def _visible_replies(thread: Thread, viewer: User | None, can_review: bool) -> Any:
    statement = select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(False))
    if not can_review:
        shown = Post.is_held.is_(False)
        statement = statement.where(shown if viewer is None else or_(shown, Post.author_id == viewer.id))
    return statement


def held_posts(space: Space, page: int) -> Page:
    """The review queue: held posts of a space, oldest first."""
    return paginate(
        select(Post)
        .join(Thread, Post.thread_id == Thread.id)
        .where(Thread.space_id == space.id, Post.is_held.is_(True), Post.deleted_at.is_(None))
        .options(selectinload(Post.author), selectinload(Post.thread))
        .order_by(Post.id),
        page,
        per_page=30,
    )


def reply_page_of(post: Post) -> int:
    """Which page of its thread a reply is on (for permalinks)."""
    if post.is_opening:
        return 1
    before = db.session.execute(
        select(func.count())
        .select_from(Post)
        .where(Post.thread_id == post.thread_id, Post.is_opening.is_(False), Post.id < post.id)
    ).scalar_one()
    return before // REPLIES_PER_PAGE + 1


def versions(post: Post) -> list[PostVersion]:
    return list(
        db.session.execute(
            select(PostVersion).where(PostVersion.post_id == post.id).order_by(PostVersion.id.desc())
        ).scalars()
    )


def moderation_page(space: Space, page: int) -> Page:
    return paginate(
        select(ModerationAction)
        .where(ModerationAction.space_id == space.id)
        .options(selectinload(ModerationAction.actor), selectinload(ModerationAction.thread))
        .order_by(ModerationAction.id.desc()),
        page,
        per_page=50,
    )


def unread_notifications(user: User) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications_page(user: User, page: int) -> Page:
    return paginate(
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            selectinload(Notification.actor),
            selectinload(Notification.thread),
            selectinload(Notification.space),
        )
        .order_by(Notification.id.desc()),
        page,
        per_page=30,
    )


def subscription_of(user: User | None, *, thread: Thread | None = None, space: Space | None = None) -> str:
    """ "watch", "mute" or "" for the user's choice on a thread or a space."""
    if user is None:
        return ""
    target = Subscription.thread_id == thread.id if thread is not None else Subscription.space_id == space.id
    muted = db.session.execute(
        select(Subscription.is_muted).where(Subscription.user_id == user.id, target)
    ).scalar_one_or_none()
    return "" if muted is None else ("mute" if muted else "watch")


@dataclass
class WaitingQuestion:
    thread: Thread
    hours: int
    overdue: bool


def expert_ids(space: Space) -> list[int]:
    """Experts of the space or any space above it: those whose answer counts (答疑)."""
    return list(
        db.session.execute(
            select(RoleAssignment.user_id).where(
                RoleAssignment.role == EXPERT, RoleAssignment.space_id.in_(space.chain_ids)
            )
        ).scalars()
    )


def waiting_questions(space: Space, sla_hours: int, limit: int = 100) -> list[WaitingQuestion]:
    """Questions with no expert answer (nor an accepted one) yet, oldest first, with how
    long each has waited; past `sla_hours` (seed 001: 12 hours) it is overdue."""
    experts = expert_ids(space)
    answered = select(Post.id).where(
        Post.thread_id == Thread.id,
        Post.is_opening.is_(False),
        Post.deleted_at.is_(None),
        Post.is_held.is_(False),
        Post.author_id.in_(experts),
    )
    rows = db.session.execute(
        select(Thread)
        .where(
            Thread.space_id == space.id,
            Thread.kind == QUESTION,
            Thread.accepted_post_id.is_(None),
            Thread.hidden_reason.is_(None),
            Thread.is_held.is_(False),
            ~answered.exists(),
        )
        .options(selectinload(Thread.author))
        .order_by(Thread.created_at, Thread.id)
        .limit(limit)
    ).scalars()
    now = utcnow()
    found = []
    for thread in rows:
        hours = int((now - thread.created_at).total_seconds() // 3600)
        found.append(WaitingQuestion(thread, hours, hours >= sla_hours))
    return found


def post_counts(space_ids: list[int], since: Any = None, until: Any = None) -> dict[int, dict[str, int]]:
    """Per user: threads, replies and journals in these spaces, counted from the posts
    themselves (never hand-kept counters that could drift). For the statistics pages."""
    kind = case(
        (Post.is_opening.is_(False), "replies"), (Thread.kind == JOURNAL, "journals"), else_="threads"
    )
    statement = (
        select(Post.author_id, kind, func.count())
        .join(Thread, Post.thread_id == Thread.id)
        .where(Thread.space_id.in_(space_ids), Post.deleted_at.is_(None))
        .group_by(Post.author_id, kind)
    )
    if since is not None:
        statement = statement.where(Post.created_at >= since)
    if until is not None:
        statement = statement.where(Post.created_at < until)
    counts: dict[int, dict[str, int]] = {}
    for author_id, label, number in db.session.execute(statement):
        counts.setdefault(author_id, {"threads": 0, "replies": 0, "journals": 0})[label] = number
    return counts
