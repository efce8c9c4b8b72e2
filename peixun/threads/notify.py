"""Who hears about what: replies, mentions, accepted answers, moderation; watch and mute."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from peixun.accounts.models import User
from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.threads.models import COMMENTS, Notification, Post, Subscription, Thread

MENTION = re.compile(r"(?<![\w@/])@([a-z][a-z0-9_]{2,31})")
MAX_MENTIONS = 20


def mentioned_users(body: str) -> list[User]:
    """Existing users named as @username in a post (at most MAX_MENTIONS)."""
    names = list(dict.fromkeys(MENTION.findall(body or "")))[:MAX_MENTIONS]
    if not names:
        return []
    return list(db.session.execute(select(User).where(User.username.in_(names))).scalars())


def _subscriptions(thread: Thread) -> tuple[set[int], set[int]]:
    """(watchers, muters) of a thread; a choice on the thread overrides one on its space."""
    scope = Subscription.thread_id == thread.id
    if thread.kind != COMMENTS:  # watching a space means its discussions, not every comment
        scope = scope | (Subscription.space_id == thread.space_id)
    rows = db.session.execute(
        select(Subscription.user_id, Subscription.thread_id, Subscription.is_muted).where(scope)
    ).all()
    by_user: dict[int, bool] = {}
    for user_id, _thread_id, muted in sorted(rows, key=lambda r: r.thread_id is not None):
        by_user[user_id] = muted  # the thread's own row sorts last and wins
    watchers = {u for u, muted in by_user.items() if not muted}
    muters = {u for u, muted in by_user.items() if muted}
    return watchers, muters


def send(
    users: Iterable[int], actor: User, kind: str, thread: Thread, post: Post | None, detail: str = ""
) -> None:
    for user_id in set(users) - {actor.id}:
        db.session.add(
            Notification(
                user_id=user_id,
                actor_id=actor.id,
                kind=kind,
                thread_id=thread.id,
                post_id=post.id if post else None,
                detail=detail[:200],
            )
        )


def _readers(users: list[User], thread: Thread) -> list[int]:
    return [u.id for u in users if can(load_actor(u), "thread.view", thread)]


def on_new_post(actor: User, thread: Thread, post: Post) -> None:
    """Call after the post is flushed, before the commit, when it is visible (not held)."""
    watchers, muters = _subscriptions(thread)
    mentioned = set(_readers(mentioned_users(post.body), thread)) - muters
    send(mentioned, actor, "mention", thread, post)
    if post.is_opening and thread.kind != COMMENTS:
        send(watchers - mentioned, actor, "thread", thread, post)
    else:
        send(({thread.author_id} | watchers) - muters - mentioned, actor, "reply", thread, post)


def on_accepted(actor: User, thread: Thread, post: Post) -> None:
    send([post.author_id], actor, "accepted", thread, post)


def on_moderated(actor: User, thread: Thread, post: Post | None, label: str) -> None:
    send([post.author_id if post else thread.author_id], actor, "moderated", thread, post, label)


_TAG = re.compile(r"(<[^>]+>)")
_NO_LINKS_INSIDE = ("a", "code", "pre")


def link_mentions(html: str, users: list[User]) -> str:
    """Turn @username in the text of sanitised HTML into a link to that person's space.

    Only known usernames (a fixed character set) are linked, and never inside a link
    or code, so the result stays as safe as the sanitised input.
    """
    known = {user.username for user in users}
    if not known:
        return html
    depth = 0
    parts = _TAG.split(html)
    for i, part in enumerate(parts):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _NO_LINKS_INSIDE:
                depth += -1 if part.startswith("</") else 1
            continue
        if depth == 0:
            parts[i] = MENTION.sub(
                lambda m: (
                    f'<a href="/u/{m.group(1)}" class="mention">@{m.group(1)}</a>'
                    if m.group(1) in known
                    else m.group(0)
                ),
                part,
            )
    return "".join(parts)
