"""Dating the demo's writes as they happen: a service call runs at a moment of the
programme, and the rows it added get that moment instead of the time of loading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from peixun.extensions import db
from peixun.lessons.models import (
    Appraisal,
    AppraisalEntry,
    AppraisalReview,
    DesignVersion,
    LessonStudy,
    Observation,
)
from peixun.resources.models import LibraryEntry, Resource
from peixun.spaces.models import Activity
from peixun.threads.models import Notification, Post, Thread


class Stamper:
    """Runs a service call at a moment of the programme: the rows the call added to the
    tables below get that moment instead of the time of loading."""

    TABLES: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (LessonStudy, ("created_at",)),
        (DesignVersion, ("created_at",)),
        (Observation, ("created_at", "updated_at")),
        (Appraisal, ("created_at",)),
        (AppraisalEntry, ("created_at",)),
        (AppraisalReview, ("allocated_at",)),
        (Resource, ("created_at",)),
        (LibraryEntry, ("created_at", "placed_at")),
        (Thread, ("created_at", "last_activity_at")),
        (Post, ("created_at",)),
        (Activity, ("created_at",)),
        (Notification, ("created_at",)),
    )

    def __init__(self) -> None:
        self.marks = {model: self._top(model) for model, _ in self.TABLES}

    @staticmethod
    def _top(model: Any) -> int:
        return db.session.execute(select(func.max(model.id))).scalar_one() or 0

    def at(self, when: datetime, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = call(*args, **kwargs)
        posts_from = self.marks[Post]
        for model, columns in self.TABLES:
            top = self._top(model)
            if top > self.marks[model]:
                db.session.execute(
                    update(model)
                    .where(model.id > self.marks[model])
                    .values(dict.fromkeys(columns, when))
                    .execution_options(synchronize_session=False)
                )
                self.marks[model] = top
        # A post added to an older thread (a step discussion) is that thread's latest activity.
        db.session.execute(
            update(Thread)
            .where(Thread.id.in_(select(Post.thread_id).where(Post.id > posts_from)))
            .values(last_activity_at=when)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return result
