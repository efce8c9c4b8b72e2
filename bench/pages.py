"""Time the main pages on a generated community: SQL queries, median and p95 latency, HTML size."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

OUT = Path(__file__).resolve().parent / "out"
ROOT = OUT.parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/pages.py` from the project root finds peixun and bench
os.environ.setdefault("PEIXUN_INSTANCE_PATH", str(OUT / "instance"))  # the secret key stays out of ./instance

from bench.generate import Manifest, generate  # noqa: E402
from peixun import create_app  # noqa: E402
from peixun.config import Config, normalise_database_url  # noqa: E402
from peixun.extensions import db  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_DATABASE = "peixun_bench"
PER_PAGE = 40  # spaces.queries.members_page


@dataclass
class Result:
    name: str
    url: str
    queries: str
    median_ms: float
    p95_ms: float
    kb: float
    runs: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=40, help="seconds per page before fewer runs")
    parser.add_argument("--server", default=os.environ.get("PEIXUN_BENCH_PG_URL", SERVER))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept database, do not generate")
    parser.add_argument("--sql", type=Path, help="statements to run before timing (a candidate index)")
    parser.add_argument(
        "--explain", type=float, metavar="MS", help="explain the slowest SQL of pages with a p95 over MS"
    )
    return parser.parse_args()


# --- the database -----------------------------------------------------------------------


def sqlite_path(name: str) -> Path:
    """bench/out/bench.db for this benchmark, bench/out/<name>.db for the others."""
    return OUT / ("bench.db" if name == PG_DATABASE else f"{name}.db")


def database_url(args: argparse.Namespace, name: str = PG_DATABASE) -> str:
    """A fresh database (unless --reuse): a file in bench/out/, or `name` on the server."""
    if args.database == "sqlite":
        path = sqlite_path(name)
        if not args.reuse:
            path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    server = make_url(normalise_database_url(args.server))
    if not args.reuse:
        with _admin(server) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(args: argparse.Namespace, name: str = PG_DATABASE) -> None:
    if args.database == "sqlite":
        sqlite_path(name).unlink(missing_ok=True)
        return
    with _admin(make_url(normalise_database_url(args.server))) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _admin(server: Any):
    return create_engine(server, isolation_level="AUTOCOMMIT").connect()


def make_app(url: str) -> Flask:
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    return create_app(config)


def build(app: Flask, args: argparse.Namespace) -> tuple[Manifest, float]:
    """Migrate, generate and (PostgreSQL) analyse, as autovacuum would soon after a bulk load."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        manifest = generate(args.teachers, app.config["PASSWORD_HASH_METHOD"])
        analyse()
    (OUT / f"{args.database}.json").write_text(json.dumps(manifest.to_dict(), ensure_ascii=False))
    return manifest, time.perf_counter() - started


def analyse() -> None:
    """VACUUM ANALYZE on PostgreSQL (in an app context); SQLite gets none, as the app runs none."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def run_sql(app: Flask, path: Path) -> None:
    """Run a file of `;`-separated statements (`--` comments allowed); PostgreSQL re-analyses."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")]
    with app.app_context(), db.engine.begin() as conn:
        for statement in "\n".join(lines).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


# --- timing -----------------------------------------------------------------------------


def sign_in(client: FlaskClient, username: str, password: str) -> None:
    """Through the real form, with the CSRF token from the page."""
    html = client.get("/login").get_data(as_text=True)
    token = BeautifulSoup(html, "html.parser").find("input", {"name": "csrf_token"})["value"]
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def pages(m: Manifest) -> list[tuple[str, str, bool]]:
    """(name, url, signed in) for every page to time."""
    deep = max(1, math.ceil(m.city_members / PER_PAGE) - 1)
    return [
        ("home (signed in)", "/", True),
        ("home (guest)", "/", False),
        ("province", f"/r/{m.province}", True),
        ("city", f"/r/{m.city}", True),
        ("county", f"/r/{m.county}", True),
        ("city members p1", f"/r/{m.city}/members", True),
        ("city members deep", f"/r/{m.city}/members?page={deep}", True),
        (f"workshop ({m.workshop_members} members)", f"/w/{m.workshop}", True),
        ("workshop members", f"/w/{m.workshop}/members", True),
        ("school", f"/s/{m.school}", True),
        ("personal", f"/u/{m.teacher}", True),
        ("login (guest)", "/login", False),
    ]


