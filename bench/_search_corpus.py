"""Helpers of bench/search.py: a corpus of Chinese documents recombined from the seed texts
(threads, replies and resources in 20 workshops, as the services write them), bulk-inserted
into a fresh SQLite file under /tmp or a fresh PostgreSQL database."""

from __future__ import annotations

import hashlib
import html
import random
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.generate import BATCH, Community, insert_rows, person_name, tables
from peixun.config import normalise_database_url
from peixun.core.markdown import RENDERER_VERSION
from peixun.core.policy import HOST
from peixun.core.vocab import DEFAULT_RESOURCE_TYPES, DEFAULT_STAGES, DEFAULT_SUBJECTS
from peixun.extensions import db
from peixun.resources.models import SELECTED, Blob, LibraryEntry, Resource, ResourceTag
from peixun.spaces.models import REGION, WORKSHOP, Activity
from peixun.threads.models import KIND_LABELS, QUESTION, TOPIC, Post, Thread

SEEDS = Path("/work/shared/seeds")
SERVER = "postgresql://postgres@127.0.0.1:5432"
SEED = 2026
USERS = 2_000
WORKSHOPS = 20
SKEW = 0.7  # workshop i has weight 1/(i+1)**SKEW: members, and so documents
SHARES = {"thread": 0.70, "post": 0.25, "resource": 0.05}
TARGET_CHARS = 530  # sentences are added until a text is this long: 560 on average
YEARS = 3  # documents are spread over the last three years (the year facet)
RECENT_THREADS = 3_000  # a reply goes to one of the latest threads
TITLE_CHARS = (10, 25)
END = "。！？；"
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
# "（6）", "(5) ", "2.", "③", "一、", "### ", "【摘要】": numbering and headings of the seed documents.
PREFIX = re.compile(
    r"^(?:[（(]\s*\d+\s*[)）]|\d+(?:\.\d+)*[.、．]?|[①-⑳]|[一二三四五六七八九十]+[、.]|#+|【[^】]*】)\s*"
)
CLAUSE = re.compile(r"[^，,；;：:。！？、]+")
TAGS = (
    "校本研修", "课例研究", "微课", "磨课", "三备两打磨", "作业设计", "观课议课", "信息技术", "师德素养",
    "送教下乡", "网络研修", "生成性资源", "学情诊断", "教学设计", "研修日志", "工作坊研修", "国培计划",
)  # fmt: skip
# A name the pinyin query `zhangli` must find (bench.generate's names give it only by chance).
NAMED = "张丽"


def _units(text_: str) -> list[str]:
    """Lines joined again where a PDF wrapped them: a unit ends at a short line or a sentence end."""
    units, current = [], ""
    for line in text_.splitlines():
        line = line.strip()
        if not line:
            continue
        if "\t" in line:  # table rows
            if current:
                units.append(current)
            current = ""
            continue
        current += line
        if len(line) < 30 or line[-1] in END:
            units.append(current)
            current = ""
    if current:
        units.append(current)
    return units


def _clean(sentence: str) -> str:
    while (stripped := PREFIX.sub("", sentence, count=1)) != sentence:
        sentence = stripped
    return sentence.strip()


def seed_sentences(folder: Path = SEEDS) -> list[str]:
    """Every distinct sentence of the seed files of 8–160 characters, mostly Han, without
    the numbering of lists and headings."""
    found: dict[str, None] = {}
    for path in sorted(folder.glob("*.txt")):
        for unit in _units(path.read_text(encoding="utf-8")):
            for piece in re.findall(rf"[^{END}]+[{END}]?", unit):
                sentence = _clean(piece.strip())
                if sentence.endswith((":", "：")):  # introduces a list or table left out
                    continue
                if 8 <= len(sentence) <= 160 and len(HAN.findall(sentence)) >= 0.6 * len(sentence):
                    found[sentence] = None
    return list(found)


