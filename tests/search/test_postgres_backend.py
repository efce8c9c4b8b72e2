"""The PostgreSQL search backend against a real server (PEIXUN_TEST_DATABASE_URL).

Most tests replace the analyzer by a predictable one (tokens split on spaces, `a|b|c`
puts a compound and its sub-words at one position) so that they test the backend, not
jieba; one test goes through the real analyzer."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from peixun.extensions import db
from peixun.search import analyzer
from peixun.search.backends import postgres
from peixun.search.backends.base import Clause, Document, Filters, ParsedQuery, Results, Scope
from peixun.search.backends.postgres import PostgresBackend

pytestmark = pytest.mark.skipif(
    not os.environ.get("PEIXUN_TEST_DATABASE_URL"), reason="needs PEIXUN_TEST_DATABASE_URL (PostgreSQL)"
)

ADMIN = Scope(is_admin=True)
NOTHING = Filters()
PINYIN = {"张丽": ["zhangli", "zl"], "课例研究": ["keliyanjiu", "klyj"]}
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def fake_tokens(text_: str) -> list[tuple[str, int]]:
    return [(t.lower(), i) for i, word in enumerate(text_.split()) for t in word.split("|")]


def fake_pinyin(text_: str) -> list[str]:
    return [key for word, keys in PINYIN.items() if word in text_ for key in keys]


@pytest.fixture
def backend(app, monkeypatch):
    monkeypatch.setattr(postgres, "index_tokens", fake_tokens)
    monkeypatch.setattr(postgres, "pinyin_keys", fake_pinyin)
    found = PostgresBackend()
    found.clear()
    yield found
    found.clear()


def doc(key: str, title: str = "", body: str = "", **fields: object) -> Document:
    kind, object_id = key.split(":")
    values: dict = {
        "key": key,
        "kind": kind,
        "object_id": int(object_id),
        "title": title,
        "body": body,
        "author_id": 1,
        "author_name": "王老师",
        "created_at": T0,
        "space_ids": (10,),
        "chain_ids": (1, 10),
        "level": "workshop",
        "space_id": 10,
    }
    values.update(fields)
    return Document(**values)


def words(*terms: str) -> ParsedQuery:
    return ParsedQuery(tuple(Clause((t,)) for t in terms))


def phrase(*tokens: str) -> ParsedQuery:
    return ParsedQuery((Clause(tuple(tokens), is_phrase=True),))


def keys(backend: PostgresBackend, query: ParsedQuery, scope: Scope = ADMIN, **kw: object) -> list[str]:
    filters = kw.pop("filters", NOTHING)
    return backend.search(query, scope, filters, **kw).keys  # type: ignore[arg-type]


def test_exact_words_only(backend):
    backend.index(
        [
            doc("thread:1", "坊主 的 研修"),
            doc("thread:2", "坊 主 研修"),
            doc("post:3", body="Hello World 研修日志"),
        ]
    )
    assert keys(backend, words("坊主")) == ["thread:1"]
    assert keys(backend, words("坊")) == ["thread:2"]
    assert sorted(keys(backend, words("研修"))) == ["thread:1", "thread:2"]
    assert keys(backend, words("hello", "world")) == ["post:3"]
    assert keys(backend, words("hell")) == []
    assert backend.count() == 3


def test_phrases_match_consecutive_tokens_only(backend):
    backend.index(
        [
            doc("thread:1", "校本 研修 日志"),
            doc("thread:2", "研修 校本 的 研修"),
            doc("thread:3", "讨论 校本", "研修 安排"),  # title end, body start: not a phrase
            doc("thread:4", body="研修日志|研修|日志 活动"),  # a compound and its sub-words
        ]
    )
    assert keys(backend, phrase("校本", "研修")) == ["thread:1"]
    assert keys(backend, phrase("校本", "研修", "日志")) == ["thread:1"]
    assert sorted(keys(backend, words("校本", "研修"))) == ["thread:1", "thread:2", "thread:3"]
    assert keys(backend, phrase("研修日志", "活动")) == ["thread:4"]
    assert keys(backend, phrase("日志", "活动")) == ["thread:4"]
    assert keys(backend, phrase("研修", "日志", "活动")) == []


def test_titles_rank_above_bodies_and_newest_sorts_by_date(backend):
    filler = " ".join(f"词{i}" for i in range(30))
    backend.index(
        [
            doc("post:1", "其他 标题", f"磨课 {filler} 磨课", created_at=T0 + timedelta(days=2)),
            doc("post:2", "磨课 标题", f"{filler} 内容", created_at=T0),
            doc("post:3", "无关 标题", f"{filler} 磨课", created_at=T0 + timedelta(days=1)),
        ]
    )
    assert keys(backend, words("磨课")) == ["post:2", "post:1", "post:3"]
    assert keys(backend, words("磨课"), sort="newest") == ["post:1", "post:3", "post:2"]


def test_a_common_query_ranks_its_newest_matches_then_the_rest_by_date(backend):
    filler = " ".join(f"词{i}" for i in range(10))
    backend.index(
        [
            doc("post:0", "磨课 标题", filler, created_at=T0),
            doc("post:1", "其他 标题", f"磨课 {filler}", created_at=T0 + timedelta(days=1)),
            doc("post:2", "磨课 标题", filler, created_at=T0 + timedelta(days=2)),
            doc("post:3", "其他 标题", f"磨课 {filler}", created_at=T0 + timedelta(days=3)),
        ]
    )
    assert keys(backend, words("磨课")) == ["post:2", "post:0", "post:3", "post:1"]
    backend.rank_window = 2
    assert keys(backend, words("磨课")) == ["post:2", "post:3", "post:1", "post:0"]
    assert keys(backend, words("磨课"), per_page=3) == ["post:2", "post:3", "post:1"]
    assert keys(backend, words("磨课"), per_page=3, page=2) == ["post:0"]
    assert keys(backend, words("磨课"), per_page=1, page=3) == ["post:1"]
    assert backend.search(words("磨课"), ADMIN, NOTHING).total == 4


def test_negation_and_match_any(backend):
    backend.index(
        [
            doc("thread:1", "研修 日志"),
            doc("thread:2", "研修 计划"),
            doc("thread:3", "磨课 计划"),
        ]
    )
    excluded = ParsedQuery((Clause(("研修",)), Clause(("日志",), is_negated=True)))
    assert keys(backend, excluded) == ["thread:2"]
    no_phrase = ParsedQuery((Clause(("研修",)), Clause(("研修", "日志"), is_phrase=True, is_negated=True)))
    assert keys(backend, no_phrase) == ["thread:2"]
    assert keys(backend, words("研修", "磨课")) == []
    assert sorted(keys(backend, words("研修", "磨课"), match_any=True)) == [
        "thread:1",
        "thread:2",
        "thread:3",
    ]
    either = ParsedQuery((*words("研修", "磨课").clauses, Clause(("日志",), is_negated=True)))
    assert sorted(keys(backend, either, match_any=True)) == ["thread:2", "thread:3"]
    assert keys(backend, ParsedQuery((Clause(("日志",), is_negated=True),))) == []
    assert backend.search(ParsedQuery(()), ADMIN, NOTHING) == Results(0, [])


def test_synonyms_are_alternatives(backend):
    backend.index(
        [doc("resource:1", "教学设计 一份"), doc("resource:2", "教案 两份"), doc("resource:3", "别的")]
    )
    query = ParsedQuery((Clause(("教案",), alternatives=("教学设计",)),))
    assert sorted(keys(backend, query)) == ["resource:1", "resource:2"]


def test_filters_and_facet_counts(backend):
    backend.index(
        [
            doc("resource:1", "微课 数学", subject="数学", stage="初中", resource_type="video", space_id=10),
            doc("resource:2", "微课 语文", subject="语文", stage="初中", resource_type="doc", space_id=11),
            doc("thread:3", "微课 讨论", created_at=datetime(2024, 5, 1, tzinfo=UTC), level="school"),
            doc("post:4", "别的 话题", subject="数学"),
        ]
    )
    found = backend.search(words("微课"), ADMIN, NOTHING)
    assert found.total == 3
    assert found.facets["kind"] == [("resource", 2), ("thread", 1)]
    assert found.facets["subject"] == [("数学", 1), ("语文", 1)]
    assert found.facets["stage"] == [("初中", 2)]
    assert found.facets["year"] == [("2025", 2), ("2024", 1)]
    assert found.facets["level"] == [("workshop", 2), ("school", 1)]
    assert found.facets["space_id"] == [("10", 2), ("11", 1)]
    narrowed = backend.search(words("微课"), ADMIN, Filters(kind="resource", subject="数学"))
    assert (narrowed.total, narrowed.keys) == (1, ["resource:1"])
    assert narrowed.facets["kind"] == [("resource", 1)]
    assert keys(backend, words("微课"), filters=Filters(year=2024)) == ["thread:3"]
    assert keys(backend, words("微课"), filters=Filters(space_id=11, stage="初中")) == ["resource:2"]


def test_secrets_stay_hidden_from_outsiders_of_every_kind(backend):
    # Spaces: region 1 > school 2 > workshop 20; region 1 > workshop 30; personal journals 500, 501.
    journal = doc("post:1", "机密 日志", "机密 内容", author_id=99, space_ids=(500,), chain_ids=(500,))
    workshop = doc("thread:2", "机密 方案", subject="数学", space_ids=(20,), chain_ids=(1, 2, 20))
    public = doc("post:3", "公开 日志", author_id=98, space_ids=(501,), chain_ids=(501,), is_open=True)
    backend.index([journal, workshop, public])
    outsiders = {
        "anonymous": Scope(),
        "signed in, no spaces": Scope(user_id=5),
        "member elsewhere": Scope(member_of=frozenset({30}), user_id=6),
        "member of the parent school only": Scope(member_of=frozenset({2, 1}), user_id=7),
        "role in a sibling": Scope(role_spaces=frozenset({30}), user_id=8),
        "narrowed to the secret space": Scope(user_id=9, within=20),
        "another journal owner": Scope(member_of=frozenset({501}), user_id=98),
    }
    secrets = [words("机密"), words("方案"), words("机密", "内容"), phrase("机密", "日志")]
    for who, scope in outsiders.items():
        for query in secrets:
            for match_any in (False, True):
                found = backend.search(query, scope, NOTHING, match_any=match_any)
                assert (found.total, found.keys) == (0, []), who
                assert all(values == [] for values in found.facets.values()), who
        found = backend.search(words("日志"), scope, NOTHING)
        public_ = [] if scope.within else ["post:3"]  # the open journal: everyone
        assert found.keys == public_, who
        assert found.facets["kind"] == [("post", 1)] * len(public_), who
        assert backend.search(words("日志"), scope, Filters(subject="数学")).total == 0, who
    assert keys(backend, words("机密"), Scope(user_id=99)) == ["post:1"]
    assert keys(backend, words("机密"), Scope(member_of=frozenset({20}), user_id=5)) == ["thread:2"]
    assert keys(backend, words("机密"), Scope(role_spaces=frozenset({2}), user_id=5)) == ["thread:2"]
    assert sorted(keys(backend, words("机密"))) == ["post:1", "thread:2"]


def test_within_narrows_to_a_space_and_below(backend):
    backend.index(
        [
            doc("thread:1", "听课", space_ids=(20,), chain_ids=(1, 2, 20)),
            doc("thread:2", "听课", space_ids=(2,), chain_ids=(1, 2)),
            doc("thread:3", "听课", space_ids=(30,), chain_ids=(1, 30)),
        ]
    )
    assert sorted(keys(backend, words("听课"), Scope(is_admin=True, within=2))) == ["thread:1", "thread:2"]
    assert keys(backend, words("听课"), Scope(is_admin=True, within=20)) == ["thread:1"]
    member = Scope(member_of=frozenset({2, 20, 30}), within=30)
    assert keys(backend, words("听课"), member) == ["thread:3"]


def test_pinyin_finds_names_and_titles(backend):
    backend.index(
        [
            doc("thread:1", "教案 分享", author_name="张丽"),
            doc("thread:2", "课例研究 报告", author_name="李华"),
            doc("thread:3", "zl 以外", author_name="李华"),
        ]
    )
    by_name = ParsedQuery((Clause(("zl",), pinyin="zl"),))
    assert sorted(keys(backend, by_name)) == ["thread:1", "thread:3"]
    assert keys(backend, ParsedQuery((Clause(("zhangli",), pinyin="zhangli"),))) == ["thread:1"]
    assert keys(backend, ParsedQuery((Clause(("klyj",), pinyin="KLYJ"),))) == ["thread:2"]
    both = ParsedQuery((Clause(("zl",), pinyin="zl"), Clause(("教案",))))
    assert keys(backend, both) == ["thread:1"]
    assert keys(backend, words("zhangli")) == []  # without the pinyin flag: a word only
    not_zl = ParsedQuery(
        (
            Clause(("标题",), alternatives=("分享", "报告", "以外")),
            Clause(("zl",), pinyin="zl", is_negated=True),
        )
    )
    assert keys(backend, not_zl) == ["thread:2"]
    assert keys(backend, ParsedQuery((*by_name.clauses, not_zl.clauses[1])), match_any=True) == []


def test_update_replaces_and_delete_removes(backend):
    backend.index([doc("thread:1", "旧 标题"), doc("thread:2", "旧 话题")])
    backend.index([doc("thread:1", "新 标题", space_ids=(40,), chain_ids=(40,))])
    assert backend.count() == 2
    assert keys(backend, words("旧")) == ["thread:2"]
    assert keys(backend, words("新"), Scope(member_of=frozenset({40}))) == ["thread:1"]
    assert keys(backend, words("新"), Scope(member_of=frozenset({10}))) == []
    backend.index([doc("thread:3", "一"), doc("thread:3", "二")])  # the last one wins
    assert keys(backend, words("二")) == ["thread:3"]
    assert keys(backend, words("一")) == []
    backend.delete(["thread:2", "thread:9"])
    assert keys(backend, words("旧")) == []
    assert backend.count() == 2
    backend.clear()
    assert backend.count() == 0


def test_lexemes_with_quotes_backslashes_and_spaces(backend, monkeypatch):
    odd = ["it's", "back\\slash", "two words", "a&b|!c", "'", "\\", "x:*", "''", "nul\x00l", "(", "<->"]
    monkeypatch.setattr(
        postgres, "index_tokens", lambda text_: [(t, i) for i, t in enumerate(odd)] if text_ else []
    )
    backend.index([doc("thread:1", "anything")])
    for token in [*odd, "null"]:
        assert keys(backend, words(token)) == ["thread:1"], token
        assert keys(backend, ParsedQuery((Clause((token,), pinyin=token),))) == ["thread:1"], token
    for token in ["it", "back", "two", "a", "b", "x", "nul", "!", "&", ":*"]:
        assert keys(backend, words(token)) == [], token
    assert keys(backend, phrase("it's", "back\\slash", "two words")) == ["thread:1"]
    with db.engine.connect() as conn:
        lexemes = set(
            conn.execute(text("SELECT unnest(tsvector_to_array(tokens)) FROM search_documents")).scalars()
        )
    assert lexemes == {*odd[:8], "null", "(", "<->"}


def test_huge_queries_and_odd_pages_never_fail(backend):
    backend.index([doc(f"post:{i}", f"研修 第{i}篇", "磨课 " * 50) for i in range(1, 31)])
    many = tuple(Clause((f"词{i}",)) for i in range(5000))
    started = time.perf_counter()
    for query in (
        ParsedQuery(many),
        ParsedQuery((Clause(("研修",)), *many)),
        ParsedQuery((Clause(tuple(f"词{i}" for i in range(5000)), is_phrase=True),)),
        ParsedQuery((Clause(("研修",), alternatives=tuple(f"词{i}" for i in range(5000))),)),
        ParsedQuery((Clause(("x" * 5000,)),)),
    ):
        for match_any in (False, True):
            assert isinstance(backend.search(query, ADMIN, NOTHING, match_any=match_any), Results)
    assert time.perf_counter() - started < 5
    for page in (0, -1, 10**30, 3, 4):
        found = backend.search(words("研修"), ADMIN, NOTHING, page=page)
        assert found.total == 30
        assert len(found.keys) == {0: 10, -1: 10, 3: 10}.get(page, 0)
    for per_page in (0, -5, 10**12):
        assert backend.search(words("研修"), ADMIN, NOTHING, per_page=per_page).total == 30


def test_a_timeout_gives_empty_results_and_leaves_the_session_usable(backend, monkeypatch):
    backend.index([doc("thread:1", "研修")])
    db.session.execute(text("SELECT 1"))  # the app's session is in a transaction

    def slow(self, conn, where):
        conn.execute(text("SELECT pg_sleep(2)"))

    original = PostgresBackend._facets
    monkeypatch.setattr(PostgresBackend, "_facets", slow)
    backend.statement_timeout_ms = 50
    started = time.perf_counter()
    assert backend.search(words("研修"), ADMIN, NOTHING) == Results(0, [])
    assert time.perf_counter() - started < 1.5
    monkeypatch.setattr(PostgresBackend, "_facets", original)
    assert db.session.execute(text("SELECT 1")).scalar_one() == 1
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    assert backend.search(words("研修"), ADMIN, NOTHING).keys == ["thread:1"]


def test_concurrent_writers_all_land(app, backend, monkeypatch):
    errors: list[BaseException] = []

    def write(first: int) -> None:
        try:
            with app.app_context():
                # Several batches each, and overlapping keys: both write 600..1199.
                backend.index([doc(f"post:{i}", f"并发 {i}") for i in range(first, first + 1200)])
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(first,)) for first in (0, 600)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.count() == 1800
    monkeypatch.setattr(postgres, "COUNT_LIMIT", 10_000)  # count them all
    assert backend.search(words("并发"), ADMIN, NOTHING).total == 1800


def test_many_matches_are_counted_to_a_bound(backend, monkeypatch):
    """Past COUNT_LIMIT matches the total and facets stop at the bound (exact=False), pages
    still come, and nothing from a space the searcher may not read is counted or shown."""
    readable = {"space_ids": (10,), "chain_ids": (1, 2, 10), "space_id": 10, "author_id": 1}
    secret = {"space_ids": (20,), "chain_ids": (1, 3, 20), "space_id": 20, "author_id": 2, "is_open": False}
    backend.index([doc(f"post:{n}", f"研修 {n}", **(secret if n % 4 == 0 else readable)) for n in range(200)])
    member = Scope(member_of=frozenset({10}), user_id=5)
    assert backend.search(words("研修"), member, NOTHING).total == 150
    monkeypatch.setattr(postgres, "COUNT_LIMIT", 40)
    for scope in (member, ADMIN):
        found = backend.search(words("研修"), scope, NOTHING, page=3)
        assert not found.exact and found.total == 40 and len(found.keys) == 10
        assert sum(n for _, n in found.facets["kind"]) == 40
    found = backend.search(words("研修"), member, NOTHING)
    assert [value for value, _ in found.facets["space_id"]] == ["10"]
    assert all(int(key.split(":")[1]) % 4 for key in found.keys)
    assert backend.search(words("研修", "1"), member, NOTHING).exact


def test_with_the_real_analyzer_and_parser(app):
    backend = PostgresBackend()
    backend.clear()
    backend.warm()
    backend.index(
        [
            doc("lesson:1", "课例研究的磨课活动", "老师们在学校里开展校本研修。", author_name="张丽"),
            doc("lesson:2", "活动之后的磨课", "大家一起讨论。"),
        ]
    )

    def found(raw: str) -> list[str]:
        return sorted(keys(backend, analyzer.parse_query(raw)))

    assert found('"磨课活动"') == ["lesson:1"]
    assert found("磨课 活动") == ["lesson:1", "lesson:2"]
    assert found("研究") == ["lesson:1"]  # a sub-word of a compound
    assert found("校本研修") == ["lesson:1"]
    assert found("klyj") == ["lesson:1"]
    assert found("zl") == ["lesson:1"]
    assert found("磨课 -讨论") == ["lesson:1"]
    assert found("不存在的词") == []
    backend.clear()
