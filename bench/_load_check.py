"""Helpers of bench/load.py and bench/crash.py: what a client saw of each write, and whether the
database and the search index agree with it afterwards."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from peixun.core.storage import path_of
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.search import analyzer, service
from peixun.search.backends.base import Filters, Scope
from peixun.threads.models import Post

ADMIN = Scope(is_admin=True)


@dataclass
class Write:
    """One POST as its client saw it: success is the redirect to the new object."""

    kind: str  # "post" (a reply) or "resource" (an upload)
    user: str
    marker: str  # a unique Latin token in the body or title, one search token
    form_key: str
    ok: bool
    object_id: int | None
    detail: str  # the status or the exception when not ok
    at: float  # seconds since the run started


@dataclass
class Check:
    """What the database and the index hold of the writes."""

    succeeded: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)  # seen as success, not in the database
    wrong: list[str] = field(default_factory=list)  # stored, but not what was sent (or no file)
    failed_but_stored: int = 0  # seen as failure, committed all the same (allowed)
    duplicates: int = 0  # more than one row for one form_key
    outbox_before: int = 0  # outbox rows left when the check began
    unsearchable_before: list[str] = field(default_factory=list)  # succeeded, not found by marker
    synced: int = 0  # outbox rows `flask search sync` then applied
    unsearchable: list[str] = field(default_factory=list)  # still not found after the sync
    outbox_after: int = 0
    index_missing: int = 0  # visible replies and resources the index lacks (the whole database)
    missing_keys: list[str] = field(default_factory=list)  # the first of them
    index_extra: int = 0  # index entries of replies and resources that are not visible

    def verdict(self) -> str:
        bad = self.lost or self.wrong or self.unsearchable or self.duplicates or self.index_missing
        return "FAIL" if bad or self.index_extra or self.outbox_after else "ok"


def _stored(writes: list[Write]) -> dict[str, list[tuple[int, str, str | None]]]:
    """form_key → [(id, text sent, file hash)] of the replies and resources made with it."""
    keys = [w.form_key for w in writes]
    found: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        for row in db.session.execute(
            select(Post.form_key, Post.id, Post.body).where(Post.form_key.in_(chunk))
        ):
            found[row[0]].append((row[1], row[2], None))
        rows = select(Resource.form_key, Resource.id, Resource.title, Resource.blob_sha256)
        for row in db.session.execute(rows.where(Resource.form_key.in_(chunk))):
            found[row[0]].append((row[1], row[2], row[3]))
    return found


def _file_ok(sha256: str | None) -> bool:
    path = path_of(sha256) if sha256 else None
    return path is not None and path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _unsearchable(writes: list[Write]) -> list[str]:
    """Succeeded writes whose marker search (as the site admin) does not return their object."""
    index = service.backend()
    missing = []
    for w in writes:
        results = index.search(analyzer.parse_query(w.marker), ADMIN, Filters(), per_page=10)
        if f"{w.kind}:{w.object_id}" not in results.keys:
            missing.append(f"{w.kind}:{w.object_id} {w.marker}")
    return missing


def indexed_keys(app: Any) -> set[str]:
    """Every key the index holds (PostgreSQL: the table; Whoosh: the stored fields of live documents)."""
    if app.config["SEARCH_BACKEND"] == "postgres":
        return set(db.session.execute(text("SELECT key FROM search_documents")).scalars())
    from whoosh.index import open_dir

    with open_dir(str(Path(app.config["SEARCH_PATH"]) / "whoosh")).searcher() as searcher:
        return {fields["key"] for fields in searcher.all_stored_fields()}


def visible_keys() -> set[str]:
    """The replies and resources the index should hold: what the sources would load."""
    posts = select(Post.id).where(
        Post.is_opening.is_(False), Post.deleted_at.is_(None), Post.is_held.is_(False)
    )
    resources = select(Resource.id).where(Resource.deleted_at.is_(None), Resource.is_held.is_(False))
    return {f"post:{i}" for i in db.session.execute(posts).scalars()} | {
        f"resource:{i}" for i in db.session.execute(resources).scalars()
    }


def check(app: Any, writes: list[Write]) -> Check:
    """Compare what the clients saw with the database, then with the index; sync if needed."""
    result = Check()
    with app.app_context():
        stored = _stored(writes)
        for w in writes:
            rows = stored.get(w.form_key, [])
            result.duplicates += len(rows) > 1
            if not w.ok:
                result.failed += 1
                result.failed_but_stored += bool(rows)
                continue
            result.succeeded += 1
            mine = [r for r in rows if r[0] == w.object_id]
            if not mine:
                result.lost.append(f"{w.kind}:{w.object_id} {w.marker}")
            elif w.marker not in mine[0][1] or (w.kind == "resource" and not _file_ok(mine[0][2])):
                result.wrong.append(f"{w.kind}:{w.object_id} {w.marker}")
        succeeded = [w for w in writes if w.ok and w.object_id is not None]
        result.outbox_before = service.pending()
        result.unsearchable_before = _unsearchable(succeeded)
        if result.outbox_before or result.unsearchable_before:
            result.synced = service.sync()  # what `flask search sync` does
            result.unsearchable = _unsearchable(succeeded)
        result.outbox_after = service.pending()
        expected = visible_keys()
        indexed = {k for k in indexed_keys(app) if k.startswith(("post:", "resource:"))}
        result.index_missing, result.index_extra = len(expected - indexed), len(indexed - expected)
        result.missing_keys = sorted(expected - indexed)[:10]
        db.session.remove()
    return result


def report(name: str, c: Check) -> list[str]:
    lines = [
        f"{name}: {c.succeeded} writes seen as success, {c.failed} as failure; verdict {c.verdict()}",
        f"  seen as success but missing from the database: {len(c.lost)} {c.lost[:5]}",
        f"  stored but not as sent (text, or the file and its hash): {len(c.wrong)} {c.wrong[:5]}",
        f"  seen as failure but stored (allowed): {c.failed_but_stored}; duplicate rows for one form: {c.duplicates}",
        f"  outbox rows at the check: {c.outbox_before}; seen as success but not found by their marker: "
        f"{len(c.unsearchable_before)} {c.unsearchable_before[:5]}",
    ]
    if c.synced or c.unsearchable:
        lines.append(
            f"  after `search sync` ({c.synced} rows applied): not found {len(c.unsearchable)} {c.unsearchable[:5]}"
        )
    lines.append(
        f"  whole database: visible replies and resources missing from the index {c.index_missing} "
        f"{c.missing_keys}, "
        f"index entries without a visible row {c.index_extra}; outbox rows left {c.outbox_after}"
    )
    return lines
