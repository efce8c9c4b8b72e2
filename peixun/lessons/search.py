"""How lesson studies become search documents: the plan (title, theme, question, unit),
the latest design version and the summary, so a study is found from its first step on."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peixun.core.indexing import Document, Found, Source, register_source, watch
from peixun.core.markdown import plain_text
from peixun.core.policy import can
from peixun.extensions import db
from peixun.lessons.models import DesignVersion, LessonStudy
from peixun.spaces.views import space_url


def _loaded(ids: list[int]) -> list[LessonStudy]:
    return list(
        db.session.execute(
            select(LessonStudy)
            .where(LessonStudy.id.in_(ids))
            .options(selectinload(LessonStudy.space), selectinload(LessonStudy.teacher))
        ).scalars()
    )


def _latest_designs(ids: list[int]) -> dict[int, str]:
    """The newest design version of each study, in one query."""
    found: dict[int, str] = {}
    for version in db.session.execute(
        select(DesignVersion)
        .where(DesignVersion.study_id.in_(ids))
        .order_by(DesignVersion.study_id, DesignVersion.number.desc())
    ).scalars():
        found.setdefault(version.study_id, version.body_html)
    return found


def _text(study: LessonStudy, design_html: str) -> str:
    parts = [study.theme, study.question, study.unit, plain_text(design_html), plain_text(study.summary_html)]
    return "\n".join(part for part in parts if part)


def load_studies(ids: list[int]) -> list[Document]:
    studies = _loaded(ids)
    designs = _latest_designs([s.id for s in studies]) if studies else {}
    return [
        Document(
            key=f"lesson:{s.id}",
            kind="lesson",
            object_id=s.id,
            title=s.title,
            body=_text(s, designs.get(s.id, "")),
            author_id=s.teacher_id,
            author_name=s.teacher.real_name,
            created_at=s.created_at,
            space_ids=(s.space_id,),
            chain_ids=tuple(s.space.chain_ids),
            level=s.space.kind,
            space_id=s.space_id,
            subject=s.subject or s.space.subject or "",
            stage=s.stage or s.space.stage or "",
        )
        for s in studies
    ]


def present_studies(ids: list[int], actor: Any) -> dict[int, Found]:
    studies = [s for s in _loaded(ids) if can(actor, "lesson.view", s)]
    designs = _latest_designs([s.id for s in studies]) if studies else {}
    return {
        s.id: Found(
            kind_label=f"课例研究 · {s.step_label}",
            title=s.title,
            url=url_for("lessons.show", study_id=s.id),
            space_name=s.space.name,
            space_url=space_url(s.space),
            author_name=s.teacher.display_name,
            author_url=url_for("spaces.personal", username=s.teacher.username),
            created_at=s.created_at,
            text=_text(s, designs.get(s.id, "")),
        )
        for s in studies
    }


def connect(app: Flask) -> None:
    register_source(
        app,
        Source(
            "lesson",
            "课例研究",
            load_studies,
            lambda: db.session.execute(select(LessonStudy.id).order_by(LessonStudy.id)).scalars(),
            present_studies,
        ),
    )
    watch(app, LessonStudy, lambda study: [("lesson", study.id)])
    watch(app, DesignVersion, lambda version: [("lesson", version.study_id)])
