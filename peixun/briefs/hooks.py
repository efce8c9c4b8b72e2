"""Connects briefs to lower domains: who reads a brief's comments, and where they show."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for

from peixun.briefs.models import Brief
from peixun.briefs.queries import brief_of_thread
from peixun.core.hooks import hooks
from peixun.core.policy import Actor, can


def _attached(thread: Any) -> Brief | None:
    cache = g.setdefault("_attached_briefs", {})
    if thread.id not in cache:
        cache[thread.id] = brief_of_thread(thread.id)
    return cache[thread.id]


def remember_attachment(brief: Brief) -> None:
    if brief.thread_id is not None:
        g.setdefault("_attached_briefs", {})[brief.thread_id] = brief


def reads_comments(actor: Actor, thread: Any) -> bool:
    brief = _attached(thread)
    return brief is not None and brief.state != "draft" and can(actor, "brief.view", brief)


def comments_url(thread: Any) -> str | None:
    brief = _attached(thread)
    return url_for("briefs.show", brief_id=brief.id) if brief is not None else None


def connect(app: Flask) -> None:
    registry = hooks(app)
    registry.connect("policy.reads_attachment", reads_comments)
    registry.connect("thread.attachment_url", comments_url)
