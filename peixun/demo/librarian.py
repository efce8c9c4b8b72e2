"""Resource work for the demo through the resources services: each catalogue document
rendered and stored once, shares, recommendations and decisions, 精品, calls, 推荐
votes and comments. Each is dated in the programme's ten weeks; the dates (and those of
the activity lines and notifications the services write) go in in bulk at the end."""

from __future__ import annotations

import io
import os
import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from peixun.accounts.models import User
from peixun.demo import library
from peixun.demo.clock import Clock
from peixun.demo.library import DemoResource
from peixun.extensions import db
from peixun.resources import service
from peixun.resources.models import Blob, Call, LibraryEntry, Resource, ResourceVote
from peixun.spaces.models import Activity, Space
from peixun.threads import service as threads
from peixun.threads.models import Notification, Post, Thread

# Files stored at once: reading a file's text runs a worker process (~0.3 s of its CPU).
STORERS = min(4, (os.cpu_count() or 1) + 1)
LATEST = timedelta(minutes=10)  # nothing is dated closer to the moment of loading
_CJK = re.compile(r"[\u4e00-\u9fff]")


def tag_text(tags: tuple[str, ...]) -> str:
    """The tags as the share form takes them. Whitespace separates tags there, so a
    catalogue tag with a space keeps its words together: "信息技术2.0", "Go-for-it"."""
    return " ".join(re.sub(r"\s+", "" if _CJK.search(tag) else "-", tag.strip()) for tag in tags)


