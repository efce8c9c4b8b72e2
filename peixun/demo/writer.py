"""Posting for the demo: a Writer that starts threads and replies through the threads
services (quoting and mentioning now and then), plans who replies, likes, logs
moderation, and dates every post in the programme's ten weeks."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from peixun.accounts.models import User
from peixun.demo.clock import Clock
from peixun.demo.texts import QUESTION, Discussion, common
from peixun.extensions import db
from peixun.spaces.models import Activity, Space
from peixun.threads import service as threads
from peixun.threads.models import Like, ModerationAction, Notification, Post, Thread

MAX_FILLERS = 5  # short general replies after the ones written for the topic
_MENTION = re.compile(r"^@\w+\s*")
_SENTENCE_END = re.compile(r"[。！？]")


def first_sentence(body: str) -> str:
    """The first plain sentence of a Markdown body, short enough to quote."""
    for line in body.splitlines():
        line = _MENTION.sub("", line.strip()).replace("**", "")
        if not line or line[0] in "#|>-*" or re.match(r"\d+\.", line):
            continue
        end = _SENTENCE_END.search(line)
        sentence = line[: end.end()] if end else line
        return sentence if len(sentence) <= 60 else sentence[:58] + "……"
    return ""


class Writer:
    """Posts through the services, remembers each post's date, logs moderation."""

    def __init__(self, rng: random.Random, now: datetime, schools: dict[int, str]) -> None:
        self.rng = rng
        # Dates depend on the hour of loading; a generator of their own keeps them from
        # changing the content, which must be the same on every run.
        self.clock = Clock(random.Random(rng.random()), now)
        self.schools = schools
        self.dates: dict[int, datetime] = {}  # post id → when it was written
        self.threads: list[dict[str, object]] = []  # id, created_at, last_activity_at
        self.openings: dict[int, int] = {}  # thread id → its opening post's id
        self.moderated: dict[tuple[int, str], datetime] = {}  # (thread id, action) → when

    def fill(self, text: str, fmt: dict[str, object], writer: User) -> str:
        return text.strip().format_map({**fmt, "school": self.schools.get(writer.id, "")})

    def decorate(self, text: str, writer: User, earlier: list[tuple[User, str]]) -> str:
        """Sometimes quote an earlier post (Markdown `> `) or mention someone by @username."""
        if "@" in text:
            return text
        others = [(user, body) for user, body in earlier[-4:] if user.id != writer.id]
        roll = self.rng.random()
        if others and roll < 0.2:
            who, body = self.rng.choice(others)
            quoted = first_sentence(body)
            if quoted:
                return f"> {quoted}\n\n@{who.username} {text}"
        if roll < 0.32 and earlier and earlier[0][0].id != writer.id:
            return f"@{earlier[0][0].username} {text}"
        return text

    def discuss(
        self,
        space: Space,
        author: User,
        item: Discussion,
        replies: list[tuple[User, str]],
        fmt: dict[str, object],
        when: datetime,
        *,
        answer_at: int | None = None,
        is_public: bool = True,
        kind: str = "",
    ) -> tuple[Thread, list[Post]]:
        """Start the thread, post the replies (the answer at its index), date them all."""
        fmt = {**fmt, "author": author.username, "week": self.clock.week(when)}
        body = self.fill(item.body, fmt, author)
        thread = threads.start_thread(
            author,
            space,
            kind=kind or item.kind,
            title=self.fill(item.title, fmt, author),
            body=body,
            is_public=is_public,
        )
        written: list[tuple[User, str]] = [(author, body)]
        posts: list[Post] = []
        for index, (user, raw) in enumerate(replies):
            text = self.fill(raw, fmt, user)
            if index == answer_at:
                text = f"@{author.username} {text}" if self.rng.random() < 0.5 else text
            else:
                text = self.decorate(text, user, written)
            posts.append(threads.post_reply(user, thread, text))
            written.append((user, text))
        times = self.clock.series(when, len(posts))
        opening = db.session.execute(
            select(Post.id).where(Post.thread_id == thread.id, Post.is_opening.is_(True))
        ).scalar_one()
        self.openings[thread.id] = opening
        self.dates.update((post.id, moment) for post, moment in zip(posts, times[1:], strict=True))
        self.dates[opening] = times[0]
        self.threads.append({"id": thread.id, "created_at": times[0], "last_activity_at": times[-1]})
        return thread, posts

    def opening_id(self, thread: Thread) -> int:
        return self.openings[thread.id]

    def thread_start(self, thread: Thread) -> datetime:
        return self.dates[self.openings[thread.id]]

    def likes(self, post_id: int, author_id: int, people: list[User], most: int) -> None:
        candidates = [user for user in dict.fromkeys(people) if user.id != author_id]
        count = min(len(candidates), self.rng.randint(0, most))
        for user in self.rng.sample(candidates, count):
            threads.like(user, db.session.get(Post, post_id))

    def moderate(
        self, thread: Thread, actor: User, action: str, after: datetime, post: Post | None = None
    ) -> None:
        """Pin, feature or accept `post` through the moderation services, which log it;
        the log line is dated a few hours after `after`."""
        if action == "accept" and post is not None:
            threads.accept_answer(actor, thread, post)
        else:
            threads.moderate(actor, thread, action)
        moment = min(after + timedelta(hours=self.rng.randint(2, 30)), self.clock.now)
        self.moderated[(thread.id, action)] = moment

    def plan(
        self, item: Discussion, author: User, people: list[User], answerer: User | None, pool: tuple[str, ...]
    ) -> tuple[list[tuple[User, str]], int | None]:
        """Who replies what, and the index of the answer (None when unanswered)."""
        rng = self.rng
        recent: list[User] = [author]

        def someone() -> User:
            choice = rng.choice(people)
            while choice in recent[-2:] or choice is author:
                choice = rng.choice(people)
            recent.append(choice)
            return choice

        if item.kind == QUESTION:
            before = [(someone(), text) for text in item.replies[: item.answer_at]]
            if answerer is None:
                waiting = rng.sample(common.QUESTION_WAITING, rng.randint(0, 2))
                return before + [(someone(), text) for text in waiting], None
            after = [(someone(), text) for text in item.replies[item.answer_at :]]
            extra = rng.sample(common.ANSWERED, rng.randint(0, 3))
            return [*before, (answerer, item.answer), *after, *((someone(), t) for t in extra)], len(before)
        target = rng.choice((0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12))
        if item.by_host:  # everyone reads the host's arrangement and learning-garden topics
            target = max(target, 4)
        replies = [(someone(), text) for text in item.replies[:target]]
        if item.follow_up and replies:
            replies.insert(1, (author, item.follow_up))
        fillers = rng.sample(pool, max(0, min(MAX_FILLERS, target - len(replies))))
        return replies + [(someone(), text) for text in fillers], None


