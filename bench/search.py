"""Issue 5's figures: full-rebuild throughput, index size and query latency of both search
backends (Whoosh and PostgreSQL) on a corpus of 100,000 Chinese documents recombined from
the seed texts, searched as a plain workshop member, warm and as a fresh process's first query."""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import math
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `python bench/search.py` from the project root finds bench
INSTANCE = HERE / "out" / "instance-search"
os.environ["PEIXUN_INSTANCE_PATH"] = str(INSTANCE)  # the secret key stays out of ./instance

from flask import Flask  # noqa: E402
from sqlalchemy import text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench._search_corpus import SERVER, Corpus, create_database, drop_database, plan, write  # noqa: E402
from bench.generate import PASSWORD  # noqa: E402
from bench.pages import OUT, ROOT, analyse  # noqa: E402
from bench.threads import Others, backends  # noqa: E402
from peixun import create_app  # noqa: E402
from peixun.accounts.models import User  # noqa: E402
from peixun.config import Config  # noqa: E402
from peixun.core.indexing import registry  # noqa: E402
from peixun.core.policy import load_actor  # noqa: E402
from peixun.extensions import db  # noqa: E402
from peixun.search import analyzer, service  # noqa: E402
from peixun.search.backends.base import Filters  # noqa: E402
from peixun.search.dictionary import WORD_FREQ, current_segmenter, default_text, parse_dictionary  # noqa: E402

# Realistic searches: dictionary words, two-word queries, a phrase, an exclusion, pinyin.
QUERIES = [
    "三备两打磨",
    "校本研修 方案",
    '"课例研究"',
    "坊主 学情",
    "信息技术 数学",
    "微课 制作",
    "教学设计 -数学",
    "研修日志",
    "zhangli",
    "生成性资源",
    "观课 议课",
    "乡村教师",
    "作业 设计",
    "师德",
    "网络研修",
    "国培计划",
    "学情通报",
    "教案",
    "磨课 反思",
    "工作坊 简报",
]
FIRST_QUERIES = ["校本研修 方案", "坊主 学情", "教学设计 -数学"]  # one fresh process each
GOALS = {"rebuild": 1_000, "index_mb": 250, "whoosh_warm": 100, "whoosh_first": 150, "postgres": 100}
MB = 1_000_000
# A fresh process: create the app, optionally warm it as SEARCH_WARM does on a worker's first
# request, then time its first search (and a second one) as the searcher.
FIRST = """
import json, sys, time
begin = time.perf_counter()
from peixun import create_app
from peixun.accounts.models import User
from peixun.core.policy import load_actor
from peixun.extensions import db
from peixun.search import service
from peixun.search.backends.base import Filters
app = create_app()
created = time.perf_counter() - begin
mode, user_id, query = sys.argv[1], int(sys.argv[2]), sys.argv[3]
warmed = 0.0
if mode == "warm":
    started = time.perf_counter()
    service.warm(app)
    warmed = time.perf_counter() - started

def once():
    with app.test_request_context("/search", query_string={"q": query}):
        actor = load_actor(db.session.get(User, user_id))
        started = time.perf_counter()
        page = service.search(actor, query, Filters())
        return (time.perf_counter() - started) * 1000, page.total

first, total = once()
second, _ = once()
print(json.dumps({"start": created, "warm": warmed, "first": first, "second": second, "total": total}))
"""
# Runs in a throwaway venv with rjieba 0.2.2 and jieba 0.42.1: both segment the same Han runs
# with the education dictionary; best of 3 each.
RJIEBA = """
import json, sys, time
import jieba, rjieba
data = json.load(open(sys.argv[1], encoding="utf-8"))
runs, words, freq = data["runs"], data["words"], data["freq"]
chars = sum(map(len, runs))
started = time.perf_counter(); j = jieba.Tokenizer(); j.initialize()
[j.add_word(w, freq) for w in words]; jieba_load = time.perf_counter() - started
started = time.perf_counter(); r = rjieba.Jieba()
[r.add_word(w, freq, None) for w in words]; rjieba_load = time.perf_counter() - started
def best(cut):
    times = []
    for _ in range(3):
        started = time.perf_counter(); out = [cut(run) for run in runs]; times.append(time.perf_counter() - started)
    return min(times), out
jt, jout = best(lambda run: j.lcut(run))
rt, rout = best(lambda run: r.cut(run))
same = sum(a == b for a, b in zip(jout, rout))
print(json.dumps({"chars": chars, "runs": len(runs), "jieba": jt, "rjieba": rt, "same": same,
                  "jieba_load": jieba_load, "rjieba_load": rjieba_load}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument(
        "--backends", nargs="+", choices=("whoosh", "postgres"), default=["whoosh", "postgres"],
        help="whoosh runs on a SQLite file under /tmp, postgres on a fresh PostgreSQL database",
    )  # fmt: skip
    parser.add_argument("--server", default=os.environ.get("PEIXUN_BENCH_PG_URL", SERVER))
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the 20 queries (warm)")
    parser.add_argument("--first", type=int, default=3, help="fresh processes per first-query mode")
    parser.add_argument(
        "--profile", type=int, default=5_000, help="documents of the profiled partial rebuild"
    )
    parser.add_argument("--sample", type=int, default=3_000, help="documents the segmenters are timed on")
    parser.add_argument("--rjieba", metavar="PYTHON", help="a python with rjieba 0.2.2 and jieba 0.42.1")
    parser.add_argument(
        "--batch", type=int, default=500, help="documents per rebuild batch (one commit each)"
    )
    parser.add_argument("--no-optimize", action="store_true", help="skip Whoosh's optimize() and its re-run")
    parser.add_argument("--keep", action="store_true", help="keep databases and index folders")
    return parser.parse_args()


# --- set-up ---------------------------------------------------------------------------------


def make_app(url: str, backend: str, search_path: Path) -> Flask:
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    config.SEARCH_BACKEND = backend
    config.SEARCH_PATH = str(search_path)
    config.SEARCH_WARM = False  # warmed by hand, where it is measured
    config.SEARCH_APPLY_AFTER_REQUEST = False
    config.RATELIMIT_ENABLED = False
    return create_app(config)


def build(app: Flask, corpus: Corpus) -> tuple[dict[str, int], float]:
    """Migrate, insert the corpus, and (PostgreSQL) VACUUM ANALYZE."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        rows = write(corpus)
        analyse()
    return rows, time.perf_counter() - started


