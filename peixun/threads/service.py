"""Thread operations: start, reply, edit, delete, like. Each commits once."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.core import audit
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.markdown import MAX_BODY_CHARS, RENDERER_VERSION, normalise, render
from peixun.core.screening import current_screen
from peixun.extensions import db
from peixun.spaces.models import PERSONAL, Space
from peixun.spaces.service import record
from peixun.threads import notify
from peixun.threads.models import (
    COMMENTS,
    JOURNAL,
    KIND_LABELS,
    MODERATION_LABELS,
    PERIODIC,
    QUESTION,
    TOPIC,
    Draft,
    Like,
    ModerationAction,
    Notification,
    Post,
    PostVersion,
    Subscription,
    Thread,
    ThreadVisit,
)

KINDS_IN_SPACES = (TOPIC, QUESTION, PERIODIC)


def _html(body: str) -> str:
    """Render once when saving: sanitised Markdown, with @mentions of real users linked."""
    return notify.link_mentions(render(body), notify.mentioned_users(body))


def _title(raw: str) -> str:
    title = clean_text(raw, 120)
    if not title:
        raise ServiceError("请填写标题。", "title")
    return title


def already_posted(form_key: str | None) -> Post | None:
    """The post a form with this key already created (a double submit), if any."""
    if not form_key:
        return None
    return db.session.execute(select(Post).where(Post.form_key == form_key)).scalar_one_or_none()


def _post(
    thread: Thread, author: User, body: str, *, opening: bool = False, form_key: str | None = None
) -> Post:
    body = normalise(body or "")  # the text as rendered: no control characters or NUL
    if not body.strip():
        raise ServiceError("请填写内容。", "body")
    # The network-safety screen (seed 002): a match is held for a host's review.
    held = current_screen().matches(thread.title if opening else "", body)
    if opening:
        thread.is_held = held
    post = Post(
        is_held=held,
        thread=thread,
        author_id=author.id,
        is_opening=opening,
        body=body,
        body_html=_html(body),
        renderer_version=RENDERER_VERSION,
        form_key=form_key or None,
    )
    db.session.add(post)
    return post


def _commit_once(form_key: str | None) -> Post | None:
    """Commit; if the same form raced in twice, keep the first and return it."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        done = already_posted(form_key)
        if done is None:
            raise
        return done
    return None


def start_thread(
    author: User,
    space: Space,
    *,
    kind: str,
    title: str,
    body: str,
    is_public: bool = True,
    form_key: str | None = None,
) -> Thread:
    """A topic or question in a space, or a research journal in one's personal space.
    A form submitted twice (same form_key) creates one thread."""
    done = already_posted(form_key)
    if done is not None:
        return done.thread
    allowed = (JOURNAL,) if space.kind == PERSONAL else KINDS_IN_SPACES
    if kind not in allowed:
        raise ServiceError("这里不能发布这种帖子。", "kind")
    thread = Thread(
        space_id=space.id,
        author_id=author.id,
        kind=kind,
        title=_title(title),
        is_public=is_public if kind == JOURNAL else True,
        last_activity_at=utcnow(),
    )
    if kind == PERIODIC:
        thread.period_number = _next_period(space)
    db.session.add(thread)
    opening = _post(thread, author, body, opening=True, form_key=form_key)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError("这一期的期号刚被别人用掉了，请再提交一次。") from None
    if not opening.is_held:
        notify.on_new_post(author, thread, opening)
    record(space, author, "thread.started", f"{KIND_LABELS[kind]}：{thread.title}", thread.id)
    discard_draft(author, f"new:{space.id}")
    done = _commit_once(form_key)
    return done.thread if done is not None else thread


def open_comments(author: User, space: Space, title: str) -> Thread:
    """The comments under another domain's object (a resource, a brief). The thread has no
    opening post: every comment is a reply, so its author (the object's author) hears of
    each one. The caller links it to the object and commits."""
    thread = Thread(
        space_id=space.id, author_id=author.id, kind=COMMENTS, title=_title(title), last_activity_at=utcnow()
    )
    db.session.add(thread)
    return thread


