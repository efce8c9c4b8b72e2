"""Content-addressed uploads: hashing, dedup, size limits, no leftovers, no user names in paths."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from peixun.core.errors import ServiceError
from peixun.core.storage import (
    StoredFile,
    path_of,
    store,
    thumbnail_path_of,
    uploads_root,
)

SHA = hashlib.sha256(b"x").hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_uploads_root_is_the_configured_folder(app):
    root = uploads_root()
    assert root == Path(app.config["UPLOAD_PATH"])
    assert root.is_dir()


def test_uploads_default_to_the_instance_folder(monkeypatch, tmp_path):
    from peixun.config import Config

    monkeypatch.setenv("PEIXUN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("PEIXUN_UPLOAD_PATH", raising=False)
    assert str(tmp_path / "uploads") == Config().UPLOAD_PATH


def test_store_defaults_to_the_uploads_root(app):
    stored = store(io.BytesIO("默认位置".encode()), max_bytes=1024)
    assert stored.path.is_relative_to(uploads_root())
    assert path_of(stored.sha256) == stored.path


def test_store_hashes_and_places_by_content(tmp_path: Path):
    data = "三备两打磨".encode() * 1000
    stored = store(io.BytesIO(data), max_bytes=10**6, root=tmp_path)
    sha = hashlib.sha256(data).hexdigest()
    assert stored == StoredFile(sha256=sha, size=len(data), path=tmp_path / sha[:2] / sha[2:4] / sha)
    assert stored.path.read_bytes() == data
    assert list((tmp_path / "tmp").iterdir()) == []


def test_store_reads_more_than_one_chunk(tmp_path: Path):
    data = bytes(range(256)) * (5 * 4096 + 7)  # a little over 5 MiB
    stored = store(io.BytesIO(data), max_bytes=len(data), root=tmp_path)
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_same_bytes_are_stored_once(tmp_path: Path):
    first = store(io.BytesIO(b"same content"), max_bytes=100, root=tmp_path)
    second = store(io.BytesIO(b"same content"), max_bytes=100, root=tmp_path)
    assert first == second
    assert _files(tmp_path) == [first.path]


def test_different_bytes_get_different_files(tmp_path: Path):
    a = store(io.BytesIO(b"a"), max_bytes=100, root=tmp_path)
    b = store(io.BytesIO(b"b"), max_bytes=100, root=tmp_path)
    assert a.sha256 != b.sha256
    assert _files(tmp_path) == sorted([a.path, b.path])


def test_oversized_upload_is_refused_and_leaves_nothing(tmp_path: Path):
    with pytest.raises(ServiceError) as caught:
        store(io.BytesIO(b"x" * (3 * 1024 * 1024 + 1)), max_bytes=3 * 1024 * 1024, root=tmp_path)
    assert caught.value.message == "文件超过 3 MB 的上限。"
    assert caught.value.field == "file"
    assert _files(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_upload_of_exactly_the_limit_is_accepted(tmp_path: Path):
    stored = store(io.BytesIO(b"x" * 1000), max_bytes=1000, root=tmp_path)
    assert stored.size == 1000


def test_empty_upload_is_refused_and_leaves_nothing(tmp_path: Path):
    with pytest.raises(ServiceError) as caught:
        store(io.BytesIO(b""), max_bytes=100, root=tmp_path)
    assert caught.value.message == "文件是空的。"
    assert _files(tmp_path) == []


class BrokenStream(io.RawIOBase):
    """A client that disconnects after the first chunk."""

    def __init__(self) -> None:
        self.calls = 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection reset")
        return b"partial"


def test_interrupted_upload_leaves_no_temporary_file(tmp_path: Path):
    with pytest.raises(OSError):
        store(BrokenStream(), max_bytes=100, root=tmp_path)
    assert _files(tmp_path) == []


def test_paths_never_carry_a_user_name(tmp_path: Path):
    stored = store(io.BytesIO(b"content"), max_bytes=100, root=tmp_path)
    relative = stored.path.relative_to(tmp_path)
    assert relative.parts == (stored.sha256[:2], stored.sha256[2:4], stored.sha256)


def test_path_of_and_thumbnail_path_of(tmp_path: Path):
    assert path_of(SHA, tmp_path) == tmp_path / SHA[:2] / SHA[2:4] / SHA
    assert thumbnail_path_of(SHA, tmp_path) == tmp_path / "thumbs" / SHA[:2] / f"{SHA}.jpg"


@pytest.mark.parametrize(
    "bad",
    ["", "abc", SHA.upper(), SHA[:-1], SHA + "0", "../" + SHA[3:], SHA[:-1] + "\n", "g" * 64],
)
def test_path_of_refuses_anything_but_a_sha256(tmp_path: Path, bad: str):
    with pytest.raises(ValueError):
        path_of(bad, tmp_path)
    with pytest.raises(ValueError):
        thumbnail_path_of(bad, tmp_path)
