"""Connects resources to lower domains: who reads a resource's comments, and where they show."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for
from sqlalchemy import func, select

from peixun.core.hooks import hooks
from peixun.core.policy import Actor, can
from peixun.extensions import db
from peixun.resources.files import KINDS
from peixun.resources.models import Resource
from peixun.resources.queries import resource_of_thread


def remember_attachment(resource: Resource) -> None:
    """A page that has the resource loaded spares the policy a query per comment."""
    if resource.thread_id is not None:
        g.setdefault("_attached_resources", {})[resource.thread_id] = resource


def _attached(thread: Any) -> Resource | None:
    cache = g.setdefault("_attached_resources", {})
    if thread.id not in cache:
        cache[thread.id] = resource_of_thread(thread.id)
    return cache[thread.id]


def reads_comments(actor: Actor, thread: Any) -> bool:
    resource = _attached(thread)
    return resource is not None and can(actor, "resource.view", resource)


def comments_url(thread: Any) -> str | None:
    resource = _attached(thread)
    return url_for("resources.show", resource_id=resource.id) if resource is not None else None


def connect(app: Flask) -> None:
    registry = hooks(app)
    registry.connect("policy.reads_attachment", reads_comments)
    registry.connect("thread.attachment_url", comments_url)
    app.jinja_env.globals.update(FILE_KINDS=KINDS)
    registry.connect("spaces.personal_sections", resources_section)


def resources_section(space: Any) -> dict[str, Any]:
    """The personal page's 资源与成果: what the owner shared, newest first."""
    # Only the personal library: what she shared in a workshop is read by its members only.
    shown = select(Resource).where(
        Resource.space_id == space.id, Resource.deleted_at.is_(None), Resource.is_held.is_(False)
    )
    total = db.session.execute(select(func.count()).select_from(shown.subquery())).scalar_one()
    latest = db.session.execute(shown.order_by(Resource.created_at.desc()).limit(5)).scalars()
    return {
        "title": "资源与成果",
        "total": total,
        "entries": [
            (f"{r.type}：{r.title}", url_for("resources.show", resource_id=r.id), r.created_at)
            for r in latest
        ],
        "url": url_for("resources.library", username=space.slug),
        "empty": "还没有分享资源。",
    }
