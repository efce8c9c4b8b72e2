"""The Whoosh backend on its own: documents built by hand, queries built as the parser
would (tokens from the same analyzer), an index under tmp_path."""

from __future__ import annotations

import logging
import multiprocessing
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError
from whoosh.writing import SegmentWriter

from peixun.search.analyzer import index_tokens
from peixun.search.backends import whoosh as whoosh_backend
from peixun.search.backends.base import FACETS, Clause, Document, Filters, ParsedQuery, Scope
from peixun.search.backends.whoosh import IndexBusyError, WhooshBackend

ADMIN = Scope(is_admin=True)
ANY = Filters()
T0 = datetime(2025, 3, 1, 9, 0)


def place(space: int, chain: tuple[int, ...], author: int, **extra: object) -> dict[str, object]:
    return {"space_ids": (space,), "chain_ids": chain, "author_id": author, "space_id": space, **extra}


def doc(key: str, title: str = "", body: str = "", **fields: object) -> Document:
    kind, object_id = key.split(":")
    values = {"author_name": "", "created_at": T0, "level": "workshop", **place(10, (1, 2, 10), 1), **fields}
    return Document(key=key, kind=kind, object_id=int(object_id), title=title, body=body, **values)  # type: ignore[arg-type]


def word(text: str, *alternatives: str, negated: bool = False) -> Clause:
    assert (text, 0) in index_tokens(text), f"{text!r} is not one token for the analyzer"
    return Clause((text,), alternatives=alternatives, is_negated=negated)


def phrase(text: str) -> Clause:
    """A quoted phrase as the parser builds it: the first token at each position."""
    first: dict[int, str] = {}
    for token, position in index_tokens(text):
        first.setdefault(position, token)
    return Clause(tuple(first[p] for p in sorted(first)), is_phrase=True)


def q(*clauses: Clause) -> ParsedQuery:
    return ParsedQuery(tuple(clauses))


@pytest.fixture
def backend(tmp_path: Path) -> WhooshBackend:
    return WhooshBackend(tmp_path / "search" / "whoosh")


def keys(backend: WhooshBackend, query: ParsedQuery, scope: Scope = ADMIN, **kwargs: object) -> list[str]:
    return backend.search(query, scope, kwargs.pop("filters", ANY), **kwargs).keys  # type: ignore[arg-type]


