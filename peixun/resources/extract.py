"""Text and thumbnails of uploaded files, read in a subprocess bounded in time and memory."""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peixun
from peixun.resources.files import FileKind

PROJECT_ROOT = Path(peixun.__file__).resolve().parent.parent
# Far more than a thumbnail needs; bounds what a misbehaving parser could write.
MAX_WRITE_BYTES = 16 * 1024 * 1024
STATUSES = ("ok", "failed", "none")
log = logging.getLogger(__name__)


@dataclass
class Extraction:
    status: str  # "ok", "failed" or "none" (nothing to extract, e.g. video)
    text: str
    error: str = ""
    has_thumbnail: bool = False


def extract(
    path: Path,
    kind: FileKind,
    *,
    thumbnail_to: Path | None = None,
    timeout: float = 30.0,
    memory_mb: int = 768,
    max_chars: int = 200_000,
) -> Extraction:
    """Read the text of a document (or make the thumbnail of an image) without risk.

    Parsers of untrusted Office, PDF and image files can hang, balloon or crash, so they
    run in `python -m peixun.resources.extract_worker` under CPU, memory and file-size
    limits.  Whatever goes wrong comes back as status "failed" with a Chinese reason;
    this function does not raise for a bad file.
    """
    thumbnail = thumbnail_to if kind.media == "image" else None
    if not kind.extractable and thumbnail is None:
        return Extraction("none", "")
    request = {"path": str(path), "code": kind.code, "max_chars": max_chars, "thumbnail_to": ""}
    if thumbnail is not None:
        thumbnail.parent.mkdir(parents=True, exist_ok=True)
        request["thumbnail_to"] = str(thumbnail)
    result = _run_worker(request, timeout=timeout, memory_mb=memory_mb)
    result.text = result.text[:max_chars]
    if thumbnail is not None and not result.has_thumbnail:
        thumbnail.unlink(missing_ok=True)  # half-written by a worker that failed
    return result


def _run_worker(request: dict[str, object], *, timeout: float, memory_mb: int) -> Extraction:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-B", "-m", "peixun.resources.extract_worker"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            env=env,
            preexec_fn=_limits(timeout, memory_mb),
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("extracting %s timed out after %ss", request["path"], timeout)
        return _failed("无法读取文件内容（超时）")
    except (OSError, subprocess.SubprocessError):
        log.exception("could not start the extraction worker")
        return _failed("无法读取文件内容（无法启动读取程序）")
    if completed.stderr:
        log.warning(
            "extracting %s (exit %s): %s",
            request["path"],
            completed.returncode,
            completed.stderr[-2000:].decode("utf-8", "replace"),
        )
    if completed.returncode != 0:
        if completed.returncode in (-9, -24):  # SIGKILL, SIGXCPU: the CPU limit
            return _failed("无法读取文件内容（超时）")
        if b"MemoryError" in completed.stderr[-2000:]:
            return _failed("无法读取文件内容（内存不足）")
        return _failed("无法读取文件内容（读取程序出错）")
    return _parse(completed.stdout)


def _parse(output: bytes) -> Extraction:
    try:
        answer = json.loads(output.decode("utf-8"))
        status, text, error = answer["status"], answer["text"], answer["error"]
        has_thumbnail = answer["has_thumbnail"]
    except (ValueError, KeyError, TypeError):
        return _failed("无法读取文件内容（输出无效）")
    if status not in STATUSES or not isinstance(text, str) or not isinstance(error, str):
        return _failed("无法读取文件内容（输出无效）")
    return Extraction(status, text, error, has_thumbnail is True)


def _failed(error: str) -> Extraction:
    return Extraction("failed", "", error)


def _limits(timeout: float, memory_mb: int) -> Callable[[], None]:
    # Runs in the forked child before exec: only setrlimit calls, nothing imported or
    # locked, which is what makes preexec_fn tolerable in a threaded server.
    cpu_seconds = max(1, math.ceil(timeout))
    memory = memory_mb * 1024 * 1024

    def apply() -> None:
        _lower(resource.RLIMIT_AS, memory)
        # SIGXCPU at the soft limit, SIGKILL a second later if it is ignored.
        _lower(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
        _lower(resource.RLIMIT_FSIZE, MAX_WRITE_BYTES)
        _lower(resource.RLIMIT_CORE, 0)

    return apply


def _lower(limit: int, soft: int, hard: int | None = None) -> None:
    current = resource.getrlimit(limit)[1]
    hard = soft if hard is None else hard
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(limit, (soft, hard))
