"""Issue 4's figures: upload and text-extraction throughput for 20 MB .pdf and .docx files,
and the library page of a workshop holding 10,000 resources (SQL queries and latency)."""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `python bench/resources.py` from the project root finds bench
# Uploads and the search index land in the instance folder: one of its own, emptied afterwards.
INSTANCE = HERE / "out" / "instance-resources"
os.environ["PEIXUN_INSTANCE_PATH"] = str(INSTANCE)
os.environ["PEIXUN_SEARCH_PATH"] = str(INSTANCE / "search")  # never the site's own index
os.environ["PEIXUN_RATELIMIT_ENABLED"] = "false"  # the share form allows 10 posts a minute

from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench._resources_data import (  # noqa: E402
    FILENAME,
    MAX_CHARS,
    MB,
    SERVER,
    Library,
    create_database,
    drop_database,
    insert_plain,
    make_app,
    make_files,
    multipart,
    plan,
    probe,
    variant,
)
from bench.generate import PASSWORD, insert_rows, tables  # noqa: E402
from bench.pages import OUT, ROOT, Statements, _span, _stats, analyse, describe, run_sql, sign_in  # noqa: E402
from bench.threads import Others, Server, backends, get  # noqa: E402
from peixun.core.storage import store  # noqa: E402
from peixun.extensions import db  # noqa: E402
from peixun.resources.files import KINDS, sniff  # noqa: E402
from peixun.resources.models import Blob, LibraryEntry, Resource, ResourceTag, ResourceVote  # noqa: E402
from peixun.resources.queries import PER_PAGE  # noqa: E402
from peixun.threads.models import Thread  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--pg",
        nargs="?",
        const=os.environ.get("PEIXUN_BENCH_DATABASE_URL") or SERVER,
        default=os.environ.get("PEIXUN_BENCH_DATABASE_URL"),
        metavar="URL",
        help=f"PostgreSQL as well, on this server (default {SERVER}); a fresh database, dropped after",
    )
    parser.add_argument("--resources", type=int, default=10_000, help="in the big library")
    parser.add_argument(
        "--small", type=int, default=10, help="in the library the query counts are compared with"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed requests per library page")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every file measurement (median)")
    parser.add_argument("--size", type=int, default=20_000_000, help="bytes of each generated file")
    parser.add_argument(
        "--explain-ms", type=float, default=50, help="show the plan of statements slower than this"
    )
    parser.add_argument(
        "--no-files", action="store_true", help="skip store/sniff/extract (the HTTP upload stays)"
    )
    parser.add_argument("--sql", type=Path, help="statements to run after generation (a candidate index)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args()


# --- files: store, sniff, extract ------------------------------------------------------------


def measure_files(files: dict[str, bytes], repeat: int) -> dict[str, dict[str, Any]]:
    """Per kind: MB/s of sha256 alone and of store(), sniff() ms, extract() with and without the cap."""
    root = OUT / "store"
    figures: dict[str, dict[str, Any]] = {}
    try:
        tiny = store(io.BytesIO("三备两打磨".encode()), max_bytes=MB, root=root).path
        figures["start-up"] = statistics.median(probe(tiny, "txt").seconds for _ in range(repeat))
        for code, data in files.items():
            versions = [variant(data, code, n) for n in range(repeat)]
            hashing, storing, sniffing, paths = [], [], [], []
            for version in versions:
                begin = time.perf_counter()
                hashlib.sha256(version).digest()
                hashing.append(time.perf_counter() - begin)
                begin = time.perf_counter()
                stored = store(io.BytesIO(version), max_bytes=200 * MB, root=root)
                storing.append(time.perf_counter() - begin)
                paths.append(stored.path)
                begin = time.perf_counter()
                assert sniff(stored.path, f"{FILENAME}.{code}").code == code
                sniffing.append(time.perf_counter() - begin)
            print(f"  {code}: stored, extracting …", file=sys.stderr)
            capped = [probe(path, code) for path in paths]
            # Once, without the cap and with room to finish: what the cap saves.
            whole = probe(paths[0], code, chars=10**9, timeout=600, memory=8192)
            figures[code] = {
                "sha256": statistics.median(hashing),
                "store": statistics.median(storing),
                "sniff": statistics.median(sniffing),
                "extract": statistics.median(p.seconds for p in capped),
                "chars": capped[0].chars,
                "rss": max(p.rss_mb for p in capped),
                "whole": whole,
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return figures


# --- the database ---------------------------------------------------------------------------


def build(app: Any, args: argparse.Namespace) -> tuple[Library, float]:
    """Migrate, then the two libraries in bulk; PostgreSQL gets a VACUUM ANALYZE."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])
        c, shelf, library = plan(password_hash, args.resources, args.small)
        library.password = PASSWORD
        rows = shelf.rows
        insert_plain(Blob, rows[Blob])
        library.rows = insert_rows([*tables(c), *((m, rows[m]) for m in (Thread, Resource, LibraryEntry))])
        insert_plain(ResourceTag, rows[ResourceTag])
        insert_plain(ResourceVote, rows[ResourceVote])
        db.session.commit()
        library.rows |= {m.__tablename__: len(rows[m]) for m in (Blob, ResourceTag, ResourceVote)}
        analyse()
    return library, time.perf_counter() - started


# --- the library page -----------------------------------------------------------------------


@dataclass
class Row:
    name: str
    url: str
    small: str  # SQL statements at --small resources ("–": no such page there)
    big: str
    median_ms: float
    p95_ms: float
    sql_ms: float  # every statement of one request, re-run one by one
    slowest_ms: float
    kb: float


def library_urls(lib: Library) -> list[tuple[str, str, bool]]:
    """(name, query string, as host) for every timed library page."""
    deep = min(200, -(-lib.resources // PER_PAGE))
    return [
        ("page 1", "", False),
        ("most downloaded", "?sort=downloads", False),
        ("most 推荐", "?sort=votes", False),
        (f"tag {lib.tag}", "?" + urlencode({"tag": lib.tag}), False),
        ("语文 · 初中", "?" + urlencode({"subject": "语文", "stage": "初中"}), False),
        (f"page {deep}", f"?page={deep}", False),
        ("page 1 as host", "", True),
    ]


def count(engine: Any, client: Any, url: str) -> tuple[Statements, Any]:
    statements = Statements()
    event.listen(engine, "before_cursor_execute", statements)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", statements)
    return statements, response


def measure_library(app: Any, lib: Library, args: argparse.Namespace, notes: list[str]) -> list[Row]:
    clients = {False: app.test_client(), True: app.test_client()}
    sign_in(clients[False], lib.teacher, lib.password)
    sign_in(clients[True], lib.host, lib.password)
    with app.app_context():
        engine = db.engine
    rows = []
    for name, query, as_host in library_urls(lib):
        client = clients[as_host]
        small_url, url = f"/w/{lib.small}/resources{query}", f"/w/{lib.big}/resources{query}"
        client.get(small_url)  # warm-up
        statements, response = count(engine, client, small_url)
        small = str(len(statements.items)) if response.status_code == 200 else "–"
        response = client.get(url)  # warm-up: templates, statement cache
        assert response.status_code == 200, f"{url}: {response.status_code}"
        counts, times = set(), []
        for _ in range(args.runs):
            begin = time.perf_counter()
            statements, response = count(engine, client, url)
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            counts.add(len(statements.items))
        sql = slow_statements(app, statements, args.explain_ms, f"{name} ({unquote(url)})", notes)
        kb = len(response.data) / 1024
        rows.append(Row(name, unquote(url), small, _span(counts), *_stats(times), *sql, kb))
        print(f"  {name}: {rows[-1].median_ms:.1f} ms, {rows[-1].big} queries", file=sys.stderr)
    return rows


def slow_statements(
    app: Any, statements: Statements, threshold: float, page: str, notes: list[str]
) -> tuple[float, float]:
    """Re-run a request's statements one by one (all rows fetched: SQLite works while it
    fetches); add the plan of each slower than `threshold` ms to `notes`. Total and slowest ms."""
    timed = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in statements.items:
            begin = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).all()
            timed.append(((time.perf_counter() - begin) * 1000, statement, parameters))
        postgres = conn.dialect.name == "postgresql"
        for ms, statement, parameters in timed:
            if ms > threshold:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
                plan_rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                notes.append(f"{page}: {ms:.1f} ms\n    {' '.join(statement.split())}\n    {parameters}")
                notes += ["    | " + " ".join(str(v) for v in r) for r in plan_rows]
    return sum(ms for ms, _, _ in timed), max(ms for ms, _, _ in timed)


# --- the HTTP upload --------------------------------------------------------------------------


def measure_uploads(app: Any, url: str, lib: Library, files: dict[str, bytes], repeat: int) -> dict[str, Any]:
    """POST each file `repeat` times (distinct bytes) to the share form of a gunicorn server."""
    client = app.test_client()
    sign_in(client, lib.teacher, lib.password)
    path = f"/w/{lib.uploads}/resources/new"
    client.get(path)  # the session now holds its CSRF token, as a browser's cookie would
    cookie = f"peixun_session={client.get_cookie('peixun_session').value}"
    server = Server("peixun-resources", "app:app", ROOT, {**os.environ, "PEIXUN_DATABASE_URL": url})
    figures: dict[str, Any] = {}
    try:
        server.wait()
        for n in range(4):  # both workers import and render once; a small file is extracted
            post(server.port, path, cookie, f"热身{n}.txt", "text/plain", f"热身 {n} 三备两打磨".encode())
        for code, data in files.items():
            times, sha = [], []
            for n in range(repeat):
                version = variant(data, code, 100 + n)
                times.append(
                    post(server.port, path, cookie, f"{FILENAME}.{code}", KINDS[code].mimetype, version)
                )
                sha.append(hashlib.sha256(version).hexdigest())
            with app.app_context():
                blobs = db.session.execute(select(Blob).where(Blob.sha256.in_(sha))).scalars().all()
                assert len(blobs) == repeat and all(b.text_status == "ok" for b in blobs), code
                figures[code] = {"seconds": statistics.median(times), "chars": len(blobs[0].text)}
            print(f"  upload {code}: {figures[code]['seconds']:.2f} s", file=sys.stderr)
    finally:
        server.stop()
    return figures


def post(port: int, path: str, cookie: str, filename: str, mimetype: str, data: bytes) -> float:
    """GET the form (csrf_token, a fresh form_key), then time the multipart POST to its answer."""
    status, html = get(port, path, cookie)
    assert status == 200, f"{path}: {status}"
    soup = BeautifulSoup(html, "html.parser")
    fields = {name: soup.find("input", {"name": name})["value"] for name in ("csrf_token", "form_key")}
    fields |= {"title": f"{filename} 上传测试", "type": "讲义", "subject": "语文", "stage": "初中"}
    body, content_type = multipart(fields, filename, mimetype, data)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        begin = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Cookie": cookie, "Content-Type": content_type})
        response = conn.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - begin
    finally:
        conn.close()
    location = response.getheader("Location") or ""
    assert response.status == 302 and "/res/" in location, f"{response.status}: {answer[:1000]!r}"
    return elapsed


# --- report -----------------------------------------------------------------------------------


def rate(size: int, seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms · {size / MB / seconds:,.0f} MB/s"


def files_table(files: dict[str, bytes], made: dict[str, float], f: dict[str, Any], uploads: dict) -> str:
    codes = list(files)
    lines = ["| step | " + " | ".join(f".{c}" for c in codes) + " |", "|---|" + "--:|" * len(codes)]

    def line(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(c) for c in codes) + " |")

    line("file size", lambda c: f"{len(files[c]) / MB:.1f} MB (made in {made[c]:.1f} s)")
    if f:
        line("sha256 alone", lambda c: rate(len(files[c]), f[c]["sha256"]))
        line("`storage.store` (hash + write + fsync)", lambda c: rate(len(files[c]), f[c]["store"]))
        line("`files.sniff`", lambda c: f"{f[c]['sniff'] * 1000:.2f} ms")
        line(
            f"`extract.extract` (cap {MAX_CHARS:,} chars)",
            lambda c: f"{rate(len(files[c]), f[c]['extract'])} · {f[c]['chars']:,} chars",
        )
        line("worker peak RSS, capped", lambda c: f"{f[c]['rss']:.0f} MB")
        line(
            "extract without the cap (1 run)",
            lambda c: (
                f"{f[c]['whole'].seconds * 1000:,.0f} ms · {f[c]['whole'].chars:,} chars · "
                f"{f[c]['whole'].rss_mb:.0f} MB RSS"
            ),
        )
    for database, figures in uploads.items():
        line(
            f"HTTP upload, end to end ({database})",
            lambda c, fig=figures: f"{rate(len(files[c]), fig[c]['seconds'])} · {fig[c]['chars']:,} chars",
        )
    return "\n".join(lines)


def library_table(rows: list[Row], small: int, big: int) -> str:
    lines = [
        f"| page | URL | SQL at {small} | SQL at {big:,} | median ms | p95 ms | SQL ms | slowest SQL ms "
        "| HTML KB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | `{r.url}` | {r.small} | {r.big} | {r.median_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.sql_ms:.1f} | {r.slowest_ms:.1f} | {r.kb:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    files, made = make_files(args.size)
    print(f"files made: {', '.join(f'{c} {len(d):,} bytes' for c, d in files.items())}", file=sys.stderr)
    watch = Others({os.getpid()})  # the probes and their workers are reaped children: ours
    figures = {} if args.no_files else measure_files(files, args.repeat)
    busy = f"other processes used {watch.cores():.2f} cores meanwhile"
    if figures:
        busy += f"; extract() of a 15-byte .txt (the worker's start-up): {figures['start-up'] * 1000:.0f} ms"
    uploads: dict[str, Any] = {}
    reports: list[str] = []
    for kind in ("sqlite", "postgres") if args.pg else ("sqlite",):
        url = create_database(kind, args.pg)
        app = make_app(url)
        notes: list[str] = []
        try:
            print(f"generating {args.resources:,} + {args.small} resources on {kind} …", file=sys.stderr)
            library, built = build(app, args)
            if args.sql:
                run_sql(app, args.sql)
            print("timing the library …", file=sys.stderr)
            watch = Others({os.getpid()} | backends(app))
            rows = measure_library(app, library, args, notes)
            others = watch.cores()
            print("uploading …", file=sys.stderr)
            uploads[kind] = measure_uploads(app, url, library, files, args.repeat)
            report = f"{describe(app, library, built)}; other processes used {others:.2f} cores meanwhile"
            report += f"\n\n{library_table(rows, args.small, args.resources)}"
            if notes:
                report += f"\n\nStatements over {args.explain_ms:g} ms:\n" + "\n".join(notes)
            reports.append(report)
        finally:
            with app.app_context():
                db.engine.dispose()
            if args.keep:
                print(f"kept {url}", file=sys.stderr)
            else:
                drop_database(url)
            for folder in ("uploads", "search"):  # the next database starts without them
                shutil.rmtree(INSTANCE / folder, ignore_errors=True)
    print(
        f"\nmedian of {args.repeat} runs; MB = 10^6 bytes; {busy}\n\n{files_table(files, made, figures, uploads)}"
    )
    for report in reports:
        print(f"\n{report}")


if __name__ == "__main__":
    main()