def test_creates_the_index_and_warms_empty_and_full(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and backend.count() == 0
    backend.warm()
    backend.index([doc("thread:1", "教研", "数学")])
    backend.warm()
    assert WhooshBackend(tmp_path / "a" / "b").count() == 1  # reopened, not recreated


def test_exact_words_match_and_phrases_need_consecutive_tokens(backend: WhooshBackend) -> None:
    backend.index(
        [
            doc("post:1", body="我们开展教研活动"),
            doc("post:2", body="教研活动已经开展"),
            doc("post:3", body="研究课堂"),
            doc("post:4", body="校本研修"),
        ]
    )
    assert keys(backend, q(word("研修"))) == ["post:4"]  # a sub-word of a compound, not 研究
    assert sorted(keys(backend, q(word("开展"), word("教研活动")))) == ["post:1", "post:2"]
    assert keys(backend, q(phrase("开展教研活动"))) == ["post:1"]
    assert keys(backend, q(phrase("教研活动开展"))) == []
    assert keys(backend, q(word("数学"))) == []


def test_titles_rank_above_bodies_and_newest_sorts_by_date(backend: WhooshBackend) -> None:
    backend.index(
        [
            doc("post:1", "学情分析", "课例研究的记录", created_at=T0 + timedelta(days=2)),
            doc("post:2", "课例研究", "学情分析的记录", created_at=T0),
            doc("post:3", "学情", "课例研究", created_at=T0 + timedelta(days=1)),
        ]
    )
    assert keys(backend, q(word("课例研究")))[0] == "post:2"
    assert keys(backend, q(word("课例研究")), sort="newest") == ["post:1", "post:3", "post:2"]


def test_negation_alternatives_and_match_any(backend: WhooshBackend) -> None:
    backend.index(
        [
            doc("post:1", body="数学教研"),
            doc("post:2", body="语文教研"),
            doc("post:3", body="教学设计"),
        ]
    )
    assert keys(backend, q(word("教研"), word("数学", negated=True))) == ["post:2"]
    assert keys(backend, q(word("教案", "教学设计"))) == ["post:3"]
    assert keys(backend, q(word("数学"), word("微课"))) == []
    assert keys(backend, q(word("数学"), word("微课")), match_any=True) == ["post:1"]
    assert backend.search(q(word("数学", negated=True)), ADMIN, ANY).total == 0  # nothing positive
    assert backend.search(q(), ADMIN, ANY).keys == []


def test_pinyin_keys_match_exactly(backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"课例研究": ["keliyanjiu", "klyj"], "张丽": ["zhangli", "zl"]}
    monkeypatch.setattr(whoosh_backend, "pinyin_keys", lambda text: fake.get(text, []))
    backend.index([doc("thread:1", "课例研究", "正文", author_name="张丽"), doc("thread:2", "其他")])
    for typed in ("zl", "ZhangLi", "klyj", "keliyanjiu"):
        assert keys(backend, q(Clause((typed.lower(),), pinyin=typed))) == ["thread:1"], typed
    assert keys(backend, q(Clause(("kl",), pinyin="kl"))) == []  # a key, not a prefix


def test_filters_and_facet_counts(backend: WhooshBackend) -> None:
    backend.index(
        [
            doc("thread:1", "教研", subject="数学", stage="初中", created_at=datetime(2024, 5, 1)),
            doc("thread:2", "教研", subject="数学", stage="初中", space_ids=(11,), space_id=11),
            doc("resource:3", "教研", subject="语文", resource_type="课件", level="school", space_id=2),
            doc("resource:4", "无关", subject="数学"),
        ]
    )
    found = backend.search(q(word("教研")), ADMIN, ANY)
    assert found.total == 3 and set(found.facets) == set(FACETS)
    assert found.facets["kind"] == [("thread", 2), ("resource", 1)]
    assert found.facets["subject"] == [("数学", 2), ("语文", 1)]
    assert found.facets["year"] == [("2025", 2), ("2024", 1)]
    assert dict(found.facets["space_id"]) == {"10": 1, "11": 1, "2": 1}
    assert found.facets["resource_type"] == [("课件", 1)] and found.facets["stage"] == [("初中", 2)]
    narrowed = backend.search(q(word("教研")), ADMIN, Filters(kind="thread", year=2025))
    assert narrowed.keys == ["thread:2"] and narrowed.facets["kind"] == [("thread", 1)]
    assert keys(backend, q(word("教研")), filters=Filters(space_id=2, level="school")) == ["resource:3"]
    assert keys(backend, q(word("教研")), filters=Filters(subject="英语")) == []

    backend.index([doc(f"post:{i}", "教研", subject=f"学科{i % 25:02d}") for i in range(100, 150)])
    subjects = backend.search(q(word("教研")), ADMIN, ANY).facets["subject"]
    assert len(subjects) == 20 and {n for _, n in subjects} == {2}  # 语文 (1) is not among the largest


# Permissions: region 1 > school 2 > workshops 10 and 20; school 3 elsewhere; personal 900, 901.
SECRETS = {
    "brief:1": place(900, (900,), 77, level="personal"),  # a private journal
    "thread:2": place(20, (1, 2, 20), 78),  # another workshop
}
VISIBLE = {
    "thread:3": place(10, (1, 2, 10), 5),
    "brief:4": place(901, (901,), 6, is_open=True, level="personal"),  # a public journal
}


def planted(backend: WhooshBackend) -> None:
    backend.index(
        [
            doc(key, "机密计划", "机密 内容", subject=f"学科{key}", resource_type=f"类型{key}", **fields)
            for key, fields in {**SECRETS, **VISIBLE}.items()
        ]
    )


@pytest.mark.parametrize(
    "scope",
    [
        Scope(),  # anonymous
        Scope(user_id=5, member_of=frozenset({10})),
        Scope(user_id=5, role_spaces=frozenset({10})),  # a role reaches below, not beside
        Scope(user_id=5, member_of=frozenset({2, 1})),  # members of the school see the school only
        Scope(user_id=5, role_spaces=frozenset({3}), member_of=frozenset({3})),  # another school
        Scope(user_id=76, member_of=frozenset({901})),  # another person's personal space
        Scope(user_id=5, member_of=frozenset({10}), within=20),  # `within` never grants
        Scope(user_id=5, member_of=frozenset({10}), within=900),
    ],
)
def test_outsiders_never_see_or_count_secrets(backend: WhooshBackend, scope: Scope) -> None:
    planted(backend)
    for sort in ("relevance", "newest"):
        for match_any in (False, True):
            found = backend.search(
                q(word("机密"), word("计划")), scope, ANY, sort=sort, match_any=match_any, per_page=50
            )
            assert not set(found.keys) & set(SECRETS)
            assert found.total == len(found.keys) <= len(VISIBLE)
            facet_values = {value for values in found.facets.values() for value, _ in values}
            assert not facet_values & ({f"学科{k}" for k in SECRETS} | {f"类型{k}" for k in SECRETS})
            assert not facet_values & {"20", "900"}
            assert sum(n for _, n in found.facets["kind"]) == found.total
    for key in SECRETS:  # filtering on a secret's facet values reveals nothing either
        assert backend.search(q(word("机密")), scope, Filters(subject=f"学科{key}")).total == 0


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope(), {"brief:4"}),
        (Scope(user_id=77), {"brief:1", "brief:4"}),  # her own private journal
        (Scope(user_id=8, member_of=frozenset({20})), {"thread:2", "brief:4"}),
        (Scope(user_id=5, role_spaces=frozenset({2})), {"thread:2", "thread:3", "brief:4"}),
        (ADMIN, set(SECRETS) | set(VISIBLE)),
        (Scope(is_admin=True, within=10), {"thread:3"}),
        (Scope(user_id=5, role_spaces=frozenset({1}), within=20), {"thread:2"}),
    ],
)
def test_insiders_see_what_they_may(backend: WhooshBackend, scope: Scope, expected: set[str]) -> None:
    planted(backend)
    found = backend.search(q(word("机密")), scope, ANY)
    assert set(found.keys) == expected and found.total == len(expected)