def _next_period(space: Space) -> int:
    """学习园地 第N期: the next number of the space. Two hosts publishing at the same
    moment cannot both take it (unique constraint); the second is asked to retry."""
    latest = db.session.execute(
        select(func.max(Thread.period_number)).where(Thread.space_id == space.id)
    ).scalar_one()
    return (latest or 0) + 1


def post_reply(author: User, thread: Thread, body: str, form_key: str | None = None) -> Post:
    done = already_posted(form_key)
    if done is not None:
        return done
    if thread.is_locked:
        raise ServiceError("该帖已锁定，不能回复。")
    post = _post(thread, author, body, form_key=form_key)
    thread.last_activity_at = utcnow()
    db.session.flush()
    if not post.is_held:
        notify.on_new_post(author, thread, post)
    discard_draft(author, f"reply:{thread.id}")
    return _commit_once(form_key) or post


def edit_post(author: User, post: Post, body: str, title: str | None = None) -> None:
    """Keep the earlier text for the hosts, then save and re-render."""
    body = normalise(body or "")
    if not body.strip():
        raise ServiceError("请填写内容。", "body")
    html = _html(body)
    if post.is_opening and title is not None:
        post.thread.title = _title(title)
    if body != post.body:
        db.session.add(PostVersion(post_id=post.id, body=post.body))
        post.body, post.body_html, post.renderer_version = body, html, RENDERER_VERSION
        post.edited_at = utcnow()
    db.session.commit()


def delete_post(actor: User, post: Post) -> None:
    """Soft delete: the post stays in place as 该帖已删除 so replies keep their context.
    A host deleting someone else's post is moderation, and is logged."""
    post.deleted_at = utcnow()
    if actor.id != post.author_id:
        _log(actor, post.thread, "delete", f"#{post.id}")
        notify.on_moderated(actor, post.thread, post, MODERATION_LABELS["delete"])
    db.session.commit()


def like(user: User, post: Post) -> bool:
    """Like a post once; a second like (or a double click) changes nothing."""
    exists = db.session.execute(
        select(Like.id).where(Like.post_id == post.id, Like.user_id == user.id)
    ).scalar_one_or_none()
    if exists is not None:
        return False
    db.session.add(Like(post_id=post.id, user_id=user.id))
    try:
        db.session.commit()
    except IntegrityError:  # the same like racing in from a second tab
        db.session.rollback()
        return False
    return True


MODERATIONS = {
    "feature": ("is_featured", True),
    "unfeature": ("is_featured", False),
    "pin": ("is_pinned", True),
    "unpin": ("is_pinned", False),
    "lock": ("is_locked", True),
    "unlock": ("is_locked", False),
}


def moderate(actor: User, thread: Thread, action: str, reason: str = "") -> None:
    """Feature, pin, lock or hide (with a reason) a thread, and log it for the hosts."""
    reason = clean_text(reason, 200)
    if action in MODERATIONS:
        attribute, value = MODERATIONS[action]
        setattr(thread, attribute, value)
    elif action == "hide":
        if not reason:
            raise ServiceError("隐藏帖子须说明理由。", "reason")
        thread.hidden_reason = reason
    elif action == "unhide":
        thread.hidden_reason = None
    else:
        raise ServiceError("不支持的操作。")
    _log(actor, thread, action, reason)
    notify.on_moderated(actor, thread, None, MODERATION_LABELS[action])
    db.session.commit()


def accept_answer(actor: User, thread: Thread, post: Post) -> None:
    """Mark a reply as the accepted answer of a question (shown first)."""
    if post.thread_id != thread.id or post.is_opening or post.deleted_at is not None:
        raise ServiceError("只能采纳本帖中的回复。")
    thread.accepted_post_id = post.id
    _log(actor, thread, "accept", f"#{post.id}")
    notify.on_accepted(actor, thread, post)
    db.session.commit()


