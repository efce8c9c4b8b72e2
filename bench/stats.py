"""Issue 8's figures: the 学情 pages of a region over 100,000 teachers and 1,000,000 posts
(SQL statements per page, median and p95 latency), and the import of a 5,000-row roster
(preview and import times; a file with errors on rows 17 and 4,003 refused whole).

    .venv/bin/python bench/stats.py [--database postgres] [--teachers 100000] [--posts 1000000]

The community comes from bench/generate.py; this script adds the roster (an Enrolment per
teacher), sign-ins, days of study in the last four weeks, 50,000 discussions, 50,000
research journals and replies up to the number of posts, with bulk inserts."""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import aliased

OUT = Path(__file__).resolve().parent / "out"
ROOT = OUT.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PEIXUN_INSTANCE_PATH", str(OUT / "instance"))

from bench.pages import SERVER, analyse, build, database_url, drop_database, make_app, sign_in  # noqa: E402
from peixun.accounts.models import User  # noqa: E402
from peixun.extensions import db  # noqa: E402
from peixun.spaces.models import ACTIVE, PERSONAL, REGION, SCHOOL, WORKSHOP, Membership, Space  # noqa: E402
from peixun.stats import importer  # noqa: E402
from peixun.stats.models import ActiveDay, Enrolment  # noqa: E402
from peixun.stats.queries import china_today  # noqa: E402
from peixun.stats.roster import COLUMNS  # noqa: E402
from peixun.threads.models import JOURNAL, TOPIC, Post, Thread  # noqa: E402

DATABASE = "peixun_bench_stats"
THREADS, JOURNALS = 50_000, 50_000
BATCH = 20_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--roster", type=int, default=5_000)
    parser.add_argument("--server", default=os.environ.get("PEIXUN_BENCH_PG_URL", SERVER))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    return parser.parse_args()


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])
    db.session.commit()


def add_learning(posts: int, rng: random.Random) -> dict[str, int]:
    """The roster, sign-ins, days of study and writing, as bulk inserts."""
    teachers = db.session.execute(
        select(Membership.user_id, Membership.space_id)
        .join(Space, Space.id == Membership.space_id)
        .where(Space.kind == SCHOOL, Membership.state == ACTIVE)
    ).all()
    _insert(Enrolment, [{"user_id": u, "school_id": s} for u, s in teachers])
    now = datetime.now(UTC)
    db.session.execute(update(User).where(User.id % 33 != 0).values(last_login_at=now))  # 97 % signed in
    today = china_today()
    days = []
    for user_id, _ in teachers:
        for back in rng.sample(range(28), rng.randint(0, 10)):
            days.append({"user_id": user_id, "day": today - timedelta(days=back)})
    _insert(ActiveDay, days)
    workshops = db.session.execute(select(Space.id).where(Space.kind == WORKSHOP)).scalars().all()
    personal = dict(db.session.execute(select(Space.owner_id, Space.id).where(Space.kind == PERSONAL)).all())
    people = [u for u, _ in teachers]
    first = (db.session.execute(select(func.max(Thread.id))).scalar_one() or 0) + 1
    threads, opening = [], []

    def moment() -> datetime:
        return now - timedelta(seconds=rng.randrange(56 * 86400))

    for n in range(THREADS + JOURNALS):
        author = rng.choice(people)
        journal = n >= THREADS
        when = moment()
        threads.append(
            {
                "id": first + n,
                "space_id": personal[author] if journal else rng.choice(workshops),
                "author_id": author,
                "kind": JOURNAL if journal else TOPIC,
                "title": "研修日志" if journal else "研讨",
                "created_at": when,
                "last_activity_at": when,
            }
        )
        opening.append({"thread_id": first + n, "author_id": author, "is_opening": True, "created_at": when})
    _insert(Thread, threads)
    replies = [
        {
            "thread_id": first + rng.randrange(THREADS),
            "author_id": rng.choice(people),
            "is_opening": False,
            "created_at": moment(),
        }
        for _ in range(max(0, posts - len(opening)))
    ]
    body = {"body": "研讨内容", "body_html": "<p>研讨内容</p>"}
    _insert(Post, [row | body for row in opening + replies])
    return {
        "enrolments": len(teachers),
        "active_days": len(days),
        "threads": len(threads),
        "posts": len(opening) + len(replies),
    }