def seed_clauses(sentences: list[str]) -> list[str]:
    """Clauses of 10–25 characters: the stuff of titles."""
    low, high = TITLE_CHARS
    found = {c.strip() for s in sentences for c in CLAUSE.findall(s)}
    return sorted(c for c in found if low <= len(c) <= high and len(HAN.findall(c)) >= 0.7 * len(c))


@dataclass
class Searcher:
    """The plain member every timed search runs as, and what she may read."""

    user_id: int
    username: str
    workshops: list[str]
    readable: int = 0  # documents of her workshops


@dataclass
class Corpus:
    """The rows of a generated corpus, and what the report says about it."""

    c: Community
    threads: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    blobs: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    searcher: Searcher | None = None
    sentences: int = 0
    chars: int = 0  # of all document bodies (titles not counted)
    counts: dict[str, int] = field(default_factory=dict)  # documents per kind

    @property
    def documents(self) -> int:
        return sum(self.counts.values())


class Writer:
    """Texts recombined from the seed sentences with one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = seed_sentences()
        self.clauses = seed_clauses(self.sentences)

    def paragraph(self, target: int = TARGET_CHARS) -> str:
        parts: list[str] = []
        size = 0
        while size < target:
            sentence = self.rng.choice(self.sentences)
            parts.append(sentence if sentence[-1] in END else sentence + "。")
            size += len(parts[-1])
        return "".join(parts)

    def title(self) -> str:
        return self.rng.choice(self.clauses)


def _workshops(c: Community, rng: random.Random) -> list[dict]:
    province = c.add_space(REGION, "贵州省", "guizhou", None, region_level="province")
    city = c.add_space(REGION, "黔西南州", "city-1", province, region_level="city")
    county = c.add_space(REGION, "兴义市", "county-1-1", city, region_level="county")
    spaces = []
    for n in range(1, WORKSHOPS + 1):
        subject = DEFAULT_SUBJECTS[(n - 1) % 10]
        stage = DEFAULT_STAGES[(n - 1) % 3]
        spaces.append(
            c.add_space(
                WORKSHOP,
                f"兴义市{stage}{subject}工作坊{n}",
                f"ws-{n}",
                county,
                subject=subject,
                stage=stage,
                description=f"兴义市{stage}{subject}教师网络研修工作坊。",
            )
        )
    return spaces


def plan(documents: int, password_hash: str, seed: int = SEED) -> Corpus:
    """The whole corpus in memory: 20 workshops, 2,000 teachers, and `documents` threads,
    replies and resources (70 / 25 / 5 %) in time order over the last three years."""
    rng = random.Random(seed)
    writer = Writer(rng)
    c = Community()
    admin = c.add_user("admin", "平台管理员", password_hash, is_admin=True)
    workshops = _workshops(c, rng)
    weights = list(accumulate(1 / (i + 1) ** SKEW for i in range(WORKSHOPS)))
    rosters: list[list[int]] = [[] for _ in workshops]
    searcher = 0
    for n in range(1, USERS + 1):
        name = NAMED if n == 7 else person_name(rng)
        user = c.add_user(f"teacher{n:06d}", name, password_hash)
        chosen: set[int] = set()
        # The searcher (teacher000010) is a plain member of the largest workshop and one more.
        wanted = rng.choice((1, 2))
        if n == 10:
            searcher, wanted = user, 2
            chosen.add(0)
        while len(chosen) < wanted:
            chosen.add(rng.choices(range(WORKSHOPS), cum_weights=weights)[0])
        for index in sorted(chosen):
            rosters[index].append(user)
    for workshop, roster in zip(workshops, rosters, strict=True):
        rest = [u for u in roster if u != searcher]
        for host in rest[:2]:
            c.appoint(workshop, host, HOST)
        for user in roster:
            if user not in rest[:2]:
                c.add_member(workshop, user, invited_by=admin)

    corpus = Corpus(c, sentences=len(writer.sentences))
    sizes = list(accumulate(len(r) for r in rosters))
    kinds = list(SHARES)
    cumulative = list(accumulate(SHARES.values()))
    start = datetime.now(UTC) - timedelta(days=365 * YEARS)
    step = timedelta(days=365 * YEARS) / max(documents, 1)
    counts = dict.fromkeys(kinds, 0)
    for n in range(documents):
        at = start + step * n + timedelta(seconds=rng.randint(0, int(step.total_seconds())))
        kind = rng.choices(kinds, cum_weights=cumulative)[0]
        if kind == "post" and not corpus.threads:
            kind = "thread"
        counts[kind] += 1
        if kind == "post":
            thread = rng.choice(corpus.threads[-RECENT_THREADS:])
            roster = rosters[thread["_workshop"]]
            _post(corpus, thread, rng.choice(roster), writer.paragraph(), at, opening=False)
            thread["last_activity_at"] = at
            continue
        index = rng.choices(range(WORKSHOPS), cum_weights=sizes)[0]
        author = rng.choice(rosters[index])
        if kind == "thread":
            _thread(corpus, workshops[index], index, author, writer, at, rng)
        else:
            _resource(corpus, workshops[index], author, writer, at, rng)
    for thread in corpus.threads:
        del thread["_workshop"]
    corpus.counts = counts
    corpus.chars = sum(len(p["body"]) for p in corpus.posts) + sum(len(b["text"]) for b in corpus.blobs)
    corpus.chars += sum(len(r["description"]) for r in corpus.resources)
    mine = [w["slug"] for i, w in enumerate(workshops) if searcher in rosters[i]]
    corpus.searcher = Searcher(searcher, c.users[searcher - 1]["username"], mine)
    corpus.searcher.readable = readable(corpus)
    return corpus


def _post(corpus: Corpus, thread: dict, author: int, body: str, at: datetime, opening: bool) -> None:
    corpus.posts.append(
        {
            "id": len(corpus.posts) + 1,
            "thread_id": thread["id"],
            "author_id": author,
            "is_opening": opening,
            "body": body,
            "body_html": f"<p>{html.escape(body, quote=False)}</p>",
            "renderer_version": RENDERER_VERSION,
            "edited_at": None,
            "form_key": secrets.token_urlsafe(32),
            "deleted_at": None,
            "is_held": False,
            "created_at": at,
        }
    )


def _thread(
    corpus: Corpus, space: dict, index: int, author: int, writer: Writer, at: datetime, rng: random.Random
) -> None:
    """start_thread: the thread, its opening post and the "thread.started" activity line."""
    kind = QUESTION if rng.random() < 0.2 else TOPIC
    title = writer.title() + ("？" if kind == QUESTION else "")
    row = {
        "id": len(corpus.threads) + 1,
        "space_id": space["id"],
        "author_id": author,
        "kind": kind,
        "title": title,
        "is_public": True,
        "is_featured": rng.random() < 0.03,
        "is_pinned": False,
        "is_locked": False,
        "hidden_reason": None,
        "is_held": False,
        "accepted_post_id": None,
        "last_activity_at": at,
        "created_at": at,
        "_workshop": index,
    }
    corpus.threads.append(row)
    _post(corpus, row, author, writer.paragraph(), at, opening=True)
    _activity(corpus.c, space, author, "thread.started", f"{KIND_LABELS[kind]}：{title}", row["id"], at)


def _resource(
    corpus: Corpus, space: dict, author: int, writer: Writer, at: datetime, rng: random.Random
) -> None:
    """resources.service.share of an uploaded .docx whose text was extracted: the resource,
    its blob, its origin entry (selected in the workshop's library), tags, the activity line.
    No comments thread (thread_id stays empty, as before the first comment)."""
    resource_id = len(corpus.resources) + 1
    kind = rng.choice(DEFAULT_RESOURCE_TYPES[:8])
    title = f"{writer.title()}（{kind}）"
    description = writer.paragraph(60)
    tags = rng.sample(TAGS, rng.randint(1, 3))
    # Title, description, tags and type are indexed with the file's text: 560 in all.
    body = writer.paragraph(max(60, TARGET_CHARS - len(description)))
    sha256 = hashlib.sha256(f"{SEED}-search-{resource_id}".encode()).hexdigest()
    corpus.blobs.append(
        {
            "sha256": sha256,
            "size": rng.randint(30_000, 3_000_000),
            "kind": "docx",
            "text_status": "ok",
            "text": body,
            "text_error": "",
            "has_thumbnail": False,
            "created_at": at,
        }
    )
    corpus.resources.append(
        {
            "id": resource_id,
            "space_id": space["id"],
            "author_id": author,
            "title": title[:120],
            "description": description,
            "description_html": f"<p>{html.escape(description, quote=False)}</p>",
            "subject": space["subject"],
            "stage": space["stage"],
            "type": kind,
            "link_url": None,
            "blob_sha256": sha256,
            "filename": f"{title}.docx"[:160],
            "download_count": rng.randint(0, 60),
            "vote_count": 0,
            "is_held": False,
            "deleted_at": None,
            "updated_at": None,
            "form_key": secrets.token_urlsafe(32),
            "thread_id": None,
            "created_at": at,
        }
    )
    corpus.entries.append(
        {
            "id": len(corpus.entries) + 1,
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
            "is_excellent": False,
            "created_at": at,
        }
    )
    corpus.tags += [{"resource_id": resource_id, "name": name} for name in tags]
    _activity(corpus.c, space, author, "resource.shared", title[:200], resource_id, at)


def _activity(
    c: Community, space: dict, actor: int, verb: str, detail: str, target: int, at: datetime
) -> None:
    c.activities.append(
        {
            "id": len(c.activities) + 1,
            "space_id": space["id"],
            "actor_id": actor,
            "verb": verb,
            "detail": detail,
            "target_id": target,
            "created_at": at,
        }
    )


def write(corpus: Corpus) -> dict[str, int]:
    """Bulk Core inserts, parents first; the searcher's readable documents are counted."""
    for start in range(0, len(corpus.blobs), BATCH):
        db.session.execute(insert(Blob.__table__), corpus.blobs[start : start + BATCH])
    rows = insert_rows(
        [
            *[(model, rows) for model, rows in tables(corpus.c) if model is not Activity],
            (Thread, corpus.threads),
            (Post, corpus.posts),
            (Resource, corpus.resources),
            (LibraryEntry, corpus.entries),
            (Activity, corpus.c.activities),
        ]
    )
    for start in range(0, len(corpus.tags), BATCH):
        db.session.execute(insert(ResourceTag.__table__), corpus.tags[start : start + BATCH])
    db.session.commit()
    rows |= {"blobs": len(corpus.blobs), "resource_tags": len(corpus.tags)}
    return rows


def readable(corpus: Corpus) -> int:
    """Documents in the searcher's workshops (all the corpus is in workshops)."""
    spaces = {s["id"] for s in corpus.c.spaces if s["slug"] in corpus.searcher.workshops}
    threads = {t["id"] for t in corpus.threads if t["space_id"] in spaces}
    return (
        len(threads)
        + sum(1 for p in corpus.posts if not p["is_opening"] and p["thread_id"] in threads)
        + sum(1 for r in corpus.resources if r["space_id"] in spaces)
    )


# --- databases ------------------------------------------------------------------------------


def create_database(kind: str, server: str = SERVER) -> str:
    """A fresh SQLite file under /tmp, or peixun_bench_<random> made through `postgres`."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="peixun_bench_search_"))
        return f"sqlite:///{folder / 'search.db'}"
    base = make_url(normalise_database_url(server))
    name = f"peixun_bench_{secrets.token_hex(4)}"
    _maintenance(base, f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        if path.parent.name.startswith("peixun_bench_search_"):
            path.parent.rmdir()
    else:
        _maintenance(parsed, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def _maintenance(server: Any, statement: str) -> None:
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
