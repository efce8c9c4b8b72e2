"""Connects resources to lower domains: who reads a resource's comments, and where they show."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for

from peixun.core.hooks import hooks
from peixun.core.policy import Actor, can
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