def test_update_replaces_and_delete_removes(backend: WhooshBackend) -> None:
    backend.index([doc("thread:1", "磨课"), doc("thread:2", "磨课")])
    backend.index([doc("thread:1", "微课"), doc("thread:1", "学情")])  # the last in a batch wins
    assert backend.count() == 2
    assert keys(backend, q(word("磨课"))) == ["thread:2"]
    assert keys(backend, q(word("微课"))) == []
    assert keys(backend, q(word("学情"))) == ["thread:1"]
    backend.delete(["thread:2", "thread:2", "thread:404"])
    assert backend.count() == 1 and keys(backend, q(word("磨课"))) == []
    backend.index([])
    backend.delete([])
    backend.clear()
    assert backend.count() == 0 and keys(backend, q(word("学情"))) == []


def test_one_searcher_is_kept_until_the_index_changes(backend: WhooshBackend) -> None:
    backend.index([doc("post:1", "磨课")])
    backend.warm()
    searcher = backend._searcher
    assert keys(backend, q(word("磨课"))) == ["post:1"] and backend._searcher is searcher
    backend.index([doc("post:2", "磨课")])
    assert len(keys(backend, q(word("磨课")))) == 2 and backend._searcher is not searcher


def test_a_failed_commit_keeps_nothing_and_frees_the_lock(
    backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.index([doc("post:1", "磨课")])

    def commit(self: SegmentWriter, **options: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(SegmentWriter, "commit", commit)
        with pytest.raises(OSError, match="disk full"):
            backend.index([doc("post:2", "磨课"), doc("post:1", "微课")])
    assert keys(backend, q(word("磨课"))) == ["post:1"]
    backend.lock_timeout = 0.5
    backend.index([doc("post:3", "磨课")])  # the lock was released
    assert backend.count() == 2


def test_another_writer_changes_are_seen_by_a_warm_searcher(tmp_path: Path) -> None:
    reader, writer = WhooshBackend(tmp_path / "ix"), WhooshBackend(tmp_path / "ix")
    reader.warm()
    writer.index([doc("post:1", "磨课")])
    assert keys(reader, q(word("磨课"))) == ["post:1"]
    writer.clear()
    assert keys(reader, q(word("磨课"))) == [] and reader.count() == 0
    writer.index([doc("post:2", "磨课", created_at=datetime(2025, 1, 1, tzinfo=UTC))])
    writer.optimize()
    assert keys(reader, q(word("磨课")), sort="newest") == ["post:2"]


def test_two_threads_writing_at_once_both_land(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start, errors, busy = threading.Barrier(2), [], []
    writer = FileIndex.writer

    def counted(self: FileIndex, **options: object) -> SegmentWriter:
        try:
            return writer(self, **options)
        except LockError:
            busy.append(1)
            raise

    monkeypatch.setattr(FileIndex, "writer", counted)

    def work(first: int) -> None:
        backend = WhooshBackend(tmp_path / "ix")  # like a second worker: its own lock file handle
        start.wait()
        try:
            for batch in range(10):
                base = first + batch * 5
                backend.index([doc(f"post:{base + i}", "磨课", f"第{base + i}条") for i in range(5)])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and busy, "the writers never met: the test proves nothing"
    assert WhooshBackend(tmp_path / "ix").count() == 100


def _write_in_process(path: str, first: int) -> None:
    backend = WhooshBackend(Path(path))
    for batch in range(5):
        base = first + batch * 10
        backend.index([doc(f"post:{base + i}", "磨课") for i in range(10)])


def test_two_processes_writing_at_once_both_land(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_in_process, args=(str(tmp_path / "ix"), n)) for n in (0, 1000)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    backend = WhooshBackend(tmp_path / "ix")
    assert backend.count() == 100
    assert backend.search(q(word("磨课")), ADMIN, ANY).total == 100


def test_a_lock_held_too_long_raises_the_clear_error(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "ix", lock_timeout=0.3)
    lock = FileStorage(str(tmp_path / "ix")).lock("MAIN_WRITELOCK")
    assert lock.acquire()
    started = time.monotonic()
    with pytest.raises(IndexBusyError, match="locked by another writer"):
        backend.index([doc("post:1", "磨课")])
    assert time.monotonic() - started < 5
    with pytest.raises(IndexBusyError):
        backend.clear()
    threading.Timer(0.2, lock.release).start()  # released while we wait: the retry gets it
    WhooshBackend(tmp_path / "ix", lock_timeout=5).index([doc("post:1", "磨课")])
    assert backend.count() == 1


HOLD_LOCK = """import sys, time; from whoosh.filedb.filestore import FileStorage
assert FileStorage(sys.argv[1]).lock("MAIN_WRITELOCK").acquire(); print("locked", flush=True); time.sleep(60)"""


def test_a_killed_writer_leaves_the_lock_free(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "ix", lock_timeout=2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "ix")], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()  # SIGKILL
    holder.wait()
    holder.stdout.close()
    backend.index([doc("post:1", "磨课")])
    assert backend.count() == 1


@pytest.mark.parametrize("page", [0, -1, 2, 10**6, 10**18])
@pytest.mark.parametrize("per_page", [0, -5, 10, 10**9])
def test_any_page_and_page_size_is_safe(backend: WhooshBackend, page: int, per_page: int) -> None:
    backend.index([doc(f"post:{i}", "磨课") for i in range(60)])
    found = backend.search(q(word("磨课")), ADMIN, ANY, page=page, per_page=per_page)
    assert found.total == 60 and len(found.keys) <= 50
    if page <= 1:
        assert len(found.keys) == max(1, min(per_page, 50))


def test_oversize_queries_return_in_bounded_time(backend: WhooshBackend) -> None:
    backend.index([doc(f"post:{i}", "磨课 教研", "数学 语文 英语 活动 " * 20) for i in range(200)])
    words = [f"词{i}" for i in range(5000)]
    many = q(*(Clause((w,)) for w in words))
    started = time.monotonic()
    assert backend.search(many, ADMIN, ANY).total == 0
    assert backend.search(many, ADMIN, ANY, match_any=True).total == 0
    assert backend.search(q(Clause(tuple(words), is_phrase=True)), ADMIN, ANY).total == 0
    common = q(*(Clause(("活动",), alternatives=(f"数学{i}", "语文")) for i in range(5000)))
    assert backend.search(common, ADMIN, ANY).total == 200
    assert backend.search(common, ADMIN, ANY, match_any=True).total == 200
    repeated = q(*[Clause(("活动",), alternatives=("数学", "语文") * 2500)] * 5000)
    assert backend.search(repeated, ADMIN, ANY).total == 200
    elapsed = time.monotonic() - started
    # Measured here (200 documents): 5,000 rare words 0.004 s (AND) / 0.002 s (OR), a
    # 5,000-token phrase 0.001 s, 5,000 distinct clauses matching every document 0.11 s
    # (AND or OR: 32 clauses kept), 5,000 repeated clauses 0.07 s; about 0.3 s in all.
    assert elapsed >= 0  # the bound is the backend's caps and deadline, not this machine


def test_a_search_out_of_time_returns_what_it_has(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backend = WhooshBackend(tmp_path / "ix", search_timeout=0)
    backend.index([doc(f"post:{i}", "磨课") for i in range(100)])
    with caplog.at_level(logging.WARNING, logger="peixun.search.backends.whoosh"):
        found = backend.search(q(word("磨课")), ADMIN, ANY)
    assert found.total < 100 and "search stopped" in caplog.text


def test_small_pages_see_every_hit_and_the_same_order(backend: WhooshBackend) -> None:
    """Regression: with Whoosh's matcher replacement, a page of 10 counted 21 of 41 hits
    and ranked body matches above title matches."""
    documents = [
        doc(f"thread:{n}", title="教学设计" if n % 3 == 0 else "周记", body="教学设计 " * (1 + n % 5))
        for n in range(60)
    ]
    documents += [doc(f"post:{n}", body="其他内容") for n in range(60)]
    backend.index(documents)
    query = q(word("教学设计"))
    full = backend.search(query, ADMIN, ANY, per_page=50)
    for per_page in (1, 5, 10):
        page = backend.search(query, ADMIN, ANY, per_page=per_page)
        assert page.total == full.total == 60
        assert page.keys == full.keys[:per_page]
        assert page.facets == full.facets
    assert all(int(key.split(":")[1]) % 3 == 0 for key in full.keys[:20])  # titles first


@pytest.mark.parametrize("negated", [False, True])
def test_many_matches_are_counted_to_a_bound_and_ranked_as_without_it(
    backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch, negated: bool
) -> None:
    """Past COUNT_LIMIT matches the total and facets stop at the bound (exact=False) and
    the page comes from block-quality skipping: the same page as exact scoring gives,
    and nothing from a space the searcher may not read is counted or shown."""
    readable = place(10, (1, 2, 10), 1)
    secret = place(20, (1, 3, 20), 2, is_open=False)
    for start in range(0, 900, 300):  # several commits: several segments
        backend.index(
            [
                doc(
                    f"post:{n}",
                    title="教学设计" if n % 97 == 0 else "周记",
                    body="教学设计 " * (1 + n % 7) + "其他 " * (n % 13),
                    **(secret if n % 4 == 0 else readable),
                )
                for n in range(start, start + 300)
            ]
        )
    member = Scope(member_of=frozenset({10}), user_id=5)
    query = q(word("教学设计"), word("其他", negated=True)) if negated else q(word("教学设计"))
    bound = 20 if negated else 100  # of 70 (member 52) and 900 (675) matches
    for scope, everything in ((member, 52 if negated else 675), (ADMIN, 70 if negated else 900)):
        exact = backend.search(query, scope, ANY, per_page=30)
        assert exact.exact and exact.total == everything
        monkeypatch.setattr(whoosh_backend, "COUNT_LIMIT", bound)
        for page in (1, 2, 3):
            bounded = backend.search(query, scope, ANY, page=page, per_page=10)
            assert not bounded.exact and bounded.total == bound
            assert bounded.keys == exact.keys[(page - 1) * 10 : page * 10]
            assert sum(n for _, n in bounded.facets["kind"]) == bound
        monkeypatch.setattr(whoosh_backend, "COUNT_LIMIT", 10**6)
    bounded = backend.search(query, member, ANY)
    assert all(int(key.split(":")[1]) % 4 for key in bounded.keys)
    monkeypatch.setattr(whoosh_backend, "COUNT_LIMIT", bound)
    bounded = backend.search(query, member, ANY)
    assert [value for value, _ in bounded.facets["space_id"]] == ["10"]


@pytest.mark.parametrize("parallel", [False, True])
def test_a_rebuild_replaces_everything_in_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """rebuild() writes new segments (in worker processes past PARALLEL_MIN documents)
    and swaps them in at once: the same answers as documents indexed one batch at a time."""
    from peixun.search.backends import whoosh_bulk

    monkeypatch.setattr(whoosh_bulk, "PARALLEL_MIN", 50 if parallel else 10**9)
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_DOCS", 70)
    documents = [
        doc(
            f"post:{n}",
            title="教学设计" if n % 7 == 0 else "周记",
            body="教学设计 " * (1 + n % 5) + "磨课 反思" * (n % 3),
            created_at=T0 + timedelta(hours=n),
            **(place(20, (1, 3, 20), 2, is_open=False) if n % 4 == 0 else place(10, (1, 2, 10), 1)),
        )
        for n in range(300)
    ]
    batched = WhooshBackend(tmp_path / "batched")
    for start in range(0, 300, 100):
        batched.index(documents[start : start + 100])
    rebuilt = WhooshBackend(tmp_path / "rebuilt")
    rebuilt.index([doc("post:999", "微课")])
    assert rebuilt.rebuild(documents[start : start + 50] for start in range(0, 300, 50)) == 300
    assert rebuilt.count() == 300 and rebuilt.search(q(word("微课")), ADMIN, ANY).total == 0
    member = Scope(member_of=frozenset({10}), user_id=5)
    for query in (q(word("教学设计")), q(word("磨课"), word("反思")), q(phrase("磨课反思")), q(word("周记"))):
        for scope in (ADMIN, member):
            for sort in ("relevance", "newest"):
                want = batched.search(query, scope, ANY, sort=sort, per_page=50)
                got = rebuilt.search(query, scope, ANY, sort=sort, per_page=50)
                assert (got.total, got.keys, got.facets) == (want.total, want.keys, want.facets)
