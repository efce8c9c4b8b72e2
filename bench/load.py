"""Issue 9's load test: 50 teachers read threads, reply, search and download against gunicorn
with PostgreSQL (search included) at 100,000 teachers, for 60 s; then the same with one gunicorn
worker killed midway. Every reply carries a unique marker; afterwards each reply a client saw
succeed must be in the database and found by its marker in search."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `python bench/load.py` from the project root finds bench

from bench._load_check import Check, Write, check, report  # noqa: E402
from bench._load_data import Site, Teacher, build, counts, create_database, drop_database, make_app  # noqa: E402
from bench._load_http import Browser, Server, load_average, reply, summary  # noqa: E402
from bench.pages import OUT  # noqa: E402
from bench.search import QUERIES  # noqa: E402
from bench.threads import Others, backends, gunicorn_version  # noqa: E402

MIX = {"read": 60, "reply": 15, "search": 15, "download": 10}


@dataclass
class Request:
    kind: str
    at: float  # seconds since the run started
    ms: float
    ok: bool
    detail: str = ""


@dataclass
class Run:
    """One load window: every request and every write as the clients saw them."""

    name: str
    code: str  # short, in every marker of the run
    seconds: float
    requests: list[Request] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual teachers")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a user's requests, s")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--kill-at", type=float, default=30, help="second of the kill run a worker dies")
    parser.add_argument(
        "--kill-writer",
        action="store_true",
        help="from --kill-at on, wait for a worker inside a reply's write (its INSERT, or the index upsert after the commit) and kill that one",
    )
    parser.add_argument("--runs", default="steady,kill", help="steady, kill, or both (comma-separated)")
    parser.add_argument(
        "--server", default=os.environ.get("PEIXUN_BENCH_PG_URL"), help="PostgreSQL server URL"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the instance folder")
    parser.add_argument("--reuse", type=Path, help="an instance folder kept by --keep: skip generation")
    return parser.parse_args()


# --- the virtual teachers -----------------------------------------------------------------------


class User:
    def __init__(self, run: Run, number: int, teacher: Teacher, browser: Browser, seed: int) -> None:
        self.run, self.number, self.teacher, self.browser = run, number, teacher, browser
        self.rng = random.Random(seed)
        self.sent = 0

    def read(self) -> tuple[bool, str]:
        thread, pages = self.rng.choice(self.teacher.threads)
        page = self.rng.randint(1, pages)
        answer = self.browser.get(f"/t/{thread}" + (f"?page={page}" if page > 1 else ""))
        return answer.status == 200, str(answer.status)

    def reply(self, started: float) -> tuple[bool, str]:
        thread, _ = self.rng.choice(self.teacher.threads)
        self.sent += 1
        marker = f"lb{self.run.code}u{self.number:02d}n{self.sent:04d}"
        at = time.monotonic() - started
        write = reply(self.browser, self.teacher.username, thread, marker, at, self.run.writes)
        return write.ok, write.detail

    def search(self) -> tuple[bool, str]:
        answer = self.browser.get("/search?q=" + quote(self.rng.choice(QUERIES)))
        return answer.status == 200, str(answer.status)

    def download(self) -> tuple[bool, str]:
        resource, size = self.rng.choice(self.teacher.resources)
        answer = self.browser.get(f"/res/{resource}/download")
        return answer.status == 200 and len(answer.body) == size, f"{answer.status} {len(answer.body)} B"

    def loop(self, started: float, deadline: float, think: float) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        while time.monotonic() < deadline:
            kind = self.rng.choices(kinds, weights)[0]
            begin = time.monotonic()
            try:
                ok, detail = self.reply(started) if kind == "reply" else getattr(self, kind)()
            except (OSError, http.client.HTTPException) as error:
                ok, detail = False, type(error).__name__
            end = time.monotonic()
            with self.run.lock:
                self.run.requests.append(Request(kind, begin - started, (end - begin) * 1000, ok, detail))
            if think:
                time.sleep(min(self.rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


def sign_in_all(site: Site, port: int, count: int) -> list[Browser]:
    """Each teacher signs in through /login, opens one of her threads (the CSRF token) and searches."""
    browsers: list[Browser] = [Browser(port) for _ in range(count)]

    def one(i: int) -> None:
        teacher = site.teachers[i]
        browsers[i].sign_in(teacher.username, site.password)
        browsers[i].hidden(f"/t/{teacher.threads[0][0]}")
        # Every worker then likely holds its search connection too, a PostgreSQL backend that
        # Others counts as the benchmark's own.
        browsers[i].get("/search?q=" + quote(QUERIES[i % len(QUERIES)]))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(b.csrf for b in browsers), "a teacher has no CSRF token"
    return browsers


def load(run: Run, site: Site, server: Server, args: argparse.Namespace, kill_at: float | None) -> dict:
    browsers = sign_in_all(site, server.port, args.users)
    users = [User(run, i, site.teachers[i], browsers[i], 1000 * i + len(run.code)) for i in range(args.users)]
    app = make_app(site.url, Path(site.instance), site.backend)
    watch = Others({os.getpid(), server.pid} | backends(app))
    own = os.times()
    started = time.monotonic()
    deadline = started + run.seconds
    threads = [threading.Thread(target=u.loop, args=(started, deadline, args.think)) for u in users]
    for t in threads:
        t.start()
    if kill_at is not None:
        time.sleep(max(0.0, started + kill_at - time.monotonic()))
        victim, doing = server.kill_writer(app, deadline) if args.kill_writer else (server.kill_worker(), "")
        at = time.monotonic() - started
        while len(server.worker_pids()) < args.workers and time.monotonic() < deadline:
            time.sleep(0.05)
        run.killed.append(
            f"worker {victim} SIGKILLed at {at:.1f} s{f' ({doing})' if doing else ''}; {args.workers} workers again at "
            f"{time.monotonic() - started:.1f} s"
        )
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    mine = os.times()
    return {
        "wall_s": wall,
        "generator_cores": (mine.user + mine.system - own.user - own.system) / wall,
        "others_cores": watch.cores(),
        "load_average": load_average(),
    }


def table(run: Run, wall: float) -> list[str]:
    lines = [
        "| request | count | errors | req/s | p50 ms | p95 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for kind in [*MIX, "all"]:
        mine = [r for r in run.requests if kind in (r.kind, "all")]
        p50, p95, top = summary([r.ms for r in mine])
        errors = sum(not r.ok for r in mine)
        lines.append(
            f"| {kind} | {len(mine):,} | {errors} | {len(mine) / wall:.1f} | {p50:.0f} | {p95:.0f} | {top:.0f} |"
        )
    return lines


def errors(run: Run) -> list[str]:
    return [f"  {r.at:6.2f} s {r.kind}: {r.detail} after {r.ms:.0f} ms" for r in run.requests if not r.ok]


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    if args.reuse:
        site = Site.load(args.reuse / "site.json")
    else:
        instance = Path(tempfile.mkdtemp(prefix="peixun-load-"))
        url = create_database("postgres", args.server)
        print(f"generating {args.teachers:,} teachers in {url.rsplit('/', 1)[1]} …", file=sys.stderr)
        try:
            site = build(url, instance, "postgres", args.teachers, args.users)
        except BaseException:
            drop_database(url)
            shutil.rmtree(instance, ignore_errors=True)
            raise
        site.save(instance / "site.json")
    instance = Path(site.instance)
    env = {**os.environ, "PEIXUN_DATABASE_URL": site.url, "PEIXUN_INSTANCE_PATH": site.instance}
    env |= {"PEIXUN_SEARCH_BACKEND": site.backend, "PEIXUN_RATELIMIT_ENABLED": "0"}
    server = Server(env, args.workers, OUT / "gunicorn-load.log")
    app = make_app(site.url, instance, site.backend)
    out: dict = {"site": {k: v for k, v in asdict(site).items() if k != "teachers"}, "runs": {}}
    print(
        f"database: {json.dumps(site.rows)}; index {site.indexed:,} documents; built in "
        f"{site.built_s:.0f} s, indexed in {site.indexed_s:.0f} s"
    )
    try:
        server.start()
        print(
            f"gunicorn {gunicorn_version()}, {args.workers} sync workers; load average before: {load_average()}"
        )
        for name in args.runs.split(","):
            run = Run(name, secrets.token_hex(2), args.seconds)
            before = counts(app)
            figures = load(run, site, server, args, args.kill_at if name == "kill" else None)
            verified = check(app, run.writes)
            after = counts(app)
            print(
                f"\n## {name}: {args.users} users, {figures['wall_s']:.1f} s, think {args.think} s; "
                f"generator {figures['generator_cores']:.2f} cores, others {figures['others_cores']:.2f} "
                f"cores, load average after {figures['load_average']}"
            )
            print("\n".join([*run.killed, *table(run, figures["wall_s"])]))
            print("\n".join(errors(run)[:20]))
            print("\n".join(report(name, verified)))
            print(f"  rows before → after: {before} → {after}")
            out["runs"][name] = {
                "figures": figures,
                "killed": run.killed,
                "table": table(run, figures["wall_s"]),
                "errors": errors(run),
                "check": asdict(verified),
                "counts": [before, after],
            }
            assert isinstance(verified, Check)
    finally:
        server.stop()
        with app.app_context():
            from peixun.extensions import db

            db.engine.dispose()
        (OUT / "load.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
        if args.keep or args.reuse:
            print(f"kept: {site.url} and {site.instance} (--reuse {site.instance})", file=sys.stderr)
        else:
            drop_database(site.url)
            shutil.rmtree(site.instance, ignore_errors=True)


if __name__ == "__main__":
    main()
