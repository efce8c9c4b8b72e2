"""Content-addressed uploads under instance/uploads/: stored by SHA-256, never under the user's name."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from peixun.core.errors import ServiceError

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


def uploads_root() -> Path:
    """The uploads folder (PEIXUN_UPLOAD_PATH, by default instance/uploads), created on first use."""
    root = Path(current_app.config["UPLOAD_PATH"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def store(stream: BinaryIO, *, max_bytes: int, root: Path | None = None) -> StoredFile:
    """Copy `stream` into the store and return where it lives.

    The bytes go to a temporary file in `root/tmp/` while being hashed, so a refused or
    interrupted upload never appears under a hash; the finished file is moved into
    place with one atomic rename.  Identical content is kept once.
    """
    root = root or uploads_root()
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    tmp_path = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise ServiceError(f"文件超过 {_megabytes(max_bytes)} MB 的上限。", "file")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ServiceError("文件是空的。", "file")
        sha256 = digest.hexdigest()
        final = path_of(sha256, root)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp_path.unlink()
        else:
            os.replace(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return StoredFile(sha256=sha256, size=size, path=final)


def path_of(sha256: str, root: Path | None = None) -> Path:
    """Where the file with this hash is stored; ValueError for anything but a SHA-256 hex digest."""
    _check(sha256)
    return (root or uploads_root()) / sha256[:2] / sha256[2:4] / sha256


def thumbnail_path_of(sha256: str, root: Path | None = None) -> Path:
    """Where the JPEG thumbnail of the file with this hash is kept."""
    _check(sha256)
    return (root or uploads_root()) / "thumbs" / sha256[:2] / f"{sha256}.jpg"


def _check(sha256: str) -> None:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")


def _megabytes(size: int) -> str:
    mb = max(round(size / (1024 * 1024), 1), 0.1)
    return f"{mb:.1f}".removesuffix(".0")
