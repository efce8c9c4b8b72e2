"""How threads and replies become search documents, and how hits are shown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, url_for
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from peixun.core.indexing import Document, Found, Source, register_source, watch
from peixun.core.markdown import plain_text
from peixun.core.policy import can
from peixun.extensions import db
from peixun.spaces.models import PERSONAL
from peixun.spaces.views import space_url
from peixun.threads.models import COMMENTS, JOURNAL, Post, Thread

BATCH = 500


def _readers(thread: Thread) -> dict[str, Any]:
    """Who may read it, as index terms. A private journal: its author (and admins) only."""
    space = thread.space
    private = thread.kind == JOURNAL and not thread.is_public
    return {
        "space_ids": () if private else (space.id,),
        "chain_ids": () if private else tuple(space.chain_ids),
        "is_open": space.kind == PERSONAL and not private,
        "level": space.kind,
        "space_id": space.id,
        "subject": space.subject or "",
        "stage": space.stage or "",
    }


def _listed(statement: Any) -> Any:
    return statement.where(Thread.kind != COMMENTS, Thread.hidden_reason.is_(None), Thread.is_held.is_(False))


def load_threads(ids: list[int]) -> list[Document]:
    threads = db.session.execute(
        _listed(select(Thread).where(Thread.id.in_(ids))).options(
            selectinload(Thread.space), selectinload(Thread.author)
        )
    ).scalars()
    openings = dict(
        db.session.execute(
            select(Post.thread_id, Post.body_html).where(Post.thread_id.in_(ids), Post.is_opening.is_(True))
        ).all()
    )
    return [
        Document(
            key=f"thread:{t.id}",
            kind="thread",
            object_id=t.id,
            title=t.title,
            body=plain_text(openings.get(t.id, "")),
            author_id=t.author_id,
            author_name=t.author.real_name,
            created_at=t.created_at,
            **_readers(t),
        )
        for t in threads
    ]


def load_posts(ids: list[int]) -> list[Document]:
    posts = db.session.execute(
        _listed(
            select(Post)
            .join(Thread, Post.thread_id == Thread.id)
            .where(
                Post.id.in_(ids),
                Post.is_opening.is_(False),
                Post.deleted_at.is_(None),
                Post.is_held.is_(False),
            )
        ).options(selectinload(Post.thread).selectinload(Thread.space), selectinload(Post.author))
    ).scalars()
    return [
        Document(
            key=f"post:{p.id}",
            kind="post",
            object_id=p.id,
            title="",  # a reply is found by its own words; the page shows its thread's title
            body=plain_text(p.body_html),
            author_id=p.author_id,
            author_name=p.author.real_name,
            created_at=p.created_at,
            **_readers(p.thread),
        )
        for p in posts
    ]


def _ids(statement: Any) -> Iterable[int]:
    return db.session.execute(statement.execution_options(yield_per=BATCH)).scalars()


def _found(thread: Thread, title: str, url: str, author: Any, created_at: Any, text: str) -> Found:
    return Found(
        kind_label=thread.kind_label if title == thread.title else "回帖",
        title=title,
        url=url,
        space_name=thread.space.name,
        space_url=space_url(thread.space),
        author_name=author.display_name,
        author_url=url_for("spaces.personal", username=author.username),
        created_at=created_at,
        text=text,
    )


def present_threads(ids: list[int], actor: Any) -> dict[int, Found]:
    found = {}
    threads = db.session.execute(
        select(Thread)
        .where(Thread.id.in_(ids))
        .options(selectinload(Thread.space), selectinload(Thread.author))
    ).scalars()
    readable = [t for t in threads if t.kind != COMMENTS and can(actor, "thread.view", t)]
    openings = dict(
        db.session.execute(
            select(Post.thread_id, Post.body_html).where(
                Post.thread_id.in_([t.id for t in readable]), Post.is_opening.is_(True)
            )
        ).all()
    )
    for t in readable:
        text = plain_text(openings.get(t.id, ""))
        found[t.id] = _found(
            t, t.title, url_for("threads.show", thread_id=t.id), t.author, t.created_at, text
        )
    return found


def present_posts(ids: list[int], actor: Any) -> dict[int, Found]:
    posts = db.session.execute(
        select(Post)
        .where(Post.id.in_(ids), Post.deleted_at.is_(None), Post.is_held.is_(False))
        .options(selectinload(Post.thread).selectinload(Thread.space), selectinload(Post.author))
    ).scalars()
    return {
        p.id: _found(
            p.thread,
            f"回复：{p.thread.title}",
            url_for("threads.permalink", post_id=p.id),
            p.author,
            p.created_at,
            plain_text(p.body_html),
        )
        for p in posts
        if p.thread.kind != COMMENTS and can(actor, "thread.view", p.thread)
    }


def _thread_changes(thread: Thread) -> list[tuple[str, int]]:
    keys = [("thread", thread.id)]
    state = inspect(thread)
    moved = any(
        state.attrs[name].history.has_changes()
        for name in ("space_id", "hidden_reason", "is_held", "is_public")
    )
    if moved and thread.id is not None and not state.pending:
        # Replies carry their thread's readers: they move with it.
        replies = db.session.execute(
            select(Post.id).where(Post.thread_id == thread.id, Post.is_opening.is_(False))
        ).scalars()
        keys += [("post", post_id) for post_id in replies]
    return keys


def _post_changes(post: Post) -> list[tuple[str, int]]:
    return [("thread", post.thread_id)] if post.is_opening else [("post", post.id)]


def connect(app: Flask) -> None:
    register_source(
        app,
        Source(
            "thread",
            "研讨",
            load_threads,
            lambda: _ids(_listed(select(Thread.id)).order_by(Thread.id)),
            present_threads,
        ),
    )
    register_source(
        app,
        Source(
            "post",
            "回帖",
            load_posts,
            lambda: _ids(select(Post.id).where(Post.is_opening.is_(False)).order_by(Post.id)),
            present_posts,
        ),
    )
    watch(app, Thread, _thread_changes)
    watch(app, Post, _post_changes)