def _log(actor: User, thread: Thread, action: str, reason: str = "") -> None:
    if action != "accept":  # accepting an answer is the asker's own business, not moderation
        audit.record(f"thread.{action}", thread, f"{thread.title} {reason}".strip(), actor=actor)
    db.session.add(
        ModerationAction(
            space_id=thread.space_id, thread_id=thread.id, actor_id=actor.id, action=action, reason=reason
        )
    )


def release(actor: User, post: Post) -> None:
    """A host clears a held post: everyone who may read the thread now sees it."""
    post.is_held = False
    if post.is_opening:
        post.thread.is_held = False
    _log(actor, post.thread, "release", f"#{post.id}")
    notify.on_moderated(actor, post.thread, post, MODERATION_LABELS["release"])
    notify.on_new_post(post.author, post.thread, post)
    db.session.commit()


def reject(actor: User, post: Post) -> None:
    """A host refuses a held post: it is deleted (softly) and stays out of sight."""
    post.deleted_at = utcnow()
    _log(actor, post.thread, "reject", f"#{post.id}")
    notify.on_moderated(actor, post.thread, post, MODERATION_LABELS["reject"])
    db.session.commit()


def subscribe(user: User, *, thread: Thread | None = None, space: Space | None = None, mode: str) -> None:
    """Watch or mute a thread or a space ("unwatch" forgets the choice)."""
    target = {"thread_id": thread.id} if thread is not None else {"space_id": space.id if space else None}
    found = db.session.execute(select(Subscription).filter_by(user_id=user.id, **target)).scalar_one_or_none()
    if mode == "unwatch":
        if found is not None:
            db.session.delete(found)
    elif found is None:
        db.session.add(Subscription(user_id=user.id, is_muted=mode == "mute", **target))
    else:
        found.is_muted = mode == "mute"
    db.session.commit()


def mark_read(user: User, notification_ids: list[int] | None = None) -> None:
    """Mark my notifications read: the given ones, or all of them."""
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    db.session.execute(statement.values(read_at=utcnow()))
    db.session.commit()


def record_visit(user: User, thread: Thread) -> None:
    """Remember that the user has now read the thread (its unread marker goes)."""
    visit = db.session.get(ThreadVisit, (user.id, thread.id))
    if visit is None:
        db.session.add(ThreadVisit(user_id=user.id, thread_id=thread.id, seen_at=utcnow()))
    else:
        visit.seen_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same user opening the thread twice at once
        db.session.rollback()


def move(actor: User, thread: Thread, target: Space) -> None:
    """Move a thread to another space the same host moderates (journals stay personal)."""
    if target.kind == PERSONAL or thread.kind == JOURNAL or target.id == thread.space_id:
        raise ServiceError("不能移动到这个空间。", "target")
    source = thread.space
    if thread.period_number is not None:
        thread.period_number = _next_period(target)
    _log(actor, thread, "move", f"{source.name} → {target.name}")  # in the old space's log
    thread.space_id = target.id
    db.session.add(
        ModerationAction(
            space_id=target.id,
            thread_id=thread.id,
            actor_id=actor.id,
            action="move",
            reason=f"{source.name} → {target.name}",
        )
    )
    notify.on_moderated(actor, thread, None, f"移动到{target.name}")
    db.session.commit()


def save_draft(user: User, key: str, body: str, title: str = "") -> None:
    """Keep what the user is writing (the body is capped, never rendered)."""
    body, title = normalise(body or "")[:MAX_BODY_CHARS], clean_text(title, 120)
    found = db.session.execute(select(Draft).filter_by(user_id=user.id, key=key)).scalar_one_or_none()
    if found is None:
        db.session.add(Draft(user_id=user.id, key=key, body=body, title=title))
    else:
        found.body, found.title = body, title
    try:
        db.session.commit()
    except IntegrityError:  # two autosaves racing: the other one kept a copy
        db.session.rollback()


def take_draft(user: User, key: str) -> Draft | None:
    return db.session.execute(select(Draft).filter_by(user_id=user.id, key=key)).scalar_one_or_none()


def discard_draft(user: User, key: str) -> None:
    """Called after a successful post, in the same commit."""
    db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.key == key))
