"""Issue 9's crash test: kill -9 the whole gunicorn process group (master, workers, extraction
processes) during a burst of replies and uploads, restart it, run `flask search sync`, and check
that every write a client saw succeed is in the database (uploads: with their file) and in search.
PostgreSQL with its search backend (several app servers), or SQLite with Whoosh (one server)."""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `python bench/crash.py` from the project root finds bench

from bench._load_check import Write, check, report  # noqa: E402
from bench._load_data import Site, build, counts, create_database, drop_database, make_app  # noqa: E402
from bench._load_http import Browser, Server, load_average, reply, upload  # noqa: E402
from bench.pages import OUT, ROOT  # noqa: E402

UPLOADS = 0.4  # share of the burst's writes that are uploads; the rest are replies


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=6, help="concurrent writers")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--kill-after", type=float, default=8, help="seconds into each burst")
    parser.add_argument("--rounds", type=int, default=3, help="bursts, each ended by a kill -9 and a restart")
    parser.add_argument(
        "--server", default=os.environ.get("PEIXUN_BENCH_PG_URL"), help="PostgreSQL server URL"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the instance folder")
    return parser.parse_args()


def writer(
    site: Site,
    i: int,
    browser: Browser,
    started: float,
    stop: threading.Event,
    writes: list[Write],
    number: int,
) -> None:
    """Replies and uploads one after another until the server is gone."""
    teacher, rng = site.teachers[i], random.Random(i)
    sent = 0
    while not stop.is_set():
        sent += 1
        marker = f"crash{site.backend[:2]}r{number}c{i:02d}n{sent:04d}"
        at = time.monotonic() - started
        try:
            if rng.random() < UPLOADS:
                upload(browser, teacher.username, teacher.workshop, marker, at, writes)
            else:
                reply(browser, teacher.username, rng.choice(teacher.threads)[0], marker, at, writes)
        except (OSError, http.client.HTTPException):
            if stop.is_set():
                return
        except AssertionError:  # the share form did not come back (the server went away)
            if stop.is_set():
                return
            raise


def burst(
    site: Site, server: Server, browsers: list[Browser], kill_after: float, number: int
) -> tuple[list[Write], float]:
    writes: list[Write] = []
    stop = threading.Event()
    started = time.monotonic()
    threads = [
        threading.Thread(target=writer, args=(site, i, b, started, stop, writes, number))
        for i, b in enumerate(browsers)
    ]
    for t in threads:
        t.start()
    time.sleep(kill_after)
    killed_at = time.monotonic() - started
    stop.set()  # first, so that a writer whose request fails knows why
    server.kill_all()
    for t in threads:
        t.join()
    return writes, killed_at


def flask_sync(env: dict[str, str]) -> str:
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run(
        [str(flask), "--app", "app", "search", "sync"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return (done.stdout + done.stderr).strip().splitlines()[-1]


def summarise(writes: list[Write], killed_at: float) -> list[str]:
    lines = []
    for kind in ("post", "resource"):
        mine = [w for w in writes if w.kind == kind]
        failed = [w for w in mine if not w.ok]
        details = sorted({w.detail for w in failed})
        lines.append(
            f"  {kind}: {len(mine)} sent, {len(mine) - len(failed)} seen as success, {len(failed)} failed {details}"
        )
    late = [w for w in writes if w.ok and w.at > killed_at]
    lines.append(f"  writes started after the kill and seen as success: {len(late)} (must be 0)")
    return lines


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    backend = "postgres" if args.database == "postgres" else "whoosh"
    instance = Path(tempfile.mkdtemp(prefix="peixun-crash-"))
    url = (
        create_database("postgres", args.server)
        if backend == "postgres"
        else f"sqlite:///{instance / 'peixun.db'}"
    )
    try:
        print(f"generating {args.teachers:,} teachers on {args.database} …", file=sys.stderr)
        site = build(url, instance, backend, args.teachers, args.clients)
        env = {**os.environ, "PEIXUN_DATABASE_URL": url, "PEIXUN_INSTANCE_PATH": str(instance)}
        env |= {"PEIXUN_SEARCH_BACKEND": backend, "PEIXUN_RATELIMIT_ENABLED": "0"}
        server = Server(env, args.workers, OUT / f"gunicorn-crash-{backend}.log")
        app = make_app(url, instance, backend)
        server.start()
        browsers = [Browser(server.port) for _ in range(args.clients)]
        for browser, teacher in zip(browsers, site.teachers, strict=False):
            browser.sign_in(teacher.username, site.password)
            browser.hidden(f"/t/{teacher.threads[0][0]}")
        print(
            f"{args.database}: {site.indexed:,} documents indexed; {args.clients} writers, {args.workers} "
            f"workers; kill -9 of the process group {args.kill_after} s into each of {args.rounds} bursts"
        )
        writes: list[Write] = []
        for number in range(1, args.rounds + 1):
            before = counts(app)
            mine, killed_at = burst(site, server, browsers, args.kill_after, number)
            print(
                f"burst {number}: killed at {killed_at:.1f} s (load average {load_average()}); rows {before} → {counts(app)}"
            )
            print("\n".join(summarise(mine, killed_at)))
            writes += mine
            server.start()  # the same port: the browsers' cookies still hold
            print(
                f"  restarted; outbox rows {counts(app)['search_outbox']}; `flask search sync`: {flask_sync(env)}"
            )
        after: list[Write] = []
        for i, browser in enumerate(browsers[:2]):  # the restarted server takes writes again
            teacher = site.teachers[i]
            reply(browser, teacher.username, teacher.threads[0][0], f"after{backend[:2]}{i}p", 0, after)
            upload(browser, teacher.username, teacher.workshop, f"after{backend[:2]}{i}u", 0, after)
        print(f"after the restart: {sum(w.ok for w in after)} of {len(after)} writes seen as success")
        server.stop()
        print("\n".join(report(f"crash ({args.database})", check(app, writes + after))))
        print(f"rows at the end: {counts(app)}")
    finally:
        if "server" in locals():
            server.stop()
        if args.keep:
            print(f"kept: {url} and {instance}", file=sys.stderr)
        else:
            if backend == "postgres":
                drop_database(url)
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