class Librarian:
    """Acts through the services and remembers when each thing happened."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        # Dates depend on the hour of loading: a generator of their own keeps them from
        # changing the content (as the discussions' Writer does).
        self.clock = Clock(random.Random(rng.random()), now)
        self.contents: dict[str, bytes] = {}  # catalogue title → its rendered document
        self.uploads: dict[str, tuple[Blob, str]] = {}  # catalogue title → stored file
        self.items: dict[int, DemoResource] = {}  # resource id → its catalogue entry
        self.created: dict[int, datetime] = {}  # resource id → when shared
        self.entries: dict[int, dict[str, object]] = {}  # entry id → its dates
        self.placed: dict[tuple[int, int], datetime] = {}  # (resource, space) → in that library since
        self.calls: dict[int, datetime] = {}
        self.votes: dict[tuple[int, int], datetime] = {}
        self.vote_count: Counter[int] = Counter()
        self.posts: dict[int, datetime] = {}
        self.last_comment: dict[int, datetime] = {}  # comments thread id → its last comment
        # Activity lines and notifications the services wrote, by id → the action's date.
        self.stamped: dict[type, dict[int, datetime]] = {Activity: {}, Notification: {}}
        self.seen = {model: self._max_id(model) for model in self.stamped}

    # --- dates ------------------------------------------------------------------------

    def later(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        """Some hours after `moment`, in waking hours, never later than just before now."""
        step = timedelta(hours=self.clock.rng.uniform(low_hours, high_hours))
        return min(self.clock.waking(moment + step), self.clock.now - LATEST)

    def between(self, first: datetime, last: datetime | None = None) -> datetime:
        last = last or self.clock.now - LATEST
        return min(self.clock.waking(first + (last - first) * self.clock.rng.random()), last)

    @staticmethod
    def _max_id(model: type) -> int:
        return db.session.execute(select(func.max(model.id))).scalar_one() or 0

    def _stamp(self, when: datetime) -> None:
        """Date the activity lines and notifications written since the last action."""
        for model, dates in self.stamped.items():
            ids = db.session.execute(select(model.id).where(model.id > self.seen[model])).scalars().all()
            dates.update((i, when) for i in ids)
            self.seen[model] = max(ids, default=self.seen[model])

    def _dated(
        self, entry: LibraryEntry, created: datetime, decided: datetime | None = None, *, held: bool = True
    ) -> None:
        """Remember an entry's dates, and when its resource entered that library if it did."""
        placed = decided or created
        self.entries[entry.id] = {"created_at": created, "placed_at": placed, "decided_at": decided}
        if held:
            self.placed[(entry.resource_id, entry.space_id)] = placed

    @staticmethod
    def _fresh(*objects: object) -> None:
        """The services change entries by UPDATE and add them by id: reload on next use."""
        for thing in objects:
            db.session.expire(thing)

    # --- actions ----------------------------------------------------------------------

    def store_all(self, items: list[DemoResource]) -> None:
        """Render each distinct catalogue document once and store it through the service.

        Reading a file's text starts a worker process, most of the time of a store; so
        the files are stored from a few threads, each in its own app context (and so its
        own session), while this one renders the next document. The shares then find
        every file known, and store_upload skips the reading."""
        app = current_app._get_current_object()
        db.session.commit()  # hold no transaction while the threads write

        def store(content: bytes, name: str) -> None:
            with app.app_context():
                service.store_upload(io.BytesIO(content), name)

        with ThreadPoolExecutor(STORERS) as pool:
            stored = []
            for item in items:
                if item.format == "link" or item.title in self.contents:
                    continue
                content = library.render(item)
                assert content is not None
                self.contents[item.title] = content
                stored.append(pool.submit(store, content, library.filename(item)))
            for future in stored:
                future.result()

    def upload(self, item: DemoResource) -> tuple[Blob, str] | None:
        """The stored file of a catalogue document (store_all stored it, read once)."""
        if item.format == "link":
            return None
        if item.title not in self.uploads:
            content = self.contents.get(item.title) or library.render(item)
            assert content is not None
            self.uploads[item.title] = service.store_upload(io.BytesIO(content), library.filename(item))
        return self.uploads[item.title]

    def share(self, author: User, space: Space, item: DemoResource, when: datetime) -> Resource:
        data = service.ResourceData(
            title=item.title,
            type=item.type,
            description=item.description,
            subject=item.subject,
            stage=item.stage,
            tags=tag_text(item.tags),
            link_url=item.url,
        )
        resource = service.share(author, space, data, upload=self.upload(item))
        self.items[resource.id] = item
        self.created[resource.id] = when
        self._dated(resource.entries[0], when)
        self._stamp(when)
        return resource

    def recommend(
        self,
        actor: User,
        resource: Resource,
        target: Space,
        note: str,
        when: datetime,
        call: Call | None = None,
    ) -> LibraryEntry:
        entry = service.recommend(actor, resource, target, note, call=call)
        selected = entry.decided_at is not None  # one who may select it there did at once
        self._dated(entry, when, when if selected else None, held=selected)
        self._stamp(when)
        self._fresh(resource)
        return entry

    def answer(self, call: Call, resource: Resource, note: str, when: datetime) -> LibraryEntry:
        entry = service.answer_call(resource.author, call, resource, note)
        self._dated(entry, when, held=False)
        self._stamp(when)
        self._fresh(resource)
        return entry

    def decide(
        self, actor: User, entry: LibraryEntry, select_it: bool, when: datetime, reason: str = ""
    ) -> None:
        created = self.entries[entry.id]["created_at"]
        assert isinstance(created, datetime)
        service.decide(actor, entry, select_it, reason)
        self._dated(entry, created, when, held=select_it)
        self._stamp(when)
        self._fresh(entry, entry.resource)

    def excellent(self, actor: User, resource: Resource, space: Space, when: datetime) -> None:
        entry = resource.entry_in(space.id)
        assert entry is not None
        service.mark_excellent(actor, entry, True)
        self._stamp(when)

    def open_call(
        self, actor: User, space: Space, title: str, description: str, deadline: date, when: datetime
    ) -> Call:
        call = service.open_call(actor, space, title=title, description=description, deadline=deadline)
        self.calls[call.id] = when
        self._stamp(when)
        return call

    def vote(self, user: User, resource: Resource, when: datetime) -> None:
        if service.vote(user, resource):
            self.votes[(resource.id, user.id)] = when
            self.vote_count[resource.id] += 1

    def comment(self, user: User, resource: Resource, body: str, when: datetime) -> None:
        assert resource.thread is not None
        post = threads.post_reply(user, resource.thread, body)
        self.posts[post.id] = when
        self.last_comment[resource.thread.id] = when
        self._stamp(when)

    # --- writing the dates ------------------------------------------------------------

    def apply_dates(self) -> None:
        """Write every planned date in bulk; files are as old as their first share."""
        session = db.session
        session.execute(update(Resource), [{"id": i, "created_at": when} for i, when in self.created.items()])
        session.execute(update(LibraryEntry), [{"id": i, **dates} for i, dates in self.entries.items()])
        if self.calls:
            session.execute(update(Call), [{"id": i, "created_at": when} for i, when in self.calls.items()])
        if self.votes:
            rows = [
                {"resource_id": r, "user_id": u, "created_at": when} for (r, u), when in self.votes.items()
            ]
            session.execute(update(ResourceVote), rows)
        if self.posts:
            session.execute(update(Post), [{"id": i, "created_at": when} for i, when in self.posts.items()])
        opened = session.execute(
            select(Resource.id, Resource.thread_id).where(Resource.id.in_(self.created))
        ).all()
        session.execute(
            update(Thread),
            [
                {
                    "id": thread_id,
                    "created_at": self.created[resource_id],
                    "last_activity_at": self.last_comment.get(thread_id, self.created[resource_id]),
                }
                for resource_id, thread_id in opened
                if thread_id is not None
            ],
        )
        for model, dates in self.stamped.items():
            if dates:
                session.execute(update(model), [{"id": i, "created_at": when} for i, when in dates.items()])
        first_share = (
            select(func.min(Resource.created_at)).where(Resource.blob_sha256 == Blob.sha256).scalar_subquery()
        )
        session.execute(
            update(Blob)
            .where(Blob.sha256.in_([blob.sha256 for blob, _ in self.uploads.values()]))
            .values(created_at=first_share)
        )
        session.commit()