def database_mb(app: Flask) -> float:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one() / MB
        return Path(db.engine.url.database or "").stat().st_size / MB


# --- rebuild --------------------------------------------------------------------------------


@dataclass
class Rebuild:
    documents: int
    seconds: float
    index_mb: float
    split: dict[str, float]  # seconds in source loads, index_tokens, pinyin_keys
    detail: str  # segments (Whoosh) or heap / indexes / TOAST (PostgreSQL)
    others: float

    @property
    def rate(self) -> float:
        return self.documents / self.seconds


class Clock:
    """Seconds spent inside wrapped functions (a perf_counter pair per call)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, function: Callable) -> Callable:
        self.seconds.setdefault(name, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed


def _backend_module(app: Flask) -> Any:
    with app.app_context():
        return sys.modules[type(service.backend()).__module__]


def timed_rebuild(app: Flask, batch: int) -> tuple[int, float, dict[str, float]]:
    """service.rebuild() with the time inside the sources' load(), index_tokens() and
    pinyin_keys() counted (the backend module's references are swapped for the run)."""
    clock = Clock()
    module = _backend_module(app)
    saved = {name: getattr(module, name) for name in ("index_tokens", "pinyin_keys")}
    with app.app_context():
        sources = registry().sources
        originals = dict(sources)
        try:
            for name, function in saved.items():
                setattr(module, name, clock.wrap(name, function))
            for kind, source in originals.items():
                sources[kind] = dataclasses.replace(source, load=clock.wrap("load", source.load))
            started = time.perf_counter()
            total = service.rebuild(batch=batch)
            seconds = time.perf_counter() - started
        finally:
            sources.update(originals)
            for name, function in saved.items():
                setattr(module, name, function)
    return total, seconds, clock.seconds


def index_size(app: Flask, search_path: Path) -> tuple[float, str]:
    """Total MB and what it is made of: Whoosh's files by kind; PostgreSQL's heap, TOAST and
    indexes, and the average stored tsvector with and without its positions (strip())."""
    with app.app_context():
        index = service.backend()
        if index.name == "whoosh":
            files = [p for p in (search_path / "whoosh").iterdir() if p.is_file()]
            by_kind: dict[str, int] = {}
            for p in files:
                kind = p.suffix if p.suffix in (".pst", ".trm", ".seg") else "columns and other"
                by_kind[kind] = by_kind.get(kind, 0) + p.stat().st_size
            kinds = ", ".join(f"{k} {n / MB:.0f} MB" for k, n in sorted(by_kind.items(), key=lambda i: -i[1]))
            segments = len(index._ix._segments())
            total = sum(p.stat().st_size for p in files)
            return total / MB, f"{segments} segments ({kinds})"
        with db.engine.connect() as conn:
            total, heap, indexes, toast = conn.exec_driver_sql(
                "SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid),"
                " coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)"
                " FROM pg_class c WHERE c.relname = 'search_documents'"
            ).one()
            stored, stripped, lexemes = conn.exec_driver_sql(
                "SELECT avg(pg_column_size(tokens)), avg(pg_column_size(strip(tokens))), avg(length(tokens))"
                " FROM search_documents"
            ).one()
        return total / MB, (
            f"heap {heap / MB:.0f} MB, TOAST {toast / MB:.0f} MB, indexes {indexes / MB:.0f} MB; "
            f"tokens {stored or 0:,.0f} bytes a document as stored, {stripped or 0:,.0f} without positions, "
            f"{lexemes or 0:.0f} lexemes"
        )


def vacuum_search_table(app: Flask) -> float:
    """What autovacuum does soon after a rebuild's bulk insert; not counted in the rebuild."""
    started = time.perf_counter()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE search_documents"))
    return time.perf_counter() - started


def rebuild(app: Flask, search_path: Path, batch: int) -> Rebuild:
    watch = Others({os.getpid()} | backends(app))
    total, seconds, split = timed_rebuild(app, batch)
    others = watch.cores()
    size, detail = index_size(app, search_path)
    return Rebuild(total, seconds, size, split, detail, others)


# Functions whose cumulative time is the split; the first match of each label's patterns.
PROFILE_PARTS = [
    ("source load (SQL, ORM, plain_text)", ["search.py:load_threads", "search.py:load_posts", "search.py:load_resources"]),
    ("index_tokens()", ["analyzer.py:index_tokens"]),
    ("  of which rjieba Jieba.cut", ["~:<method 'cut' of 'builtins.Jieba' objects>"]),
    ("pinyin_keys()", ["analyzer.py:pinyin_keys"]),
    ("backend index() in all", ["whoosh.py:index", "postgres.py:index"]),
    ("  Whoosh writer.commit (segment write, merges)", ["writing.py:commit"]),
    ("  SQL execute (PostgreSQL upserts)", ["postgres.py:index→execute"]),
]  # fmt: skip


def profile_rebuild(app: Flask, documents: int) -> tuple[float, list[tuple[str, float]], str]:
    """A partial rebuild under cProfile: the first `documents` of the corpus, split by kind as
    the corpus is, loaded and indexed in rebuild()'s batches. Returns the wall time, the
    cumulative seconds of PROFILE_PARTS and the top entries."""
    profiler = cProfile.Profile()
    with app.app_context():
        index = service.backend()
        index.clear()
        sources = registry().sources
        ids = {kind: list(source.all_ids()) for kind, source in sources.items()}
        everything = sum(map(len, ids.values()))
        started = time.perf_counter()
        profiler.enable()
        for kind, source in sources.items():
            wanted = ids[kind][: round(documents * len(ids[kind]) / everything)]
            for start in range(0, len(wanted), service.APPLY_BATCH):
                index.index(source.load(wanted[start : start + service.APPLY_BATCH]))
                db.session.expire_all()
        profiler.disable()
        wall = time.perf_counter() - started
        index.clear()
    stats = pstats.Stats(profiler)
    parts = []
    for label, patterns in PROFILE_PARTS:
        parts.append((label, _cumulative(stats, patterns)))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    top = "\n".join(line for line in out.getvalue().splitlines() if line.strip())
    return wall, parts, top


def _cumulative(stats: pstats.Stats, patterns: list[str]) -> float:
    total = 0.0
    for pattern in patterns:
        if "→" in pattern:  # callee time reached from a given caller
            caller, callee = pattern.split("→")
            for (_file, _line, name), (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
                if name == callee:
                    for (cfile, _cline, cname), values in callers.items():
                        if f"{cfile}:{cname}".endswith(caller):
                            total += values[3]
            continue
        for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
            if f"{file}:{name}".endswith(pattern):
                total += ct
    return total


# --- segmentation alone ----------------------------------------------------------------------


@dataclass
class Segmentation:
    chars: int  # title + body characters of the sample
    documents: int
    index_tokens: float  # seconds for index_tokens(title) + index_tokens(body)
    jieba: float  # seconds of the segmenter (rjieba since 2026-12) alone on the same Han runs (and on the pinyin texts')
    pinyin: float  # pinyin_keys(title) + pinyin_keys(author_name)
    rjieba: dict[str, Any] = field(default_factory=dict)


def measure_segmentation(app: Flask, sample: int, rjieba: str | None) -> Segmentation:
    """The segmenter on the first `sample` documents, as rebuild() calls it; jieba alone on the
    same Han runs; and, in a throwaway venv, rjieba against jieba on the same runs."""
    with app.app_context():
        documents = []
        for source in registry().sources.values():
            ids = list(source.all_ids())[: sample // len(registry().sources)]
            for start in range(0, len(ids), service.APPLY_BATCH):
                documents += source.load(ids[start : start + service.APPLY_BATCH])
        seg = current_segmenter()
        texts = [t for d in documents for t in (d.title, d.body)]
        names = [t for d in documents for t in (d.title, d.author_name)]
        runs = [
            m.group()
            for t in texts + names
            for m in analyzer._RUNS.finditer(analyzer.fold(t))
            if m.group("han")
        ]
        analyzer.index_tokens(texts[0])  # the tokenizer is loaded
        started = time.perf_counter()
        for t in texts:
            analyzer.index_tokens(t)
        tokens = time.perf_counter() - started
        started = time.perf_counter()
        for t in names:
            analyzer.pinyin_keys(t)
        pinyin = time.perf_counter() - started
        started = time.perf_counter()
        for run in runs:
            seg.tokenizer.cut(run)
        alone = time.perf_counter() - started
        result = Segmentation(sum(map(len, texts)), len(documents), tokens, alone, pinyin)
        if rjieba:
            words = [w for w in parse_dictionary(default_text()).words if not w.isascii()]
            with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
                json.dump({"runs": runs, "words": words, "freq": WORD_FREQ}, f, ensure_ascii=False)
            try:
                answer = subprocess.run(
                    [rjieba, "-c", RJIEBA, f.name], capture_output=True, check=True, text=True
                )
                result.rjieba = json.loads(answer.stdout)
            finally:
                os.unlink(f.name)
    return result


# --- queries ---------------------------------------------------------------------------------


@dataclass
class Answer:
    ms: float
    total: int
    hits: int
    marked: int  # hits whose snippet or title has a <mark>
    dropped: list[str]
    exact: bool = True  # False: more than COUNT_LIMIT matched; total is the bound

    @property
    def shown(self) -> str:
        return f"{self.total:,}" + ("" if self.exact else "+")


def search_once(app: Flask, user_id: int, query: str) -> Answer:
    """One search as the results page runs it: its own request context, the actor loaded
    from the database, service.search (index, permission re-check, snippets, log)."""
    with app.test_request_context("/search", query_string={"q": query}):
        actor = load_actor(db.session.get(User, user_id))
        started = time.perf_counter()
        page = service.search(actor, query, Filters())
        ms = (time.perf_counter() - started) * 1000
        marked = sum("<mark>" in str(h.snippet) + str(h.title) for h in page.hits)
        return Answer(ms, page.total, len(page.hits), marked, page.dropped_words, page.exact)


@dataclass
class Warm:
    label: str
    times: list[float]  # every timed search, ms
    per_query: dict[str, list[float]]
    answers: dict[str, Answer]
    others: float
    inside: list[float] = field(default_factory=list)  # ms of each search inside backend.search()
    profile: str = ""  # cProfile of one run of the slowest queries

    def stats(self) -> tuple[float, float, float]:
        return percentile(self.times, 50), percentile(self.times, 95), max(self.times)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def warm_queries(app: Flask, user_id: int, rounds: int, label: str, profile: int = 0) -> Warm:
    """service.warm(), one untimed round, then `rounds` timed rounds of the 20 queries; the
    time inside the backend's search() is counted apart. With `profile`, one more run of the
    `profile` slowest queries under cProfile."""
    service.warm(app)
    answers = {q: search_once(app, user_id, q) for q in QUERIES}
    with app.app_context():
        index = service.backend()
    clock = Clock()
    index.search = clock.wrap("search", index.search)  # this instance only, for this run
    watch = Others({os.getpid()} | backends(app))
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    inside = []
    try:
        for _ in range(rounds):
            for q in QUERIES:
                before = clock.seconds["search"]
                per_query[q].append(search_once(app, user_id, q).ms)
                inside.append((clock.seconds["search"] - before) * 1000)
    finally:
        del index.search
    others = watch.cores()
    times = [ms for values in per_query.values() for ms in values]
    warm = Warm(label, times, per_query, answers, others, inside)
    if profile:
        slowest = sorted(QUERIES, key=lambda q: -statistics.median(per_query[q]))[:profile]
        profiler = cProfile.Profile()
        profiler.enable()
        for q in slowest:
            search_once(app, user_id, q)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        warm.profile = f"{', '.join(slowest)}:\n" + "\n".join(lines)
    return warm


def first_queries(
    url: str, backend: str, search_path: Path, user_id: int, mode: str, count: int
) -> list[dict]:
    """`count` fresh processes, each timing its first search (FIRST_QUERIES in turn)."""
    env = {
        **os.environ,
        "PEIXUN_DATABASE_URL": url,
        "PEIXUN_SEARCH_BACKEND": backend,
        "PEIXUN_SEARCH_PATH": str(search_path),
        "PEIXUN_INSTANCE_PATH": str(INSTANCE),
        "PEIXUN_RATELIMIT_ENABLED": "false",
    }
    results = []
    for n in range(count):
        query = FIRST_QUERIES[n % len(FIRST_QUERIES)]
        command = [sys.executable, "-c", FIRST, mode, str(user_id), query]
        answer = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if answer.returncode:
            raise RuntimeError(f"first query ({mode}, {query}) failed:\n{answer.stderr[-3000:]}")
        results.append({"query": query, **json.loads(answer.stdout.strip().splitlines()[-1])})
        print(f"    {mode} {query}: first {results[-1]['first']:.0f} ms", file=sys.stderr)
    return results


# --- one backend ------------------------------------------------------------------------------


@dataclass
class Run:
    backend: str
    database: str
    version: str
    rows: dict[str, int]
    built: float
    database_mb: float
    rebuild: Rebuild
    vacuum: float
    profile: tuple[float, list[tuple[str, float]], str] | None
    member: Warm
    admin: Warm
    first_warm: list[dict]
    first_cold: list[dict]
    optimized: tuple[float, float, str, Warm, list[dict]] | None = None
    segmentation: Segmentation | None = None


def run_backend(backend: str, corpus: Corpus, args: argparse.Namespace, segment: bool) -> Run:
    url = create_database("sqlite" if backend == "whoosh" else "postgres", args.server)
    search_path = Path(tempfile.mkdtemp(prefix="peixun_bench_search_index_"))
    app = make_app(url, backend, search_path)
    user_id = corpus.searcher.user_id
    try:
        print(f"{backend}: inserting {corpus.documents:,} documents …", file=sys.stderr)
        rows, built = build(app, corpus)
        with app.app_context(), db.engine.connect() as conn:
            version = conn.exec_driver_sql(
                "SELECT split_part(version(), ' on ', 1)"
                if conn.dialect.name == "postgresql"
                else "SELECT 'SQLite ' || sqlite_version()"
            ).scalar_one()
        profile = None
        if args.profile:
            print(f"{backend}: profiling a rebuild of {args.profile:,} documents …", file=sys.stderr)
            profile = profile_rebuild(app, args.profile)
        print(f"{backend}: rebuilding …", file=sys.stderr)
        result = rebuild(app, search_path, args.batch)
        print(
            f"  {result.documents:,} documents in {result.seconds:.0f} s, {result.index_mb:.0f} MB",
            file=sys.stderr,
        )
        vacuum = vacuum_search_table(app)
        print(f"{backend}: queries …", file=sys.stderr)
        member = warm_queries(app, user_id, args.rounds, "member", profile=3)
        admin_id = 1
        admin = warm_queries(app, admin_id, args.rounds, "admin")
        first_warm = first_queries(url, backend, search_path, user_id, "warm", args.first)
        first_cold = first_queries(url, backend, search_path, user_id, "cold", args.first)
        run = Run(
            backend, "SQLite file" if backend == "whoosh" else "PostgreSQL", version, rows, built,
            database_mb(app), result, vacuum, profile, member, admin, first_warm, first_cold,
        )  # fmt: skip
        if segment:
            print(f"{backend}: segmentation alone …", file=sys.stderr)
            run.segmentation = measure_segmentation(app, args.sample, args.rjieba)
        if backend == "whoosh" and not args.no_optimize:
            print("whoosh: optimize() …", file=sys.stderr)
            with app.app_context():
                started = time.perf_counter()
                service.backend().optimize()
                seconds = time.perf_counter() - started
            size, detail = index_size(app, search_path)
            optimized = warm_queries(app, user_id, args.rounds, "member, optimized")
            first = first_queries(url, backend, search_path, user_id, "warm", args.first)
            run.optimized = (seconds, size, detail, optimized, first)
        return run
    finally:
        with app.app_context():
            if backend == "whoosh":
                service.backend().close()
            db.engine.dispose()
        if args.keep:
            print(f"kept {url} and {search_path}", file=sys.stderr)
        else:
            drop_database(url)
            shutil.rmtree(search_path, ignore_errors=True)


# --- report ----------------------------------------------------------------------------------


def verdict(value: float, goal: float, higher: bool = False) -> str:
    met = value >= goal if higher else value <= goal
    return f"{'met' if met else '**missed**'} ({'≥' if higher else '≤'} {goal:,})"


def rebuild_table(runs: list[Run]) -> str:
    lines = [
        "| backend | documents | wall s | documents/s | index MB | layout | others (cores) |",
        "|---|--:|--:|--:|--:|---|--:|",
    ]
    for r in runs:
        b = r.rebuild
        lines.append(
            f"| {r.backend} | {b.documents:,} | {b.seconds:.0f} | {b.rate:,.0f} "
            f"{verdict(b.rate, GOALS['rebuild'], True)} | {b.index_mb:.0f} {verdict(b.index_mb, GOALS['index_mb'])} "
            f"| {b.detail} | {b.others:.2f} |"
        )
        if r.optimized:
            seconds, size, detail, _warm, _first = r.optimized
            lines.append(
                f"| whoosh, after optimize() ({seconds:.0f} s more) | | | | {size:.0f} | {detail} | |"
            )
    return "\n".join(lines)


def split_table(runs: list[Run]) -> str:
    lines = [
        "| backend | source load | index_tokens() | pinyin_keys() | the rest (backend writes, commit) |",
        "|---|--:|--:|--:|--:|",
    ]
    for r in runs:
        b, s = r.rebuild, r.rebuild.split
        rest = b.seconds - sum(s.values())

        def cell(seconds: float, whole: float = b.seconds) -> str:
            return f"{seconds:.0f} s ({seconds / whole:.0%})"

        lines.append(
            f"| {r.backend} | {cell(s['load'])} | {cell(s['index_tokens'])} | {cell(s['pinyin_keys'])} "
            f"| {cell(rest)} |"
        )
    return "\n".join(lines)


def query_table(runs: list[Run]) -> str:
    lines = [
        "| backend | searches | as | p50 ms | p95 ms | max ms | goal (p95) | in backend.search p50 / p95 ms "
        "| others (cores) |",
        "|---|---|---|--:|--:|--:|---|--:|--:|",
    ]
    for r in runs:
        goal = GOALS["whoosh_warm" if r.backend == "whoosh" else "postgres"]
        warms = [r.member, r.admin] + ([r.optimized[3]] if r.optimized else [])
        for w in warms:
            p50, p95, top = w.stats()
            check = verdict(round(p95), goal) if w.label != "admin" else "–"
            inside = f"{percentile(w.inside, 50):.0f} / {percentile(w.inside, 95):.0f}" if w.inside else "–"
            lines.append(
                f"| {r.backend} | warm, {len(w.times)} | {w.label} | {p50:.0f} | {p95:.0f} | {top:.0f} | {check} "
                f"| {inside} | {w.others:.2f} |"
            )
        first_goal = GOALS["whoosh_first"] if r.backend == "whoosh" else None
        for label, first in (
            ("first after warm()", r.first_warm),
            ("first, no warm()", r.first_cold),
            *((("first after warm(), optimized", r.optimized[4]),) if r.optimized else ()),
        ):
            if not first:
                continue
            values = [f["first"] for f in first]
            worst = max(values)
            lines.append(
                f"| {r.backend} | {label}, {len(values)} processes | member | {statistics.median(values):.0f} | "
                f"– | {worst:.0f} | {verdict(round(worst), first_goal) + ' (max)' if first_goal else '–'} | – | – |"
            )
    return "\n".join(lines)


def first_details(runs: list[Run]) -> str:
    lines = []
    for r in runs:
        optimized = (("after warm(), optimized", r.optimized[4]),) if r.optimized else ()
        for label, first in (("after warm()", r.first_warm), ("no warm()", r.first_cold), *optimized):
            if not first:
                continue
            parts = ", ".join(
                f"{f['query']}: {f['first']:.0f} ms then {f['second']:.0f} ms"
                + (f" (warm() {f['warm'] * 1000:.0f} ms)" if f["warm"] else "")
                for f in first
            )
            start = statistics.median(f["start"] for f in first)
            lines.append(f"- {r.backend}, {label}: {parts}; import + create_app {start:.1f} s")
    return "\n".join(lines)


def per_query_table(runs: list[Run]) -> str:
    """Hits and median latency per query and backend; differing totals are flagged."""
    head = "| query | " + " | ".join(f"{r.backend} hits (member / admin)" for r in runs)
    head += " | " + " | ".join(f"{r.backend} ms (member / admin)" for r in runs) + " |"
    lines = [head, "|---|" + "--:|" * (2 * len(runs))]
    for q in QUERIES:
        dropped = runs[0].member.answers[q].dropped
        note = f" (dropped {', '.join(dropped)})" if dropped else ""
        if len({(r.member.answers[q].total, r.admin.answers[q].total) for r in runs}) > 1:
            note += " **totals differ**"
        cells = [f"{r.member.answers[q].shown} / {r.admin.answers[q].shown}" for r in runs]
        cells += [
            f"{statistics.median(r.member.per_query[q]):.0f} / {statistics.median(r.admin.per_query[q]):.0f}"
            for r in runs
        ]
        lines.append(f"| `{q}`{note} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def segmentation_report(seg: Segmentation, runs: list[Run]) -> str:
    rate = seg.chars / seg.index_tokens
    lines = [
        f"Segmentation alone, {seg.documents:,} documents ({seg.chars:,} characters of titles and bodies):",
        f"- index_tokens(): {rate / 1e6:.2f} M chars/s ({seg.documents / seg.index_tokens:,.0f} documents/s); "
        f"the app's segmenter (rjieba) alone on the same Han runs (and on the titles and names pinyin_keys() segments): "
        f"{seg.jieba:.1f} s of the {seg.index_tokens + seg.pinyin:.1f} s that index_tokens() and pinyin_keys() take "
        f"({seg.jieba / (seg.index_tokens + seg.pinyin):.0%}); pinyin_keys() of titles and names: {seg.pinyin:.2f} s.",
    ]
    r = seg.rjieba
    if r:
        speed = r["jieba"] / r["rjieba"]
        lines.append(
            f"- rjieba 0.2.2 vs jieba 0.42.1 (throwaway venv, same Han runs, education dictionary, best of 3): "
            f"{r['chars'] / r['jieba'] / 1e6:.2f} vs {r['chars'] / r['rjieba'] / 1e6:.2f} M chars/s "
            f"({speed:.1f}×); identical tokens on {r['same']:,} of {r['runs']:,} runs; load with the dictionary "
            f"{r['jieba_load']:.2f} s vs {r['rjieba_load']:.2f} s."
        )
        share = seg.jieba / (seg.index_tokens + seg.pinyin)
        for run in runs:
            b = run.rebuild
            segmenting = b.split["index_tokens"] + b.split["pinyin_keys"]
            saved = segmenting * share * (1 - 1 / speed)
            projected = b.seconds - saved
            lines.append(
                f"- Projected {run.backend} rebuild with rjieba in place of jieba: {b.seconds:.0f} − {saved:.0f} s = "
                f"{projected:.0f} s, {b.documents / projected:,.0f} documents/s."
            )
    return "\n".join(lines)


def profile_report(runs: list[Run]) -> str:
    out = []
    for r in runs:
        if r.profile is None:
            continue
        wall, parts, top = r.profile
        shares = "; ".join(
            f"{label.strip()} {seconds:.1f} s ({seconds / wall:.0%})" for label, seconds in parts if seconds
        )
        out.append(f"{r.backend}, cProfile of a partial rebuild ({wall:.1f} s under the profiler): {shares}")
        out.append("```\n" + top + "\n```")
    for r in runs:
        if r.member.profile:
            out.append(
                f"{r.backend}, cProfile of one search each of the slowest queries, "
                + r.member.profile.split(":\n", 1)[0]
            )
            out.append("```\n" + r.member.profile.split(":\n", 1)[1] + "\n```")
    return "\n\n".join(out)


def code_version() -> str:
    """The commit measured, and whether the search code differs from it in the working tree."""

    def git(*command: str) -> str:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    dirty = git("status", "--short", "--", "peixun/search", "peixun/*/search.py", "peixun/core/indexing.py")
    return commit + (" (search code modified in the working tree)" if dirty else "")


def describe(corpus: Corpus, runs: list[Run]) -> str:
    s = corpus.searcher
    counts = ", ".join(f"{kind} {n:,}" for kind, n in corpus.counts.items())
    out = [
        f"Commit {code_version()}; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}. "
        f"Corpus: {corpus.documents:,} documents ({counts}), {corpus.chars / corpus.documents:.0f} characters "
        f"of body on average, from {corpus.sentences} distinct seed sentences. Searcher {s.username}: a plain "
        f"member of {', '.join(s.workshops)}, may read {s.readable:,} documents ({s.readable / corpus.documents:.0%}).",
    ]
    for r in runs:
        rows = ", ".join(
            f"{name} {n:,}"
            for name, n in r.rows.items()
            if name in ("users", "threads", "posts", "resources")
        )
        out.append(
            f"- {r.backend}: {r.version}; corpus inserted in {r.built:.0f} s ({rows}); database {r.database_mb:.0f} MB"
            + (
                f"; VACUUM ANALYZE search_documents after the rebuild {r.vacuum:.1f} s"
                if r.backend == "postgres"
                else ""
            )
        )
    return "\n".join(out)


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    print(f"planning {args.documents:,} documents …", file=sys.stderr)
    corpus = plan(args.documents, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    runs: list[Run] = []
    for backend in args.backends:
        runs.append(run_backend(backend, corpus, args, segment=not runs and args.sample > 0))
    segmentation = next((r.segmentation for r in runs if r.segmentation), None)
    print(f"\n{describe(corpus, runs)}\n")
    print(f"Rebuild (`service.rebuild(batch={args.batch})`):\n\n{rebuild_table(runs)}\n")
    print(f"Where the rebuild's time goes (timed inside the run):\n\n{split_table(runs)}\n")
    print(f"Queries (top 10 with snippets, `service.search` in a request context):\n\n{query_table(runs)}\n")
    print(f"First queries:\n{first_details(runs)}\n")
    print(f"Per query (member: median of {args.rounds} rounds):\n\n{per_query_table(runs)}\n")
    if segmentation:
        print(segmentation_report(segmentation, runs) + "\n")
    print(profile_report(runs))


if __name__ == "__main__":
    main()
