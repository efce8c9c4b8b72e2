"""Helpers of bench/load.py and bench/crash.py: the 100,000-teacher community of bench/generate.py
with discussions, real files in the upload folder and a search index, in a fresh database."""

from __future__ import annotations

import hashlib
import html
import json
import random
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from bench import generate
from bench._resources_data import Shelf, create_database, drop_database, insert_plain, variant
from bench._search_corpus import Writer
from bench.generate import PASSWORD, insert_rows, tables
from bench.pages import analyse
from bench.threads import OPENINGS, REPLY_BODIES, Discussion
from peixun import create_app
from peixun.config import Config
from peixun.core.indexing import OutboxRow
from peixun.core.policy import HOST
from peixun.core.storage import path_of
from peixun.demo.library import all_resources, render
from peixun.extensions import db
from peixun.resources.models import Blob, LibraryEntry, Resource, ResourceTag, ResourceVote
from peixun.search import service
from peixun.spaces.models import WORKSHOP
from peixun.threads.models import QUESTION, REPLIES_PER_PAGE, TOPIC, Like, Post, Thread

__all__ = ["create_database", "drop_database"]  # the databases are made as bench/resources.py makes them

SEED = 2026
WORKSHOPS = 20  # the largest workshops get discussions and libraries (ws-1 … ws-20)
THREADS = 100  # per workshop
MAX_REPLIES = 20  # a thread has 0 to this many replies (a page holds 20)
RESOURCES = 100  # per workshop, every one a real file
MARKDOWN = 0.2  # share of posts that are the Markdown replies of bench/threads.py; the rest seed prose


@dataclass
class Teacher:
    """A virtual user: a plain member of one content workshop, and what she reads there."""

    username: str
    workshop: str  # slug
    threads: list[tuple[int, int]]  # (thread id, pages)
    resources: list[tuple[int, int]]  # (resource id, file size)


@dataclass
class Site:
    url: str
    instance: str
    backend: str
    teachers: list[Teacher]
    password: str = PASSWORD
    rows: dict[str, int] = field(default_factory=dict)
    indexed: int = 0
    built_s: float = 0.0
    indexed_s: float = 0.0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Site:
        data = json.loads(path.read_text())
        data["teachers"] = [Teacher(**t) for t in data["teachers"]]
        return cls(**data)


def make_app(url: str, instance: Path, backend: str) -> Any:
    """The app as the server runs it (same database, uploads and index), without warming."""
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    config.UPLOAD_PATH = str(instance / "uploads")
    config.SEARCH_PATH = str(instance / "search")
    config.SEARCH_BACKEND = backend
    config.SEARCH_WARM = False
    return create_app(config)


