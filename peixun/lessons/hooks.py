"""Connects lesson studies to lower domains: who reads a step's discussion, and where it shows."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peixun.core.hooks import hooks
from peixun.core.policy import Actor, can
from peixun.extensions import db
from peixun.lessons.appraisals import pending_reviews
from peixun.lessons.models import LessonStudy, StepThread


def _cache() -> dict[int, tuple[LessonStudy, str] | None]:
    return g.setdefault("_attached_lessons", {})


def remember_attachments(study: LessonStudy) -> None:
    for step_thread in study.threads:
        _cache()[step_thread.thread_id] = (study, step_thread.step)


def _attached(thread: Any) -> tuple[LessonStudy, str] | None:
    cache = _cache()
    if thread.id not in cache:
        row = db.session.execute(
            select(StepThread).where(StepThread.thread_id == thread.id)
        ).scalar_one_or_none()
        study = (
            db.session.execute(
                select(LessonStudy)
                .where(LessonStudy.id == row.study_id)
                .options(selectinload(LessonStudy.space))
            ).scalar_one()
            if row
            else None
        )
        cache[thread.id] = (study, row.step) if row and study else None
    return cache[thread.id]


def reads_discussion(actor: Actor, thread: Any) -> bool:
    found = _attached(thread)
    return found is not None and can(actor, "lesson.view", found[0])


def discussion_url(thread: Any) -> str | None:
    found = _attached(thread)
    return url_for("lessons.show", study_id=found[0].id, step=found[1]) if found else None


def review_task(user: Any) -> tuple[str, str] | None:
    """On the reviewer's home page: the lesson-study reviews allocated to her and not yet scored."""
    waiting = pending_reviews(user)
    return (f"您有 {waiting} 份课例评审任务待评分", url_for("appraisals.my_reviews")) if waiting else None


def connect(app: Flask) -> None:
    registry = hooks(app)
    registry.connect("spaces.home_tasks", review_task)
    registry.connect("policy.reads_attachment", reads_discussion)
    registry.connect("thread.attachment_url", discussion_url)
