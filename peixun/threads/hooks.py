"""Connects the threads domain to the page frame: the unread-notification count."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for
from flask_login import current_user
from sqlalchemy import func, select

from peixun.core.hooks import hooks
from peixun.extensions import db
from peixun.threads.models import JOURNAL, Thread
from peixun.threads.queries import unread_notifications


def notification_count() -> int:
    """Unread notifications of the signed-in user, one query per request at most."""
    if not current_user.is_authenticated:
        return 0
    if "_unread_notifications" not in g:
        g._unread_notifications = unread_notifications(current_user)
    return g._unread_notifications


def connect(app: Flask) -> None:
    app.jinja_env.globals.update(notification_count=notification_count)
    hooks(app).connect("spaces.personal_sections", journals_section)


def journals_section(space: Any) -> dict[str, Any]:
    """The personal page's 研修日志: the latest journals this viewer may read."""
    viewer_id = current_user.id if current_user.is_authenticated else None
    shown = select(Thread).where(
        Thread.space_id == space.id, Thread.kind == JOURNAL, Thread.hidden_reason.is_(None)
    )
    if viewer_id != space.owner_id:
        shown = shown.where(Thread.is_public.is_(True), Thread.is_held.is_(False))
    total = db.session.execute(select(func.count()).select_from(shown.subquery())).scalar_one()
    latest = db.session.execute(shown.order_by(Thread.created_at.desc()).limit(5)).scalars()
    return {
        "title": "研修日志",
        "total": total,
        "entries": [(t.title, url_for("threads.show", thread_id=t.id), t.created_at) for t in latest],
        "url": url_for("threads.list_threads", username=space.slug),
        "empty": "还没有研修日志。",
    }