class Content:
    """Discussions and file libraries in the largest workshops, as the services write them."""

    def __init__(self, c: generate.Community, rng: random.Random) -> None:
        self.c, self.rng = c, rng
        self.writer = Writer(rng)
        self.d = Discussion(c, {}, [], rng)
        self.shelf = Shelf(c, [], rng)
        self.files = [item for item in all_resources() if item.format != "link"]
        self.bytes = {item.title: render(item) for item in self.files}
        self.blobs: dict[str, dict[str, Any]] = {}  # real sha256 → Blob row
        self.data: dict[str, bytes] = {}  # real sha256 → the file

    def body(self) -> str:
        if self.rng.random() < MARKDOWN:
            return self.rng.choice(REPLY_BODIES)
        text = self.writer.paragraph()
        self.d.html[text] = f"<p>{html.escape(text)}</p>"  # plain prose renders to one paragraph
        return text

    def workshop(self, space: dict, members: list[int]) -> None:
        self.d.workshop, self.d.members, self.shelf.members = space, members, members
        for n in range(THREADS):
            kind = QUESTION if n % 5 == 4 else TOPIC
            opening = self.rng.choice(OPENINGS) if n % 3 == 0 else self.body()
            thread = self.d.thread(self.rng.choice(members), kind, self.writer.title(), opening)
            for _ in range(self.rng.randint(0, MAX_REPLIES)):
                self.d.post(thread, self.rng.choice(members), self.body())
        first, first_blob = len(self.shelf.rows[Resource]), len(self.shelf.rows[Blob])
        for n in range(1, RESOURCES + 1):
            self.shelf.share(space, self.rng.choice(self.files), n)
        fake = {b["sha256"]: b for b in self.shelf.rows[Blob][first_blob:]}
        for resource in self.shelf.rows[Resource][first:]:
            self._real_file(resource, fake[resource["blob_sha256"]])

    def _real_file(self, resource: dict, blob: dict) -> None:
        """Give the resource a file of its own: its catalogue document made distinct
        (Shelf's Blob rows carry made-up hashes and sizes, and no file)."""
        title, code = resource["filename"].rsplit(".", 1)
        data = variant(self.bytes[title], code, resource["id"])
        sha256 = hashlib.sha256(data).hexdigest()
        self.blobs[sha256] = blob | {"sha256": sha256, "size": len(data)}
        self.data[sha256] = data
        resource["blob_sha256"] = sha256

    def rows(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """(model, rows) after the community's tables; resource comment threads follow the discussions."""
        offset = len(self.d.threads)
        comments = [t | {"id": t["id"] + offset} for t in self.shelf.rows[Thread]]
        resources = [r | {"thread_id": r["thread_id"] + offset} for r in self.shelf.rows[Resource]]
        return [
            (Thread, self.d.threads + comments),
            (Post, self.d.posts),
            (Like, self.d.likes),
            (Resource, resources),
            (LibraryEntry, self.shelf.rows[LibraryEntry]),
        ]


def plan(teachers: int, users: int, password_hash: str) -> tuple[generate.Community, Content, list[dict]]:
    c, _ = generate.plan(teachers, password_hash, SEED)
    rng = random.Random(SEED + 1)
    content = Content(c, rng)
    workshops = [s for s in c.spaces if s["kind"] == WORKSHOP][:WORKSHOPS]
    members: dict[int, list[int]] = defaultdict(list)
    for m in c.memberships:
        members[m["space_id"]].append(m["user_id"])
    hosts = {(r["space_id"], r["user_id"]) for r in c.roles if r["role"] == HOST}
    for space in workshops:
        content.workshop(space, members[space["id"]])
    # Virtual user i: a plain member of workshop i mod WORKSHOPS.
    chosen: list[dict] = []
    for i in range(users):
        space = workshops[i % len(workshops)]
        plain = [u for u in members[space["id"]] if (space["id"], u) not in hosts]
        chosen.append({"user": plain[i // len(workshops)], "space": space})
    return c, content, chosen


def build(url: str, instance: Path, backend: str, teachers: int, users: int) -> Site:
    """Migrate, insert everything, write the files, analyse, and build the search index."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    app = make_app(url, instance, backend)
    with app.app_context():
        upgrade()
        password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])
        c, content, chosen = plan(teachers, users, password_hash)
        insert_plain(Blob, list(content.blobs.values()))
        rows = insert_rows([*tables(c), *content.rows()])
        insert_plain(ResourceTag, content.shelf.rows[ResourceTag])
        insert_plain(ResourceVote, content.shelf.rows[ResourceVote])
        db.session.commit()
        for sha256, data in content.data.items():
            path = path_of(sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        rows["blobs"] = len(content.blobs)
        analyse()
        built = time.perf_counter() - started
        indexed = service.rebuild()
        site = Site(url, str(instance), backend, _teachers(c, content, chosen), rows=rows, indexed=indexed)
        site.built_s, site.indexed_s = built, time.perf_counter() - started - built
        assert service.pending() == 0
        db.engine.dispose()
    return site


def _teachers(c: generate.Community, content: Content, chosen: list[dict]) -> list[Teacher]:
    replies: dict[int, int] = defaultdict(int)
    for post in content.d.posts:
        replies[post["thread_id"]] += not post["is_opening"]
    threads: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for t in content.d.threads:
        threads[t["space_id"]].append((t["id"], 1 + max(0, replies[t["id"]] - 1) // REPLIES_PER_PAGE))
    files: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r in content.shelf.rows[Resource]:  # their ids are final; only comment threads move
        files[r["space_id"]].append((r["id"], content.blobs[r["blob_sha256"]]["size"]))
    found = []
    for pick in chosen:
        space = pick["space"]["id"]
        found.append(
            Teacher(
                c.users[pick["user"] - 1]["username"], pick["space"]["slug"], threads[space], files[space]
            )
        )
    return found


def counts(app: Any) -> dict[str, int]:
    """Rows that writes add, and the outbox."""
    with app.app_context():
        return {
            model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Post, Resource, Blob, OutboxRow)
        }
