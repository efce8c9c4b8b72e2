"""Brief operations: draft, draft from activity, edit, publish (numbered), withdraw,
record reading. Each commits once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.briefs.activity import activity, member_ids
from peixun.briefs.drafting import compose
from peixun.briefs.models import DRAFT, PUBLISHED, SERIES, WITHDRAWN, Brief, BriefRead
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.markdown import MAX_BODY_CHARS, normalise, render
from peixun.extensions import db
from peixun.spaces.models import Space
from peixun.spaces.service import record
from peixun.threads.models import Notification
from peixun.threads.service import open_comments

PUBLISH_ATTEMPTS = 5


def _checked(series: str, title: str, body: str) -> tuple[str, str, str]:
    if series not in SERIES:
        raise ServiceError("请选择列表中的简报系列。", "series")
    title = clean_text(title, 120)
    if not title:
        raise ServiceError("请填写标题。", "title")
    body = normalise(body or "")
    if not body.strip():
        raise ServiceError("请填写正文。", "body")
    if len(body) > MAX_BODY_CHARS:
        raise ServiceError(f"正文最多 {MAX_BODY_CHARS} 字。", "body")
    return series, title, body


def _already(form_key: str | None) -> Brief | None:
    if not form_key:
        return None
    return db.session.execute(select(Brief).where(Brief.form_key == form_key)).scalar_one_or_none()


def save_draft(
    author: User, space: Space, *, series: str, title: str, body: str, form_key: str | None = None
) -> Brief:
    """A new draft, seen only by its author and the space's hosts until published."""
    done = _already(form_key)
    if done is not None:
        return done
    series, title, body = _checked(series, title, body)
    brief = Brief(
        space_id=space.id,
        author_id=author.id,
        series=series,
        title=title,
        body=body,
        body_html=render(body),
        form_key=form_key or None,
    )
    db.session.add(brief)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        done = _already(form_key)
        if done is None:
            raise
        return done
    return brief


def edit(actor: User, brief: Brief, *, series: str, title: str, body: str) -> None:
    """Drafts change freely; a published issue keeps its series and number."""
    if brief.state == WITHDRAWN:
        raise ServiceError("已撤回的简报不能再修改。")
    series, title, body = _checked(series if brief.state == DRAFT else brief.series, title, body)
    brief.series, brief.title, brief.body, brief.body_html = series, title, body, render(body)
    if brief.thread is not None:
        brief.thread.title = title
    db.session.commit()


def period_start(space: Space, series: str) -> datetime:
    """Where the previous published issue of the series stopped counting (its period's
    end, or its publication), or since the space began."""
    previous = db.session.execute(
        select(func.max(func.coalesce(Brief.period_end, Brief.published_at))).where(
            Brief.space_id == space.id, Brief.series == series, Brief.state != DRAFT
        )
    ).scalar_one()
    return previous or space.created_at


def draft_from_activity(author: User, space: Space, series: str, until: datetime | None = None) -> Brief:
    """A draft summing up the space's own activity since the previous issue, for the
    host to edit: every number in it comes from a query (briefs.activity)."""
    if series not in SERIES:
        raise ServiceError("请选择列表中的简报系列。", "series")
    end, start = until or utcnow(), period_start(space, series)
    if end <= start:
        raise ServiceError("统计时段的结束早于上一期简报。")
    facts = activity(space, start, end)
    title, body = compose(space, SERIES[series], facts)
    brief = save_draft(author, space, series=series, title=title, body=body)
    brief.period_end = end
    db.session.commit()
    return brief


def _next_number(brief: Brief) -> int:
    latest = db.session.execute(
        select(func.max(Brief.number)).where(Brief.space_id == brief.space_id, Brief.series == brief.series)
    ).scalar_one()
    return (latest or 0) + 1


def publish(actor: User, brief: Brief) -> Brief:
    """Give the draft the next number of its series and publish it. Two publishes at the
    same moment: the unique constraint refuses the second number, which is then taken
    again from the now-committed maximum, so there is no gap and no duplicate."""
    if brief.state != DRAFT:
        raise ServiceError("这期简报已经发布过了。")
    for _attempt in range(PUBLISH_ATTEMPTS):
        try:
            # Everything read first, so no lazy load flushes the number half-way.
            thread = open_comments(brief.author, brief.space, brief.title)
            number = _next_number(brief)
            brief.number, brief.state, brief.published_at, brief.thread = number, PUBLISHED, utcnow(), thread
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # nothing else was written yet: take the next number
            continue
        _notify_members(actor, brief)
        record(brief.space, actor, "brief.published", f"{brief.label} {brief.title}", brief.id)
        db.session.commit()
        return brief
    raise ServiceError("期号分配冲突，请再发布一次。")


def _notify_members(actor: User, brief: Brief) -> None:
    """One INSERT … SELECT for every member, however many (a region's may be thousands)."""
    users = [u for u in member_ids(brief.space) if u != actor.id]
    if not users or brief.thread_id is None:
        return
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "actor_id", "kind", "thread_id", "detail", "created_at"],
            select(
                User.id,
                literal(actor.id),
                literal("brief"),
                literal(brief.thread_id),
                literal(brief.label[:200]),
                literal(utcnow()),
            ).where(User.id.in_(users)),
        )
    )


def withdraw(actor: User, brief: Brief, reason: str) -> None:
    """Take a published issue back; it keeps its number and says it was withdrawn."""
    if brief.state != PUBLISHED:
        raise ServiceError("只有已发布的简报可以撤回。")
    reason = clean_text(reason, 200)
    if not reason:
        raise ServiceError("请写明撤回的原因，读者会看到。", "reason")
    brief.state, brief.withdrawn_at, brief.withdrawn_reason = WITHDRAWN, utcnow(), reason
    db.session.commit()


def delete_draft(actor: User, brief: Brief) -> None:
    if brief.state != DRAFT:
        raise ServiceError("已发布的简报不能删除，只能撤回。")
    db.session.delete(brief)
    db.session.commit()


def record_read(user: User, brief: Brief) -> None:
    """Idempotent: the first reading counts."""
    if brief.state != PUBLISHED:
        return
    exists = db.session.execute(
        select(BriefRead.user_id).where(BriefRead.brief_id == brief.id, BriefRead.user_id == user.id)
    ).first()
    if exists:
        return
    db.session.add(BriefRead(brief_id=brief.id, user_id=user.id))
    try:
        db.session.commit()
    except IntegrityError:  # the same reader twice at once
        db.session.rollback()
