"""How published briefs become search documents."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peixun.briefs.models import PUBLISHED, Brief
from peixun.core.indexing import Document, Found, Source, register_source, watch
from peixun.core.markdown import plain_text
from peixun.core.policy import can
from peixun.extensions import db
from peixun.spaces.views import space_url


def _loaded(ids: list[int]) -> list[Brief]:
    return list(
        db.session.execute(
            select(Brief)
            .where(Brief.id.in_(ids))
            .options(selectinload(Brief.space), selectinload(Brief.author))
        ).scalars()
    )


def load_briefs(ids: list[int]) -> list[Document]:
    """Only published issues: drafts are their authors' and withdrawn ones are taken back."""
    return [
        Document(
            key=f"brief:{b.id}",
            kind="brief",
            object_id=b.id,
            title=f"{b.label} {b.title}",
            body=plain_text(b.body_html),
            author_id=b.author_id,
            author_name=b.author.real_name,
            created_at=b.published_at or b.created_at,
            space_ids=(b.space_id,),
            chain_ids=tuple(b.space.chain_ids),
            level=b.space.kind,
            space_id=b.space_id,
            subject=b.space.subject or "",
            stage=b.space.stage or "",
        )
        for b in _loaded(ids)
        if b.state == PUBLISHED
    ]


def present_briefs(ids: list[int], actor: Any) -> dict[int, Found]:
    return {
        b.id: Found(
            kind_label=b.label,
            title=b.title,
            url=url_for("briefs.show", brief_id=b.id),
            space_name=b.space.name,
            space_url=space_url(b.space),
            author_name=b.author.display_name,
            author_url=url_for("spaces.personal", username=b.author.username),
            created_at=b.published_at or b.created_at,
            text=plain_text(b.body_html),
        )
        for b in _loaded(ids)
        if b.state == PUBLISHED and can(actor, "brief.view", b)
    }


def connect(app: Flask) -> None:
    register_source(
        app,
        Source(
            "brief",
            "简报",
            load_briefs,
            lambda: db.session.execute(
                select(Brief.id).where(Brief.state == PUBLISHED).order_by(Brief.id)
            ).scalars(),
            present_briefs,
        ),
    )
    watch(app, Brief, lambda brief: [("brief", brief.id)])
