"""How resources become search documents (title, description, tags, the file's text)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from peixun.core.indexing import Document, Found, Source, register_source, watch
from peixun.core.markdown import plain_text
from peixun.core.policy import can
from peixun.extensions import db
from peixun.resources.models import SELECTED, Blob, LibraryEntry, Resource
from peixun.spaces.models import PERSONAL
from peixun.spaces.views import space_url

BATCH = 500


def _loaded(ids: list[int]) -> list[Resource]:
    return list(
        db.session.execute(
            select(Resource)
            .where(Resource.id.in_(ids))
            .options(
                selectinload(Resource.space),
                selectinload(Resource.author),
                selectinload(Resource.tags),
                selectinload(Resource.blob).options(undefer(Blob.text)),
                selectinload(Resource.entries).selectinload(LibraryEntry.space),
            )
        ).scalars()
    )


def _text(resource: Resource) -> str:
    parts = [plain_text(resource.description_html), " ".join(resource.tag_names), resource.type]
    if resource.blob is not None:
        parts.append(resource.blob.text)
    return "\n".join(part for part in parts if part)


def load_resources(ids: list[int]) -> list[Document]:
    documents = []
    for resource in _loaded(ids):
        libraries = [entry.space for entry in resource.entries if entry.state == SELECTED]
        if resource.deleted_at is not None or resource.is_held or not libraries:
            continue
        documents.append(
            Document(
                key=f"resource:{resource.id}",
                kind="resource",
                object_id=resource.id,
                title=resource.title,
                body=_text(resource),
                author_id=resource.author_id,
                author_name=resource.author.real_name,
                created_at=resource.created_at,
                # Read wherever a library holding it is read (policy: _reads_resource).
                space_ids=tuple(space.id for space in libraries),
                chain_ids=tuple(sorted({i for space in libraries for i in space.chain_ids})),
                is_open=any(space.kind == PERSONAL for space in libraries),
                level=resource.space.kind,
                space_id=resource.space_id,
                subject=resource.subject,
                stage=resource.stage,
                resource_type=resource.type,
            )
        )
    return documents


def present_resources(ids: list[int], actor: Any) -> dict[int, Found]:
    found = {}
    for resource in _loaded(ids):
        if not can(actor, "resource.view", resource):
            continue
        found[resource.id] = Found(
            kind_label=f"资源 · {resource.type}",
            title=resource.title,
            url=url_for("resources.show", resource_id=resource.id),
            space_name=resource.space.name,
            space_url=space_url(resource.space),
            author_name=resource.author.display_name,
            author_url=url_for("spaces.personal", username=resource.author.username),
            created_at=resource.created_at,
            text=_text(resource),
        )
    return found


def connect(app: Flask) -> None:
    register_source(
        app,
        Source(
            "resource",
            "资源",
            load_resources,
            lambda: db.session.execute(
                select(Resource.id).order_by(Resource.id).execution_options(yield_per=BATCH)
            ).scalars(),
            present_resources,
        ),
    )
    watch(app, Resource, lambda resource: [("resource", resource.id)])
    watch(app, LibraryEntry, lambda entry: [("resource", entry.resource_id)])
