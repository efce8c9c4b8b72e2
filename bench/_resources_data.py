"""Helpers of bench/resources.py: a workshop library of 10,000 resources as resources.service
writes them (and a small one of 10 for the query-count comparison), the upload files, the
extraction probe and the benchmark's databases."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.generate import BATCH, Community, person_name
from bench.pages import OUT, ROOT
from peixun import create_app
from peixun.config import Config, normalise_database_url
from peixun.core.markdown import render
from peixun.core.policy import HOST
from peixun.demo.files import make_docx_of_size, make_pdf_of_size
from peixun.demo.library import DemoResource, all_resources
from peixun.extensions import db
from peixun.resources.models import SELECTED, Blob, LibraryEntry, Resource, ResourceTag, ResourceVote
from peixun.spaces.models import REGION, WORKSHOP
from peixun.threads.models import COMMENTS, Thread

SEED = 2026
MEMBERS = 200  # teachers of the library workshop, two of them hosts
SIZES = {"docx": (60_000, 3_000_000), "pptx": (500_000, 20_000_000), "pdf": (80_000, 8_000_000)}
SIZES["xlsx"] = (15_000, 400_000)
MB = 1_000_000  # figures are in MB of 10^6 bytes: the files are 20,000,000 bytes (±20 %)
SERVER = "postgresql://postgres@127.0.0.1:5432"
MAX_CHARS = 200_000  # extract()'s default cap
FILENAME = "研修资源汇编"
# Runs extract() as the app does and reports the worker's peak RSS (its only child).
PROBE = """
import json, resource, sys, time
from pathlib import Path
from peixun.resources.extract import extract
from peixun.resources.files import KINDS
path, code, chars, timeout, memory = sys.argv[1:]
begin = time.perf_counter()
result = extract(Path(path), KINDS[code], max_chars=int(chars), timeout=float(timeout), memory_mb=int(memory))
print(json.dumps({"seconds": time.perf_counter() - begin, "status": result.status, "error": result.error,
                  "chars": len(result.text), "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass
class Library:
    """What the timer needs to know about the generated workshops."""

    teacher: str
    host: str
    password: str
    big: str  # slug of the library with the many resources
    small: str  # slug of the library with SMALL resources
    uploads: str  # slug of the workshop the upload benchmark shares into
    tag: str  # the most used tag of the big library
    resources: int
    rows: dict[str, int] = field(default_factory=dict)


class Shelf:
    """Resources with their origin entry, tags, file, comments thread, votes and the
    "resource.shared" activity line: what resources.service.share and vote write."""

    def __init__(self, c: Community, members: list[int], rng: random.Random) -> None:
        self.c, self.members, self.rng = c, members, rng
        self.rows: dict[Any, list[dict[str, Any]]] = {
            model: [] for model in (Blob, Thread, Resource, LibraryEntry, ResourceTag, ResourceVote)
        }
        self.html: dict[str, str] = {}
        self.texts: dict[str, str] = {}

    def share(self, space: dict, item: DemoResource, number: int, **override: Any) -> None:
        rng, at = self.rng, self.c.now()
        author = rng.choice(self.members)
        title = f"{item.title}（{number}）"[:120]
        resource_id = len(self.rows[Resource]) + 1
        thread_id = len(self.rows[Thread]) + 1
        if item.description not in self.html:
            self.html[item.description] = render(item.description)
        sha256 = None
        if item.format != "link":
            sha256 = hashlib.sha256(f"{SEED}-{resource_id}".encode()).hexdigest()
            if item.title not in self.texts:  # the extracted text of its catalogue document
                self.texts[item.title] = "\n".join(h + "\n" + "\n".join(p) for h, p in item.sections)
            self.rows[Blob].append(
                {
                    "sha256": sha256,
                    "size": rng.randint(*SIZES[item.format]),
                    "kind": item.format,
                    "text_status": "ok",
                    "text": self.texts[item.title],
                    "text_error": "",
                    "has_thumbnail": False,
                    "created_at": at,
                }
            )
        self.rows[Thread].append(
            {
                "id": thread_id,
                "space_id": space["id"],
                "author_id": author,
                "kind": COMMENTS,
                "title": title,
                "is_public": True,
                "is_featured": False,
                "is_pinned": False,
                "is_locked": False,
                "hidden_reason": None,
                "is_held": False,
                "accepted_post_id": None,
                "last_activity_at": at,
                "created_at": at,
            }
        )
        votes = self._voters(author)
        self.rows[Resource].append(
            {
                "id": resource_id,
                "space_id": space["id"],
                "author_id": author,
                "title": title,
                "description": item.description,
                "description_html": self.html[item.description],
                "subject": override.get("subject", item.subject),
                "stage": override.get("stage", item.stage),
                "type": item.type,
                "link_url": item.url or None,
                "blob_sha256": sha256,
                "filename": f"{item.title}.{item.format}" if sha256 else None,
                # Skewed like real downloads: most a few, some hundreds.
                "download_count": min(2000, int(rng.paretovariate(1.1) * 3) - 3),
                "vote_count": len(votes),
                "is_held": False,
                "deleted_at": None,
                "updated_at": None,
                "form_key": secrets.token_urlsafe(32),
                "thread_id": thread_id,
                "created_at": at,
            }
        )
        self.rows[LibraryEntry].append(
            {
                "id": len(self.rows[LibraryEntry]) + 1,
                "resource_id": resource_id,
                "space_id": space["id"],
                "state": SELECTED,
                "from_space_id": None,
                "recommended_by_id": author,
                "note": "",
                "call_id": None,
                "decided_by_id": None,
                "decided_at": None,
                "reason": "",
                "placed_at": at,
                "is_excellent": rng.random() < 0.02,
                "created_at": at,
            }
        )
        tags = list(dict.fromkeys([*override.get("tags", ()), *item.tags]))[:8]
        self.rows[ResourceTag] += [{"resource_id": resource_id, "name": name} for name in tags]
        self.rows[ResourceVote] += [
            {"resource_id": resource_id, "user_id": user, "created_at": at + timedelta(hours=1)}
            for user in votes
        ]
        self.c.record(space, author, "resource.shared", title, resource_id)

    def _voters(self, author: int) -> list[int]:
        """推荐 votes: two thirds of resources have none, a few have dozens."""
        if self.rng.random() < 0.66:
            return []
        wanted = min(40, int(self.rng.paretovariate(1.3)))
        return self.rng.sample([m for m in self.members if m != author], wanted)


def plan(password_hash: str, resources: int, small: int) -> tuple[Community, Shelf, Library]:
    rng = random.Random(SEED)
    c = Community()
    c.add_user("admin", "平台管理员", password_hash, is_admin=True)
    province = c.add_space(REGION, "贵州省", "guizhou", None, region_level="province")
    city = c.add_space(REGION, "黔西南州", "city-1", province, region_level="city")
    county = c.add_space(REGION, "兴义市", "county-1-1", city, region_level="county")
    workshops = [
        c.add_space(WORKSHOP, f"兴义市初中语文{name}", slug, county, subject="语文", stage="初中")
        for name, slug in (
            ("名师工作坊", "ws-library"),
            ("青年教师工作坊", "ws-small"),
            ("资源上传", "ws-upload"),
        )
    ]
    members = []
    for n in range(1, MEMBERS + 1):
        user = c.add_user(f"teacher{n:06d}", person_name(rng), password_hash, subject="语文", stage="初中")
        members.append(user)
        for workshop in workshops:
            if n <= 2:
                c.appoint(workshop, user, HOST)
            else:
                c.add_member(workshop, user)
    catalogue = all_resources()
    top = max(
        sorted({t for r in catalogue for t in r.tags}), key=lambda t: sum(t in r.tags for r in catalogue)
    )
    shelf = Shelf(c, members, rng)
    # Small library first, so the big one holds the newest resources of the run.
    for space, count in ((workshops[1], small), (workshops[0], resources)):
        for number in range(1, count + 1):
            # The first resource of each library matches every timed filter, so both
            # libraries run the same statements (an empty page skips its eager loads).
            first = {"subject": "语文", "stage": "初中", "tags": [top]} if number == 1 else {}
            shelf.share(space, rng.choice(catalogue), number, **first)
    library = Library(
        teacher=c.users[members[9] - 1]["username"],
        host=c.users[members[0] - 1]["username"],
        password="",
        big=workshops[0]["slug"],
        small=workshops[1]["slug"],
        uploads=workshops[2]["slug"],
        tag=top,
        resources=resources,
    )
    return c, shelf, library


# --- upload files -------------------------------------------------------------------------


def make_files(size: int) -> tuple[dict[str, bytes], dict[str, float]]:
    """The benchmark's .pdf and .docx of about `size` bytes, and the seconds each took to make."""
    files, made = {}, {}
    for code, make in (("pdf", make_pdf_of_size), ("docx", make_docx_of_size)):
        begin = time.perf_counter()
        files[code] = make(size)
        made[code] = time.perf_counter() - begin
    return files, made


def variant(data: bytes, code: str, number: int) -> bytes:
    """The same document with different bytes, so content-addressed storage and the
    Blob row never let a repetition skip the work: a PDF comment after %%EOF, or a
    ZIP archive comment (the end record's last field) for Office files."""
    mark = f"peixun bench variant {number}".encode()
    if code == "pdf":
        return data + b"%" + mark + b"\n"
    assert data[-22:-18] == b"PK\x05\x06", "an Office file without an archive comment"
    return data[:-2] + struct.pack("<H", len(mark)) + mark


def multipart(fields: dict[str, str], filename: str, mimetype: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it: the fields, then the file."""
    boundary = "----peixunbench" + secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {mimetype}\r\n\r\n"
    ).encode()
    body = b"".join(parts) + head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- extraction probe -------------------------------------------------------------------------


@dataclass
class Probe:
    seconds: float
    status: str
    chars: int
    rss_mb: float


def probe(path: Path, code: str, chars: int = MAX_CHARS, timeout: float = 30, memory: int = 768) -> Probe:
    command = [sys.executable, "-c", PROBE, str(path), code, str(chars), str(timeout), str(memory)]
    answer = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, check=True).stdout)
    assert answer["status"] == "ok", f"{path}: {answer['error']}"
    return Probe(answer["seconds"], answer["status"], answer["chars"], answer["rss_kb"] / 1024)


# --- databases ------------------------------------------------------------------------------


def make_app(url: str) -> Any:
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    config.SEARCH_WARM = False  # its thread (index, segmenter) would run during the first timings
    return create_app(config)


def create_database(kind: str, server: str | None) -> str:
    """A fresh SQLite file in bench/out/, or peixun_bench_<random> made through `postgres`."""
    if kind == "sqlite":
        path = OUT / "peixun_bench_resources.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    base = make_url(normalise_database_url(server or SERVER))
    name = f"peixun_bench_{secrets.token_hex(4)}"
    _maintenance(base, f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
    else:
        _maintenance(parsed, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def _maintenance(server: Any, statement: str) -> None:
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def insert_plain(model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk rows of a table without an id column (bench.generate.insert_rows moves id sequences on)."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model.__table__), rows[start : start + BATCH])
