"""Backup archives (.tar.gz): manifest.json first, then the database dump and the uploads,
and files.json last with every file's size and SHA-256, checked when read back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from peixun.core.errors import ServiceError

FORMAT = "peixun-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files.json"  # last: a file's hash is known once it is written
UPLOADS = "uploads"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.sql"}
CHUNK = 1024 * 1024
MAX_JSON = 1024 * 1024 * 1024
# Level 1 packs the demo's database to 25 % (level 6: 22 %, three times slower); uploads
# (Office files, PDFs, videos) are compressed already and gain nothing at any level.
COMPRESS_LEVEL = 1
DAMAGED = "备份文件已损坏或不完整"


@dataclass(frozen=True)
class Entry:
    """One file of the archive: its name inside it, size and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What the archive holds, known before the files: the engine, the Alembic revision
    and the rows of every table, all read from the database snapshot itself."""

    created_at: str
    database: str
    alembic_revision: str | None
    tables: dict[str, int]

    @property
    def dump(self) -> str:
        return DUMPS[self.database]

    def to_json(self) -> bytes:
        return _json({"format": FORMAT, "version": VERSION, **asdict(self)})

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        data = _load_json(raw, MANIFEST)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ServiceError("这不是 peixun 的备份文件（没有 peixun 的清单）。")
        if data.get("version") != VERSION:
            raise ServiceError(f"备份格式版本 {data.get('version')!r} 不受支持（本程序读版本 {VERSION}）。")
        try:
            manifest = cls(
                created_at=str(data["created_at"]),
                database=str(data["database"]),
                alembic_revision=data["alembic_revision"],
                tables={str(name): int(rows) for name, rows in data["tables"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ServiceError(f"{DAMAGED}：清单不完整（{error}）。") from error
        if manifest.database not in DUMPS:
            raise ServiceError(f"备份中的数据库类型 {manifest.database!r} 不受支持。")
        return manifest


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _load_json(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ServiceError(f"{DAMAGED}：{name} 无法读取。") from error


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


class Writer:
    """Adds members to an open .tar.gz and lists every file it wrote."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.entries: list[Entry] = []

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
        self.tar.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, path: Path) -> Entry | None:
        """Add a file as it is now; None when it is gone (a refused upload removed meanwhile)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        with handle:  # once open, the content stays readable even if the file is removed
            info = tarfile.TarInfo(name)
            stat = os.fstat(handle.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
            reader = _Hashing(handle)
            self.tar.addfile(info, reader)  # type: ignore[arg-type]
        entry = Entry(name, info.size, reader.digest.hexdigest())
        self.entries.append(entry)
        return entry

    def finish(self) -> None:
        self.add_bytes(FILES, _json([asdict(entry) for entry in self.entries]))


@contextmanager
def writing(path: Path) -> Iterator[Writer]:
    """Write the archive at `path` (mode 600: it holds password hashes), synced to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar:
            writer = Writer(tar)
            yield writer
            writer.finish()
        raw.flush()
        os.fsync(raw.fileno())


@dataclass
class Unpacked:
    manifest: Manifest
    dump: Path
    uploads: list[tuple[str, Path]]  # (path under the uploads folder, staged file)
    upload_bytes: int


def unpack(archive: Path, into: Path, check: Callable[[Manifest], None]) -> Unpacked:
    """Extract the archive into `into` and check every file against files.json.

    `check` sees the manifest before anything else is read (a wrong engine or revision
    is refused at once).  Any damage raises ServiceError; what was extracted stays in
    `into` for the caller to remove.
    """
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            manifest = Manifest.parse(_first(tar))
            check(manifest)
            found, listed = _extract(tar, into, manifest.dump)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise ServiceError(f"{DAMAGED}（{error}），未恢复任何数据。") from error
    _compare(found, listed)
    uploads = [(e.name.removeprefix(UPLOADS + "/"), into / e.name) for e in listed if e.name != manifest.dump]
    total = sum(e.size for e in listed if e.name != manifest.dump)
    return Unpacked(manifest, into / manifest.dump, uploads, total)


def _first(tar: tarfile.TarFile) -> bytes:
    member = tar.next()
    if member is None or member.name != MANIFEST or not member.isfile() or member.size > MAX_JSON:
        raise ServiceError("这不是 peixun 的备份文件（第一项不是 manifest.json）。")
    return _read(tar, member)


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file
    return handle.read()


def _extract(tar: tarfile.TarFile, into: Path, dump: str) -> tuple[dict[str, Entry], list[Entry]]:
    found: dict[str, Entry] = {}
    listed: list[Entry] | None = None
    while (member := tar.next()) is not None:  # not `for … in tar`: that starts again at the manifest
        if listed is not None:
            raise ServiceError(f"{DAMAGED}：{FILES} 之后还有内容（{member.name}）。")
        if member.name == FILES and member.isfile() and member.size <= MAX_JSON:
            listed = _entries(_read(tar, member))
            continue
        name = _safe_name(member, dump)
        if name in found:
            raise ServiceError(f"{DAMAGED}：{name} 出现了两次。")
        handle = tar.extractfile(member)
        assert handle is not None
        found[name] = _copy_out(handle, name, into / name)
    if listed is None:
        raise ServiceError(f"{DAMAGED}：缺少文件清单 {FILES}（备份没有写完？）。")
    if dump not in found:
        raise ServiceError(f"{DAMAGED}：缺少数据库 {dump}。")
    return found, listed


def _entries(raw: bytes) -> list[Entry]:
    data = _load_json(raw, FILES)
    try:
        return [Entry(str(item["name"]), int(item["size"]), str(item["sha256"])) for item in data]
    except (KeyError, TypeError, ValueError) as error:
        raise ServiceError(f"{DAMAGED}：{FILES} 不完整。") from error


def _safe_name(member: tarfile.TarInfo, dump: str) -> str:
    """Only the dump and plain files under uploads/, never a link or a path out of the folder."""
    path = PurePosixPath(member.name)
    parts = path.parts
    inside = len(parts) >= 2 and parts[0] == UPLOADS and not any(p in ("", ".", "..") for p in parts)
    if not member.isfile() or path.is_absolute() or not (member.name == dump or inside):
        raise ServiceError(f"{DAMAGED}：备份中有不应有的一项 {member.name!r}。")
    return member.name


def _copy_out(handle: IO[bytes], name: str, target: Path) -> Entry:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with target.open("xb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Entry(name, size, digest.hexdigest())


def _compare(found: dict[str, Entry], listed: list[Entry]) -> None:
    expected = {entry.name: entry for entry in listed}
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise ServiceError(f"{DAMAGED}：缺少 {name}。")
        if name not in expected:
            raise ServiceError(f"{DAMAGED}：{name} 不在文件清单中。")
        if found[name] != expected[name]:
            raise ServiceError(f"{DAMAGED}：{name} 的大小或 SHA-256 与清单不符。")
