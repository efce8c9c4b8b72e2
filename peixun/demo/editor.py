"""Brief work for the demo through the briefs services (peixun.demo.briefs): drafting
from activity, the author's edits, publishing, reading and comments, each dated in the
programme's ten weeks. An issue's published_at is set as soon as it is published (the
next issue counts "since the previous one"); every other date goes in in bulk at the end."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from peixun.accounts.models import User
from peixun.briefs import service
from peixun.briefs.models import Brief, BriefRead
from peixun.demo.clock import CHINA, Clock
from peixun.extensions import db
from peixun.spaces.models import Activity, Space
from peixun.threads import service as threads
from peixun.threads.models import Notification, Post, Thread

LATEST = timedelta(minutes=10)  # nothing is dated closer to the moment of loading
# The author's (title, body) for a drafted issue, given the draft and its period.
Finish = Callable[[Brief, datetime, datetime], tuple[str, str]]


class Editor:
    """Writes through the services and remembers when each thing happened."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.clock = Clock(random.Random(rng.random()), now)
        self.created: dict[int, datetime] = {}  # brief id → drafted
        self.published: dict[int, datetime] = {}
        self.reads: dict[tuple[int, int], datetime] = {}
        self.posts: dict[int, datetime] = {}
        self.last_comment: dict[int, datetime] = {}  # comments thread id → its last comment
        self.edited: dict[int, datetime] = {}  # draft id → last saved

    def evening(self, week: int) -> datetime:
        """An evening (Beijing time) in the last two days of a week of the programme."""
        rng = self.clock.rng  # dates draw from the clock's generator, as in the Writer
        day = self.clock.start + timedelta(weeks=week, days=-rng.randint(1, 2))
        local = (day + CHINA).replace(hour=rng.randint(19, 21), minute=rng.randrange(60), second=0)
        return local - CHINA

    def after(self, moment: datetime, mean_hours: float) -> datetime:
        hours = 0.3 + self.clock.rng.expovariate(1 / mean_hours)
        return min(self.clock.waking(moment + timedelta(hours=hours)), self.clock.now - LATEST)

    def dates(self, first: int, last: int) -> str:
        """第 first–last 周 as Beijing dates: 4月7日—4月27日."""

        def day(moment: datetime) -> str:
            local = moment + CHINA
            return f"{local.month}月{local.day}日"

        begin = self.clock.start + timedelta(weeks=first - 1)
        end = self.clock.start + timedelta(weeks=last, days=-1)
        return f"{day(begin)}—{day(end)}"

    def issue(self, author: User, space: Space, series: str, when: datetime, finish: Finish) -> Brief:
        """Draft from the activity up to `when`, let `finish(brief, start, when)` give
        the author's (title, body), publish and date it at once."""
        start = service.period_start(space, series)
        brief = service.draft_from_activity(author, space, series, until=when)
        title, body = finish(brief, start, when)
        service.edit(author, brief, series=series, title=title, body=body)
        self.created[brief.id] = when - timedelta(minutes=self.clock.rng.randint(40, 180))
        self.release(author, brief, when)
        return brief

    def release(self, author: User, brief: Brief, when: datetime) -> None:
        service.publish(author, brief)
        db.session.execute(update(Brief).where(Brief.id == brief.id).values(published_at=when))
        self.published[brief.id] = when

    def read(self, brief: Brief, readers: list[User]) -> None:
        published = self.published[brief.id]
        for user in readers:
            service.record_read(user, brief)
            self.reads[(brief.id, user.id)] = self.after(published, 40)

    def comment(self, brief: Brief, talk: list[tuple[User, str]]) -> None:
        """Comments one after another; a commenter has read the issue just before."""
        assert brief.thread is not None
        published = when = self.published[brief.id]
        for user, body in talk:
            when = self.after(when, 14)
            if user.id != brief.author_id:
                key = (brief.id, user.id)
                if key not in self.reads:
                    service.record_read(user, brief)
                read = max(published, when - timedelta(minutes=self.clock.rng.randint(5, 30)))
                self.reads[key] = min(self.reads.get(key, read), read)
            post = threads.post_reply(user, brief.thread, body)
            self.posts[post.id] = when
        self.last_comment[brief.thread.id] = when


def apply_dates(editor: Editor) -> None:
    """Write the remembered dates in bulk: the issues, their readings, their comments
    threads and comments; the notifications and activity lines the services wrote."""
    session = db.session
    rows = [
        {
            "id": i,
            "created_at": created,
            "updated_at": editor.published.get(i) or editor.edited.get(i, created),
        }
        for i, created in editor.created.items()
    ]
    session.execute(update(Brief), rows)
    if editor.reads:
        rows = [{"brief_id": b, "user_id": u, "read_at": when} for (b, u), when in editor.reads.items()]
        session.execute(update(BriefRead), rows)
    opened = session.execute(
        select(Brief.id, Brief.thread_id).where(Brief.id.in_(editor.published), Brief.thread_id.is_not(None))
    ).all()
    rows = [
        {
            "id": thread_id,
            "created_at": editor.published[brief_id],
            "last_activity_at": editor.last_comment.get(thread_id, editor.published[brief_id]),
        }
        for brief_id, thread_id in opened
    ]
    if rows:
        session.execute(update(Thread), rows)
    if editor.posts:
        session.execute(update(Post), [{"id": i, "created_at": when} for i, when in editor.posts.items()])
        post_date = select(Post.created_at).where(Post.id == Notification.post_id).scalar_subquery()
        session.execute(
            update(Notification).where(Notification.post_id.in_(editor.posts)).values(created_at=post_date)
        )
    # A member hears of an issue when it is published, and has seen it once she read it.
    issue = select(Brief.published_at).where(Brief.thread_id == Notification.thread_id).scalar_subquery()
    read = (
        select(BriefRead.read_at)
        .join(Brief, Brief.id == BriefRead.brief_id)
        .where(Brief.thread_id == Notification.thread_id, BriefRead.user_id == Notification.user_id)
        .scalar_subquery()
    )
    session.execute(
        update(Notification).where(Notification.kind == "brief").values(created_at=issue, read_at=read)
    )
    published = select(Brief.published_at).where(Brief.id == Activity.target_id).scalar_subquery()
    session.execute(update(Activity).where(Activity.verb == "brief.published").values(created_at=published))
    session.commit()
