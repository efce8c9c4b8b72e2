"""Helpers of bench/load.py and bench/crash.py: gunicorn in a process group of its own, and a
teacher's browser (cookies, the real /login form, forms with their hidden fields) over http.client."""

from __future__ import annotations

import http.client
import math
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench._load_check import Write
from bench._resources_data import multipart
from bench.pages import ROOT
from bench.threads import _stat, free_port
from peixun.extensions import db

LINES = [
    "谢谢分享，我们学校也在做类似的尝试，下周教研组会把课堂观察记录整理出来。",
    "同意楼上的看法，作业设计要和单元目标对应起来，分层不等于分量。",
    "这个情境设计很好，我准备在八年级的单元教学中试一试，再来反馈效果。",
]
POST_ID = re.compile(r"/p/(\d+)$")
RESOURCE_ID = re.compile(r"/res/(\d+)$")
# Backends in a transaction whose statement is a reply's INSERT or the search upsert.
WRITERS = """
SELECT client_port FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
  AND (query LIKE 'INSERT INTO posts %' OR query LIKE 'INSERT INTO search_documents %')
"""
STATE = """
SELECT state, split_part(query, ' (', 1) FROM pg_stat_activity
WHERE datname = current_database() AND client_port = :port
"""
TIMEOUT = 60  # client side; gunicorn's worker timeout is 30 s
HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|form_key)"[^>]*\bvalue="([^"]*)"')


class Server:
    """`gunicorn -c gunicorn.conf.py app:app` from the project root, in its own session, so
    that killpg reaches the master, its workers and their extraction processes, and nothing else."""

    def __init__(self, env: dict[str, str], workers: int, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env, self.workers, self.log = env, workers, log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "-c", "gunicorn.conf.py", "--workers", str(self.workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--error-logfile", str(self.log)]
        # gunicorn 27's control socket has one default path: two servers would share it.
        command += ["--no-control-socket", "app:app"]
        with self.log.open("a") as log:  # the app's own log lines (stderr) go with gunicorn's
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.workers:
                try:
                    Browser(self.port).get("/login")
                    return
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's children (its workers), oldest first."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (f := _stat(entry.name)) and int(f[1]) == self.pid:
                found.append((int(f[19]), int(entry.name)))  # start time, pid
        return [pid for _, pid in sorted(found)]

    def kill_worker(self) -> int:
        """SIGKILL one worker (not the master); the master starts another."""
        victim = self.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def kill_writer(self, app: Any, deadline: float) -> tuple[int, str]:
        """SIGKILL the worker whose database connection is inside a reply's write: its INSERT
        (before the commit) or the search upsert (after it). Found through pg_stat_activity's
        client port, the socket's inode in /proc/net/tcp and the worker's open files. The worker
        is stopped (SIGSTOP) first, so the state returned is the one it died in."""
        with app.app_context(), db.engine.connect() as conn:
            while time.monotonic() < deadline:
                found = conn.execute(text(WRITERS)).all()
                conn.rollback()
                for (port,) in found:
                    victim = self._worker_with_port(port)
                    if victim is None:
                        continue
                    os.kill(victim, signal.SIGSTOP)
                    time.sleep(0.05)  # a statement already sent finishes; nothing more is sent
                    state = conn.execute(text(STATE), {"port": port}).one_or_none()
                    conn.rollback()
                    os.kill(victim, signal.SIGKILL)
                    return victim, f"{state[0]}, last statement {state[1]}" if state else "gone"
                time.sleep(0.005)
        raise RuntimeError("no worker was caught writing")

    def _worker_with_port(self, port: int) -> int | None:
        wanted = f"0100007F:{port:04X}"  # 127.0.0.1, the client side of the connection
        inodes = {
            fields[9]
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if (fields := line.split())[1] == wanted
        }
        for pid in self.worker_pids():
            try:
                links = {os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            if any(f"socket:[{inode}]" in links for inode in inodes):
                return pid
        return None

    def kill_all(self) -> None:
        """kill -9 of the whole process group: master, workers and extraction processes."""
        os.killpg(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_all()


@dataclass
class Answer:
    status: int
    body: bytes
    location: str
    length: int | None  # Content-Length
    ms: float


@dataclass
class Browser:
    """One teacher: her cookies, a new connection per request (sync workers close each one)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Answer:
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            begin = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            ms = (time.perf_counter() - begin) * 1000
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and not morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        length = response.getheader("Content-Length")
        return Answer(
            response.status, data, response.getheader("Location") or "", int(length) if length else None, ms
        )

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Answer:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def hidden(self, path: str) -> dict[str, str]:
        """GET a form page: its csrf_token and form_key (the first of each)."""
        answer = self.get(path)
        assert answer.status == 200, f"{path}: {answer.status}"
        found: dict[str, str] = {}
        for name, value in HIDDEN.findall(answer.body.decode()):
            found.setdefault(name, value)
        self.csrf = found.get("csrf_token", self.csrf)
        return found

    def sign_in(self, username: str, password: str) -> None:
        """Through the real /login form with its CSRF token."""
        token = self.hidden("/login")["csrf_token"]
        answer = self.post("/login", {"username": username, "password": password, "csrf_token": token})
        assert answer.status == 302, f"login {username}: {answer.status} {answer.body[:300]!r}"


def _written(write: Write, answer: Answer, pattern: re.Pattern[str]) -> None:
    found = pattern.search(answer.location) if answer.status == 302 else None
    write.ok, write.detail = found is not None, str(answer.status)
    write.object_id = int(found.group(1)) if found else None


def _attempt(
    write: Write, send: Callable[[], Answer], pattern: re.Pattern[str], writes: list[Write]
) -> Write:
    """Send a write and note what the client saw; an exception is noted, then raised."""
    try:
        _written(write, send(), pattern)
    except (OSError, http.client.HTTPException) as error:
        write.detail = type(error).__name__
        raise
    finally:
        writes.append(write)  # list.append is atomic: the users' threads share the list
    return write


def reply(browser: Browser, username: str, thread: int, marker: str, at: float, writes: list[Write]) -> Write:
    """POST a reply with a fresh form_key; success is the redirect to /p/<id>. A browser sends
    the form_key of the page it rendered; a fresh one is the same to the server."""
    form_key = secrets.token_urlsafe(24)
    fields = {"csrf_token": browser.csrf, "form_key": form_key, "submit": "发布"}
    fields["body"] = f"{LINES[len(writes) % len(LINES)]}（{marker}）"
    write = Write("post", username, marker, form_key, False, None, "", at)
    return _attempt(write, lambda: browser.post(f"/t/{thread}", fields), POST_ID, writes)


def upload(
    browser: Browser, username: str, workshop: str, marker: str, at: float, writes: list[Write]
) -> Write:
    """GET the share form (csrf_token, form_key), POST a small .txt whose title and text carry
    the marker; success is the redirect to /res/<id>."""
    path = f"/w/{workshop}/resources/new"
    fields = browser.hidden(path)
    fields |= {
        "title": f"研修资料 {marker}",
        "type": "教案",
        "subject": "语文",
        "stage": "初中",
        "submit": "分享",
    }
    data = f"校本研修活动记录 {marker}\n{LINES[len(writes) % len(LINES)]}\n".encode()
    body, content_type = multipart(fields, f"{marker}.txt", "text/plain", data)
    write = Write("resource", username, marker, fields["form_key"], False, None, "", at)
    return _attempt(write, lambda: browser.request("POST", path, body, content_type), RESOURCE_ID, writes)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) in ms, or zeros."""
    if not values:
        return 0.0, 0.0, 0.0
    return statistics.median(values), percentile(values, 95), max(values)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
