"""`flask backup` and `flask restore`: the demo site comes back table by table and file by
file with its search; a backup taken while another connection writes is consistent; a
site with data, a damaged archive, another engine and an unknown revision are refused
and change nothing; an older backup is upgraded."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, inspect, select, text

from peixun import create_app
from peixun.accounts.models import User
from peixun.accounts.service import find_user
from peixun.admin import backup as backup_service
from peixun.core.db import utcnow
from peixun.core.policy import load_actor
from peixun.demo.builder import load_demo
from peixun.extensions import db
from peixun.search import service as search
from peixun.search.backends.base import Filters
from peixun.search.models import SearchLog
from tests.conftest import PG_URL, _config, pg_database
from tests.factories import make_user


@dataclass
class Site:
    """An instance of its own: folder, database, uploads and search index."""

    app: Flask
    folder: Path

    @property
    def uploads(self) -> Path:
        return self.folder / "uploads"

    def cli(self, *args: object) -> Result:
        return self.app.test_cli_runner().invoke(args=[str(arg) for arg in args])


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Site]]:
    """Sites on demand, migrated or (as a restore wants) with an empty database; their
    databases are dropped at the end of the module."""
    sites: list[Site] = []
    with ExitStack() as stack:

        def make(migrated: bool = True) -> Site:
            folder = tmp_path_factory.mktemp("site")
            url = stack.enter_context(pg_database()) if PG_URL else f"sqlite:///{folder / 'peixun.db'}"
            config = _config(url, folder)
            config.UPLOAD_PATH = str(folder / "uploads")
            config.SEARCH_PATH = str(folder / "search")
            config.SEARCH_BACKEND = "postgres" if PG_URL else "whoosh"
            site = Site(create_app(config), folder)
            sites.append(site)
            if migrated:
                with site.app.app_context():
                    upgrade()
            return site

        yield make
        for site in sites:
            with site.app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def demo(new_site: Callable[..., Site]) -> Site:
    site = new_site()
    with site.app.app_context():
        assert load_demo(site.app.config["DEMO_PASSWORD"]) is not None
        search.rebuild()  # as after `make run`: the outbox applied, the index version kept
        db.session.remove()
    return site


@pytest.fixture(scope="module")
def demo_archive(demo: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "demo.tar.gz"
    result = demo.cli("backup", path)
    assert result.exit_code == 0, result.output
    assert "备份已写入" in result.output
    return path


def _rows(site: Site) -> dict[str, list[tuple]]:
    """Every row of every table of the models, and alembic_version, in a stable order."""
    with site.app.app_context():
        found = {
            table.name: [
                tuple(row)
                for row in db.session.execute(
                    select(table).order_by(*(table.primary_key.columns or table.columns))
                )
            ]
            for table in db.metadata.sorted_tables
        }
        found["alembic_version"] = [
            tuple(row) for row in db.session.execute(text("SELECT * FROM alembic_version"))
        ]
        db.session.remove()
    return found


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def _found(site: Site, words: str) -> tuple[int, list[str]]:
    with site.app.test_request_context():  # hits carry their URLs
        page = search.search(load_actor(find_user("admin")), words, Filters(), log_it=False)
        documents = search.backend().count()
        db.session.remove()
    return documents, [hit.key for hit in page.hits]


def test_the_demo_site_comes_back_table_by_table_and_file_by_file(demo, demo_archive, new_site):
    target = new_site(migrated=False)
    result = target.cli("restore", demo_archive)
    assert result.exit_code == 0, result.output
    assert "均已核对 SHA-256" in result.output
    assert "检索索引已重建" in result.output

    before, after = _rows(demo), _rows(target)
    assert sum(len(rows) for rows in before.values()) > 10_000
    for name, rows in before.items():
        assert after[name] == rows, f"table {name} differs"
    uploads = _files(demo.uploads)
    assert len(uploads) >= 38  # the demo's distinct documents
    assert _files(target.uploads) == uploads

    documents, hits = _found(demo, "背影")
    assert hits
    assert _found(target, "背影") == (documents, hits)
    with target.app.app_context():  # ids carry on after the restored ones (PostgreSQL's sequences)
        newest = db.session.execute(select(func.max(User.id))).scalar_one()
        assert make_user("after_restore").id > newest
        db.session.remove()


def test_a_site_with_data_is_refused(demo, demo_archive):
    users = len(_rows(demo)["users"])
    result = demo.cli("restore", demo_archive)
    assert result.exit_code == 1
    assert f"数据库中已有 {users} 个用户" in result.output
    assert len(_rows(demo)["users"]) == users


def test_uploads_already_there_are_refused(demo_archive, new_site):
    target = new_site()
    (target.uploads / "ab").mkdir(parents=True)
    (target.uploads / "ab" / "file").write_bytes(b"kept")
    result = target.cli("restore", demo_archive)
    assert result.exit_code == 1
    assert "上传文件夹" in result.output and "已有文件" in result.output
    assert _files(target.uploads) == {"ab/file": b"kept"}
    assert _rows(target)["users"] == []


def _rewrite(source: Path, dest: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of an archive with members changed (None leaves one out)."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(dest, "w:gz") as new:
        for member in old.getmembers():
            handle = old.extractfile(member)
            assert handle is not None
            data = change(member.name, handle.read())
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                new.addfile(info, io.BytesIO(data))
    return dest


def _manifest(**values: object) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **values}).encode() if name == "manifest.json" else data

    return change


def _truncated(source: Path, dest: Path) -> Path:
    dest.write_bytes(source.read_bytes()[: source.stat().st_size * 3 // 5])
    return dest


def _tampered(source: Path, dest: Path) -> Path:
    seen: list[str] = []

    def change(name: str, data: bytes) -> bytes:
        if name.startswith("uploads/") and not seen:
            seen.append(name)
            return data[:-1] + bytes([data[-1] ^ 1])
        return data

    return _rewrite(source, dest, change)


def _not_an_archive(source: Path, dest: Path) -> Path:
    dest.write_text("不是备份")
    return dest


DAMAGE = {
    "truncated": (_truncated, "备份文件已损坏或不完整"),
    "a file changed": (_tampered, "的大小或 SHA-256 与清单不符"),
    "files.json missing": (
        lambda source, dest: _rewrite(
            source, dest, lambda name, data: None if name == "files.json" else data
        ),
        "缺少文件清单 files.json",
    ),
    "not an archive": (_not_an_archive, "备份文件已损坏或不完整"),
    "another engine": (
        lambda source, dest: _rewrite(source, dest, _manifest(database="sqlite" if PG_URL else "postgresql")),
        "不支持跨数据库恢复",
    ),
    "an unknown revision": (
        lambda source, dest: _rewrite(source, dest, _manifest(alembic_revision="ffffffffffff")),
        "备份的数据库版本 ffffffffffff 是本程序不认识的",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_written(
    damage, demo_archive, new_site, tmp_path
):
    make, message = DAMAGE[damage]
    archive = make(demo_archive, tmp_path / "damaged.tar.gz")
    target = new_site(migrated=False)
    result = target.cli("restore", archive)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert result.output.startswith("Error: 恢复失败：")
    with target.app.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()
    assert _files(target.uploads) == {}  # the staged files are gone too


def test_an_older_backup_is_upgraded(new_site, tmp_path):
    old = new_site(migrated=False)
    with old.app.app_context():
        scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        head = scripts.get_current_head()
        previous = scripts.get_revision(head).down_revision
        upgrade(revision=previous)
    assert old.cli("backup", tmp_path / "old.tar.gz").exit_code == 0
    target = new_site()  # migrated but empty: PostgreSQL drops the newer schema in the restore's transaction
    result = target.cli("restore", tmp_path / "old.tar.gz")
    assert result.exit_code == 0, result.output
    assert f"版本 {previous}" in result.output and f"数据库已升级到 {head}" in result.output
    assert _rows(target)["alembic_version"] == [(head,)]


BATCH = 10


def test_a_backup_taken_while_another_connection_writes_is_consistent(new_site, tmp_path):
    """Another connection commits ten search_log rows at a time throughout the backup:
    the archive holds whole batches only."""
    source = new_site()
    url = source.app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    table = SearchLog.__table__
    with engine.begin() as conn:  # some bulk, so that the copy takes a while
        conn.execute(insert(table), [{"text": "x" * 150, "results": -1, "created_at": utcnow()}] * 50_000)
    written: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        try:
            while not stop.is_set():
                batch = len(written)
                with engine.begin() as conn:
                    conn.execute(
                        insert(table), [{"text": "w", "results": batch, "created_at": utcnow()}] * BATCH
                    )
                written.append(batch)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        at_start = len(written)
        result = source.cli("backup", tmp_path / "busy.tar.gz")
        at_end = len(written)
        stop.wait(0.2)  # the writer goes on after the backup
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert result.exit_code == 0, result.output
    assert errors == []
    assert len(written) > at_end

    target = new_site(migrated=False)
    assert target.cli("restore", tmp_path / "busy.tar.gz").exit_code == 0
    with target.app.app_context():
        batches = db.session.execute(
            select(SearchLog.results, func.count()).where(SearchLog.results >= 0).group_by(SearchLog.results)
        ).all()
        db.session.remove()
    assert {rows for _batch, rows in batches} == {BATCH}
    assert at_start <= len(batches) <= at_end


def test_backups_never_overwrite_and_a_failed_one_leaves_nothing(new_site, monkeypatch):
    site = new_site()
    first = site.cli("backup")  # the default place: instance/backups/peixun-YYYYmmdd-HHMMSS.tar.gz
    assert first.exit_code == 0, first.output
    (made,) = (site.folder / "backups").iterdir()
    assert made.name.startswith("peixun-") and made.name.endswith(".tar.gz")
    assert made.stat().st_mode & 0o777 == 0o600  # it holds password hashes
    again = site.cli("backup", made)
    assert again.exit_code == 1 and "已存在，不会覆盖" in again.output

    (site.uploads / "ab").mkdir(parents=True)
    (site.uploads / "ab" / "file").write_bytes(b"x")

    def full_disk(root: Path) -> Iterator[tuple[str, Path]]:
        yield "ab/file", root / "ab" / "file"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_service, "_uploads", full_disk)
    failed = site.cli("backup", site.folder / "backups" / "failed.tar.gz")
    assert failed.exit_code == 1
    assert "备份失败" in failed.output and "No space left on device" in failed.output
    assert list((site.folder / "backups").iterdir()) == [made]  # no archive, no leftovers