class Statements:
    """Every SQL statement a request sends, with its parameters."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.items.append((statement, parameters))


def measure(app: Flask, m: Manifest, args: argparse.Namespace) -> list[Result]:
    teacher, guest = app.test_client(), app.test_client()
    sign_in(teacher, m.teacher, m.password)
    with app.app_context():
        engine = db.engine
    results = []
    for name, url, signed_in in pages(m):
        client = teacher if signed_in else guest
        response = client.get(url)  # warm-up: template compilation, statement cache
        assert response.status_code == 200, f"{url}: {response.status_code}"
        size = len(response.data) / 1024
        counts, times = set(), []
        started = time.perf_counter()
        while len(times) < args.runs and (len(times) < 5 or time.perf_counter() - started < args.budget):
            statements = Statements()
            event.listen(engine, "before_cursor_execute", statements)
            begin = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - begin)
            event.remove(engine, "before_cursor_execute", statements)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            counts.add(len(statements.items))
        result = Result(name, url, _span(counts), *_stats(times), size, len(times))
        results.append(result)
        print(f"  {name}: {result.median_ms:.1f} ms", file=sys.stderr)
        if args.explain is not None and result.p95_ms > args.explain:
            explain(app, statements)
    return results


def _span(counts: set[int]) -> str:
    return str(min(counts)) if len(counts) == 1 else f"{min(counts)}–{max(counts)}"


def _stats(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
    return statistics.median(ordered) * 1000, p95 * 1000


def explain(app: Flask, statements: Statements) -> None:
    """Re-run the statements of the last request, print the slowest three and the plan of the first.

    Timed with every row fetched: SQLite does most of its work while rows are fetched,
    after the cursor events have fired.
    """
    timed = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in statements.items:
            begin = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).all()
            timed.append((time.perf_counter() - begin, statement, parameters))
        timed.sort(key=lambda item: item[0], reverse=True)
        postgres = conn.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        plan = conn.exec_driver_sql(prefix + timed[0][1], timed[0][2]).all()
    for seconds, statement, parameters in timed[:3]:
        print(
            f"    {seconds * 1000:7.1f} ms  {' '.join(statement.split())[:300]}  {parameters}",
            file=sys.stderr,
        )
    for row in plan:
        print("    | " + " ".join(str(value) for value in row), file=sys.stderr)


# --- report -----------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    lines = [
        "| page | URL | SQL queries | median ms | p95 ms | HTML KB | runs |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | `{r.url}` | {r.queries} | {r.median_ms:.1f} | {r.p95_ms:.1f} | {r.kb:.1f} | {r.runs} |"
        )
    return "\n".join(lines)


def describe(app: Flask, m: Manifest, built: float | None) -> str:
    with app.app_context(), db.engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SELECT version()"
            if conn.dialect.name == "postgresql"
            else "SELECT 'SQLite ' || sqlite_version()"
        ).scalar_one()
    rows = ", ".join(f"{name} {count:,}" for name, count in m.rows.items())
    generated = f"generated in {built:.{0 if built >= 10 else 1}f} s" if built is not None else "reused"
    load = os.getloadavg()[0]  # other work on the machine shows up in the p95 column
    return (
        f"{str(version).split(',')[0]}; {os.cpu_count()} cores, load {load:.1f}, "
        f"Python {platform.python_version()}; {generated}; {rows}; signed in as {m.teacher}"
    )


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    url = database_url(args)
    app = make_app(url)
    try:
        if args.reuse:
            manifest, built = Manifest(**json.loads((OUT / f"{args.database}.json").read_text())), None
        else:
            print(f"generating {args.teachers:,} teachers on {args.database} …", file=sys.stderr)
            manifest, built = build(app, args)
        if args.sql:
            run_sql(app, args.sql)
        print("timing pages …", file=sys.stderr)
        results = measure(app, manifest, args)
        print(f"\n{describe(app, manifest, built)}\n\n{table(results)}")
    finally:
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_database(args)


if __name__ == "__main__":
    main()
