"""Backup and restore of a whole site: the database and every upload in one archive,
written while the site runs, brought back into an empty instance with its search index."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade

from peixun.admin import archive, databases
from peixun.admin.archive import Manifest
from peixun.core.errors import ServiceError
from peixun.core.storage import uploads_root
from peixun.extensions import db
from peixun.search import service as search

SCRATCH = "tmp"  # the uploads' scratch folder (core/storage.py): never backed up


@dataclass(frozen=True)
class BackupDone:
    path: Path
    manifest: Manifest
    files: int
    upload_bytes: int


@dataclass(frozen=True)
class RestoreDone:
    manifest: Manifest
    files: int
    upload_bytes: int
    upgraded_to: str | None  # the revision `db upgrade` brought an older backup to
    documents: int  # indexed for search


def default_path() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"peixun-{stamp}.tar.gz"


def backup(dest: Path | None = None) -> BackupDone:
    """Write the database and the uploads to `dest` (never over an existing file).

    The database is copied first, then the uploads: a file the copy refers to was
    stored before its row was committed, so it is in the archive. The archive is
    written under a temporary name beside `dest` and renamed when complete.
    """
    dest = (dest or default_path()).absolute()
    if dest.exists():
        raise ServiceError(f"{dest} 已存在，不会覆盖。")
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        kind = db.engine.dialect.name
        if kind not in archive.DUMPS:
            raise ServiceError(f"不支持备份 {kind} 数据库。")
        dump = work / archive.DUMPS[kind]
        found = databases.snapshot(db.engine, dump)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = Manifest(created, kind, found.revision, found.tables)
        partial = work / dest.name
        with archive.writing(partial) as out:
            out.add_bytes(archive.MANIFEST, manifest.to_json())
            out.add_file(manifest.dump, dump)
            dump.unlink()  # written: free the space before the uploads
            for name, path in _uploads(Path(current_app.config["UPLOAD_PATH"])):
                out.add_file(f"{archive.UPLOADS}/{name}", path)
            uploads = [entry for entry in out.entries if entry.name != manifest.dump]
        os.replace(partial, dest)
        _sync_folder(dest.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupDone(dest, manifest, len(uploads), sum(entry.size for entry in uploads))


def _uploads(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file under the uploads folder but its scratch folder, in a stable order."""
    if not root.is_dir():
        return
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        if here == root:
            subfolders[:] = [name for name in subfolders if name != SCRATCH]
        subfolders.sort()
        for name in sorted(files):
            path = here / name
            if not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore(source: Path, progress: Any = None) -> RestoreDone:
    """Bring a backup back into this instance, which must be empty (no data in the
    database, no uploads); then upgrade an older schema and rebuild the search index.

    Everything is extracted and checked before the database or the uploads are touched,
    so a damaged archive, another engine or an unknown revision changes nothing.
    """
    if not source.is_file():
        raise ServiceError(f"找不到备份文件 {source}。")
    known = set(db.metadata.tables) | {"alembic_version", *databases.NOT_DUMPED}
    existing = databases.existing_tables(db.engine, known)
    root = uploads_root()
    if any(True for _ in _uploads(root)):
        raise ServiceError(f"上传文件夹 {root} 中已有文件：只能恢复到空的实例。")
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    kind = db.engine.dialect.name
    staging = Path(tempfile.mkdtemp(prefix="restore-", dir=_scratch(root)))
    try:
        unpacked = archive.unpack(source, staging, lambda manifest: _check(manifest, kind, scripts))
        manifest = unpacked.manifest
        db.session.remove()
        databases.load(
            db.engine, unpacked.dump, databases.Snapshot(manifest.alembic_revision, manifest.tables), existing
        )
        for name, staged in unpacked.uploads:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    upgraded_to = None
    if manifest.alembic_revision not in scripts.get_heads():
        upgrade()
        upgraded_to = scripts.get_current_head()
    documents = search.rebuild(progress=progress)  # progress(kind, done, of), as `flask search rebuild`
    search.sync()
    return RestoreDone(manifest, len(unpacked.uploads), unpacked.upload_bytes, upgraded_to, documents)


def _scratch(root: Path) -> Path:
    folder = root / SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(manifest: Manifest, kind: str, scripts: ScriptDirectory) -> None:
    """Refuse what this instance cannot take: another engine, a revision the code does
    not know (written by a newer version of peixun, or a branch never merged)."""
    if manifest.database != kind:
        raise ServiceError(
            f"备份来自 {manifest.database} 数据库，本实例用的是 {kind}：不支持跨数据库恢复，"
            "请用同一种数据库（PEIXUN_DATABASE_URL）。"
        )
    revision = manifest.alembic_revision
    if not revision:
        raise ServiceError("备份中的数据库没有 Alembic 版本（alembic_version），无法恢复。")
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None or known.revision != revision:  # not a prefix of a known one either
        raise ServiceError(
            f"备份的数据库版本 {revision} 是本程序不认识的（比代码新？），请用写出该备份的 peixun 版本恢复。"
        )
