"""Search end to end on every backend: indexing through the outbox, Chinese words and
phrases, documents' text, facets, the fallback, and that nobody finds what she may not read."""

from __future__ import annotations

import io

import pytest

from peixun.core.indexing import OutboxRow
from peixun.resources import service as resources
from peixun.search import service
from peixun.search.models import SearchLog
from peixun.spaces.service import ensure_personal_space
from peixun.threads import service as threads
from tests.conftest import PG_URL
from tests.factories import (
    add_member,
    appoint,
    make_admin,
    make_region,
    make_school,
    make_user,
    make_workshop,
)

BACKENDS = ["whoosh", "postgres"] if PG_URL else ["whoosh"]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Each search test's app indexes after every request, on one backend."""
    return {"SEARCH_BACKEND": request.param, "SEARCH_APPLY_AFTER_REQUEST": True}


@pytest.fixture
def world(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    other_county = make_region("兴仁县", parent=city)
    host = make_user("hostx", "王坊主")
    workshop = make_workshop(county, hosts=[host], name="初中语文工作坊")
    other = make_workshop(other_county, name="兴仁数学工作坊", subject="数学")
    teacher = make_user("zhangli", "张丽")
    add_member(teacher, workshop)
    stranger = make_user("strangerx", "外人")
    add_member(stranger, make_school(other_county))
    people = {"host": host, "teacher": teacher, "stranger": stranger}
    return {"city": city, "county": county, "workshop": workshop, "other": other, "people": people}


def _index():
    service.sync()


def _search(client, q: str, **args):
    from bs4 import BeautifulSoup

    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return soup, [a.get_text() for a in soup.select("ol.hits .hit-title a")]


def test_threads_and_replies_are_found_by_chinese_words(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    thread = threads.start_thread(
        teacher, ws, kind="topic", title="三备两打磨的第二次备课", body="坊主请大家谈谈生成性资源的整理。"
    )
    threads.post_reply(world["people"]["host"], thread, "课例研究要聚焦一个真问题。")
    assert OutboxRow.query.count() >= 2  # written with the change, in its transaction
    _index()
    assert OutboxRow.query.count() == 0
    login_as(teacher)
    _soup, titles = _search(client, "三备两打磨")
    assert titles == ["三备两打磨的第二次备课"]
    assert _search(client, "坊主")[1] == ["三备两打磨的第二次备课"]
    assert _search(client, "资源")[1] == ["三备两打磨的第二次备课"]  # inside 生成性资源
    assert _search(client, "课例研究")[1] == ["回复：三备两打磨的第二次备课"]
    assert _search(client, "坊")[1] == []  # a single character is not the word 坊主
    soup, _ = _search(client, "生成性资源")
    assert soup.select_one("ol.hits .snippet mark").get_text() == "生成性资源"


def test_phrases_exclusions_and_mixed_queries(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    threads.start_thread(
        teacher, ws, kind="topic", title="信息技术 与 数学 融合", body="信息技术支持的数学探究课。"
    )
    threads.start_thread(
        teacher, ws, kind="topic", title="语文教学设计", body="数学 信息技术 分开出现的一段话，教学设计。"
    )
    _index()
    login_as(teacher)
    assert set(_search(client, "信息技术 数学")[1]) == {"信息技术 与 数学 融合", "语文教学设计"}
    assert _search(client, '"信息技术支持的数学"')[1] == ["信息技术 与 数学 融合"]
    assert _search(client, "信息技术 -语文")[1] == ["信息技术 与 数学 融合"]
    # 教案 ≈ 教学设计 (a synonym from the education dictionary)
    assert "语文教学设计" in _search(client, "教案")[1]


def test_a_resource_is_found_by_the_text_inside_its_file(world, login_as, client):
    from peixun.demo.files import make_docx

    ws, teacher = world["workshop"], world["people"]["teacher"]
    data = make_docx("背影", [("教学反思", ["父亲翻越月台买橘子的背影令人动容。"])])
    upload = resources.store_upload(io.BytesIO(data), "背影.docx")
    resource = resources.share(
        teacher,
        ws,
        resources.ResourceData(title="《背影》教学设计", type="教案", subject="语文", stage="初中"),
        upload=upload,
    )
    _index()
    login_as(world["people"]["host"])
    soup, titles = _search(client, "橘子")
    assert titles == ["《背影》教学设计"]
    assert soup.select_one("ol.hits a")["href"] == f"/res/{resource.id}"
    assert "橘子" in soup.select_one("ol.hits .snippet mark").get_text()
    facets = soup.select_one("aside.facets").get_text()
    assert "资源" in facets and "语文" in facets and "初中" in facets


def test_nobody_finds_what_she_may_not_read(world, login_as, client):
    """Plant private content and search for it as outsiders of every kind."""
    ws, teacher, stranger = world["workshop"], world["people"]["teacher"], world["people"]["stranger"]
    secret_word = "机密甲乙丙"
    threads.start_thread(teacher, ws, kind="topic", title=f"{secret_word}工作坊内部讨论", body="仅成员可见")
    journal = threads.start_thread(
        teacher,
        ensure_personal_space(teacher),
        kind="journal",
        title=f"{secret_word}私密日志",
        body="只给自己看",
        is_public=False,
    )
    threads.start_thread(
        world["people"]["host"], world["other"], kind="topic", title=f"{secret_word}别的工作坊", body="x"
    )
    resources.share(
        teacher,
        ws,
        resources.ResourceData(title=f"{secret_word}内部资源", type="教案", link_url="https://example.org/"),
    )
    _index()
    outsiders = {
        "guest": None,
        "stranger": stranger,
        "other_region_admin": make_user("otheradminx"),
        "school_admin_elsewhere": make_user("schooladminx"),
    }
    appoint(outsiders["other_region_admin"], world["other"].parent, "region_admin")
    appoint(outsiders["school_admin_elsewhere"], make_school(world["county"], "兴义八中"), "school_admin")
    for name, user in outsiders.items():
        if user is not None:
            login_as(user)
        else:
            client.post("/logout")
        soup, titles = _search(client, secret_word)
        if name == "other_region_admin":  # the other county's workshop is hers to read
            assert titles == [f"{secret_word}别的工作坊"] and "1 条结果" in soup.get_text()
            continue
        assert titles == [] and "0 条结果" in soup.get_text(), name
        assert soup.select("aside.facets li") == [], name  # not even a count leaks
    login_as(teacher)
    titles = _search(client, secret_word)[1]
    assert f"{secret_word}私密日志" in titles and f"{secret_word}别的工作坊" not in titles
    login_as(make_admin())
    assert len(_search(client, secret_word)[1]) == 4
    assert journal.id


def test_a_stale_index_never_shows_what_was_hidden(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    thread = threads.start_thread(teacher, ws, kind="topic", title="将被隐藏的话题", body="正文")
    _index()
    thread.hidden_reason = "违规"
    from peixun.extensions import db

    db.session.commit()  # the outbox now holds the change; the index is stale
    login_as(make_user("memberx"))
    add_member(db.session.merge(world["people"]["teacher"]), ws)
    assert _search(client, "将被隐藏的话题")[1] == []


def test_nothing_matching_everything_drops_words_and_says_so(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    threads.start_thread(teacher, ws, kind="topic", title="课例研究的起点", body="正文")
    _index()
    login_as(teacher)
    soup, titles = _search(client, "课例研究 火星探测器")
    assert titles == ["课例研究的起点"]
    notice = soup.select_one("p.notice").get_text()
    assert "去掉了" in notice and "火星" in notice and "课例研究" not in notice


@pytest.mark.parametrize(
    "q",
    [
        '"未闭合的引号',
        "-",
        "*",
        "**?",
        "OR AND NOT",
        "研" * 5000,
        "\u202e坊主",
        "😀😀",
        "' OR 1=1 --",
        "a" * 300,
    ],
)
def test_any_string_gives_a_page(world, login_as, client, q):
    login_as(world["people"]["teacher"])
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200


def test_within_a_space_and_its_spaces_below(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    threads.start_thread(teacher, ws, kind="topic", title="磨课心得（工作坊）", body="x")
    threads.start_thread(
        world["people"]["host"], world["county"], kind="topic", title="磨课通知（县级）", body="x"
    )
    _index()
    login_as(teacher)
    assert set(_search(client, "磨课")[1]) == {"磨课心得（工作坊）", "磨课通知（县级）"}
    assert _search(client, "磨课", **{"in": ws.id})[1] == ["磨课心得（工作坊）"]
    assert set(_search(client, "磨课", **{"in": world["county"].id})[1]) == {
        "磨课心得（工作坊）",
        "磨课通知（县级）",
    }


def test_pinyin_and_initials_find_names_and_titles(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    threads.start_thread(teacher, ws, kind="topic", title="课例研究计划", body="正文")
    _index()
    login_as(world["people"]["host"])
    assert _search(client, "zhangli")[1] == ["课例研究计划"]
    assert _search(client, "klyj")[1] == ["课例研究计划"]


def test_searches_are_logged_without_who(world, login_as, client):
    login_as(world["people"]["teacher"])
    _search(client, "火星探测器")
    row = SearchLog.query.one()
    assert row.text == "火星探测器" and row.results == 0
    assert {c.name for c in SearchLog.__table__.columns} == {"id", "text", "results", "created_at"}


def test_rebuild_restores_a_lost_index(world, login_as, client):
    ws, teacher = world["workshop"], world["people"]["teacher"]
    threads.start_thread(teacher, ws, kind="topic", title="校本研修方案", body="正文")
    _index()
    service.backend().clear()
    login_as(teacher)
    assert _search(client, "校本研修")[1] == []
    assert service.rebuild() >= 1
    assert _search(client, "校本研修")[1] == ["校本研修方案"]


def test_published_briefs_are_found_and_drafts_are_not(world, login_as, client):
    from peixun.briefs import service as briefs

    ws, host = world["workshop"], world["people"]["host"]
    published = briefs.save_draft(
        host, ws, series="workshop", title="期中研修小结", body="本期重点：整本书阅读。"
    )
    briefs.publish(host, published)
    briefs.save_draft(host, ws, series="workshop", title="未发布的草稿", body="整本书阅读的草稿。")
    _index()
    login_as(world["people"]["teacher"])
    soup, titles = _search(client, "整本书阅读")
    assert titles == ["期中研修小结"]
    assert "工作坊简报 第1期" in soup.select_one("ol.hits .tag").get_text()
    login_as(world["people"]["stranger"])
    assert _search(client, "整本书阅读")[1] == []


def test_lesson_studies_are_found_by_their_plan_and_latest_design(world, login_as, client):
    from peixun.lessons import service as lessons

    ws, teacher = world["workshop"], world["people"]["teacher"]
    study = lessons.create_study(
        teacher, ws, lessons.StudyData(title="《背影》第二课时", theme="以读促写", teacher=teacher)
    )
    lessons.advance(teacher, study, "plan")
    lessons.add_version(teacher, study, "学生先默读，再圈画父亲爬月台的动作描写。")
    _index()
    login_as(teacher)
    soup, titles = _search(client, "月台")
    assert titles == ["《背影》第二课时"]
    assert "课例研究" in soup.select_one("ol.hits .tag").get_text()
    assert _search(client, "以读促写")[1] == ["《背影》第二课时"]
    login_as(world["people"]["stranger"])
    assert _search(client, "月台")[1] == []


def test_past_the_count_limit_the_page_says_so(world, login_as, client, monkeypatch):
    from peixun.search.backends import postgres, whoosh

    ws, teacher = world["workshop"], world["people"]["teacher"]
    for n in range(3):
        threads.start_thread(teacher, ws, kind="topic", title=f"磨课记录 {n}", body="磨课的过程。")
    _index()
    login_as(teacher)
    soup, titles = _search(client, "磨课")
    assert len(titles) == 3 and soup.select_one(".list-head h2").get_text(strip=True) == "3 条结果"
    monkeypatch.setattr(whoosh, "COUNT_LIMIT", 2)
    monkeypatch.setattr(postgres, "COUNT_LIMIT", 2)
    soup, titles = _search(client, "磨课")
    assert len(titles) == 3  # every hit is still shown
    heading = soup.select_one(".list-head h2").get_text(strip=True)
    assert heading.startswith("2+ 条结果") and "超过 2 条" in heading
    assert "2+" in soup.select_one("aside.facets").get_text()