def apply_dates(writer: Writer) -> None:
    """Write the planned dates in bulk; likes, notifications, activity lines and the
    moderation log follow what they are about."""
    db.session.execute(update(Thread), writer.threads)
    db.session.execute(update(Post), [{"id": i, "created_at": when} for i, when in writer.dates.items()])
    post_date = select(Post.created_at).where(Post.id == Like.post_id).scalar_subquery()
    db.session.execute(update(Like).values(created_at=post_date))
    thread_date = select(Thread.created_at).where(Thread.id == Activity.target_id).scalar_subquery()
    db.session.execute(
        update(Activity).where(Activity.verb == "thread.started").values(created_at=thread_date)
    )
    logged = db.session.execute(
        select(ModerationAction.id, ModerationAction.thread_id, ModerationAction.action)
    ).all()
    dated = [(i, writer.moderated.get((t, action))) for i, t, action in logged]
    db.session.execute(update(ModerationAction), [{"id": i, "created_at": when} for i, when in dated if when])
    # A notification by a post's author (a reply, a mention) is as old as the post; any
    # other (an accepted answer, a pin, a feature) as the actor's last moderation there.
    own_post = (
        select(Post.created_at)
        .where(Post.id == Notification.post_id, Post.author_id == Notification.actor_id)
        .scalar_subquery()
    )
    moderation = (
        select(func.max(ModerationAction.created_at))
        .where(
            ModerationAction.thread_id == Notification.thread_id,
            ModerationAction.actor_id == Notification.actor_id,
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(Notification).values(created_at=func.coalesce(own_post, moderation, Notification.created_at))
    )
    db.session.commit()