def timed(run, runs: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, statements per run)."""
    statements = []
    listener = lambda *a, **k: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    times = []
    try:
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    times.sort()
    return (
        statistics.median(times),
        times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        len(statements),
    )


def roster_file(rows: int, schools: list[tuple[str, str]], errors: bool) -> bytes:
    rng = random.Random(17)  # the same rows each time: a second import changes nothing
    book = Workbook()
    sheet = book.active
    sheet.append(["学员信息表"])
    sheet.append(list(COLUMNS))
    for n in range(rows):
        district, school = rng.choice(schools)
        values = {
            "姓名": f"新教师{n}",
            "性别": "女",
            "手机": f"177{n:08d}",
            "区县": district,
            "学校": school,
            "学科": "语文",
            "学段": "初中",
        }
        if errors and n + 3 == 17:
            values["手机"] = "12345"
        if errors and n + 3 == 4003:
            values["学段"] = "幼儿园"
        sheet.append([values.get(c, "") for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def time_roster(args: argparse.Namespace) -> list[str]:
    parent = aliased(Space)
    schools = db.session.execute(
        select(parent.name, Space.name).join(parent, parent.id == Space.parent_id).where(Space.kind == SCHOOL)
    ).all()
    admin = db.session.execute(select(User).where(User.is_admin.is_(True))).scalars().first()
    lines = []
    bad = importer.start(admin, None, io.BytesIO(roster_file(args.roster, schools, True)), "名单-有错.xlsx")
    started = time.perf_counter()
    plan = importer.load_plan(bad)
    lines.append(
        f"- {args.roster:,} rows with errors: preview {time.perf_counter() - started:.1f} s, errors named: "
        + ", ".join(f"row {e.row} {e.column}" for e in plan.errors)
    )
    good = importer.start(admin, None, io.BytesIO(roster_file(args.roster, schools, False)), "名单.xlsx")
    started = time.perf_counter()
    plan = importer.load_plan(good)
    previewed = time.perf_counter() - started
    made = importer.import_roster(admin, good, plan)
    lines.append(
        f"- {args.roster:,} new teachers: preview {previewed:.1f} s, import {time.perf_counter() - started - previewed:.1f} s ({made:,} accounts)"
    )
    again = importer.start(
        admin, None, io.BytesIO(roster_file(args.roster, schools, False)), "名单-再次.xlsx"
    )
    started = time.perf_counter()
    plan = importer.load_plan(again)
    lines.append(
        f"- the same {args.roster:,} rows again: preview {time.perf_counter() - started:.1f} s, {plan.counts['same']:,} unchanged"
    )
    return lines


def main() -> None:
    args = parse_args()
    rng = random.Random(2026)
    url = database_url(args, DATABASE)
    app = make_app(url)
    app.config["WTF_CSRF_ENABLED"] = True
    added = {}
    if not args.reuse:
        started = time.perf_counter()
        build(app, argparse.Namespace(database=args.database, teachers=args.teachers))
        with app.app_context():
            added = add_learning(args.posts, rng)
            analyse()
        print(f"built in {time.perf_counter() - started:.0f} s: {added}", flush=True)
    with app.app_context():
        province = (
            db.session.execute(select(Space).where(Space.kind == REGION, Space.parent_id.is_(None)))
            .scalars()
            .first()
        )
        city = db.session.execute(select(Space).where(Space.parent_id == province.id)).scalars().first()
        county = (
            db.session.execute(select(Space).where(Space.parent_id == city.id, Space.kind == REGION))
            .scalars()
            .first()
        )
        print(f"\n{args.database}, {args.teachers:,} teachers, {args.posts:,} posts\n")
        print("| page | statements | median ms | p95 ms | KB |\n|---|--:|--:|--:|--:|")
        client = app.test_client()
        sign_in(client, "admin", "bench-password-2026")
        for label, space in (("province", province), ("city", city), ("county", county)):
            path = f"/r/{space.slug}/stats"
            size = len(client.get(path).data) / 1024
            median, p95, count = timed(lambda path=path: client.get(path), args.runs)
            print(f"| {label} 学情 `{path}` | {count} | {median:.0f} | {p95:.0f} | {size:.0f} |", flush=True)
        for line in time_roster(args) if args.roster else []:
            print(line, flush=True)
    if not args.keep:
        drop_database(args, DATABASE)


if __name__ == "__main__":
    main()
