"""Space pages: the four levels, member lists, bounded queries, bad addresses."""

from __future__ import annotations

import pytest

from peixun.spaces.queries import children
from tests.factories import (
    add_member,
    appoint,
    make_group,
    make_region,
    make_school,
    make_user,
    make_workshop,
)


@pytest.fixture
def county(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    return county


def _populate(county, teachers: int):
    host = make_user(f"host{county.id}x{teachers}", "李坊主")
    school = make_school(county, name=f"兴义市第{teachers}中学")
    workshop = make_workshop(county, hosts=[host], name=f"初中语文工作坊{teachers}")
    for i in range(teachers):
        user = make_user(f"t{teachers}n{i}", "王老师", school_id=school.id)
        add_member(user, workshop)
    make_group(workshop, host)
    return host, school, workshop


def test_welcome_page_for_guests(client, county, get_page):
    soup = get_page("/")
    assert soup.h1.get_text() == "研修社区"
    assert "黔西南州" in soup.get_text() and "登录" in soup.get_text()


def test_home_shows_my_four_levels(client, county, login_as, get_page):
    _host, school, workshop = _populate(county, 3)
    teacher = make_user("teacher1", "王芳", school_id=school.id)
    add_member(teacher, workshop)
    login_as(teacher)
    text = get_page("/").get_text()
    for expected in (
        "我的空间",
        "王芳的个人空间",
        "我的工作坊",
        workshop.name,
        "我的学校",
        school.name,
        "我的区域",
        "兴义市",
        "黔西南州",
        "最新动态",
    ):
        assert expected in text, expected


def test_region_page_lists_children_with_member_counts(client, county, get_page):
    _, school, workshop = _populate(county, 4)
    city = county.parent
    text = get_page(f"/r/{city.slug}").get_text()
    assert "兴义市" in text and "下级区域" in text
    text = get_page(f"/r/{county.slug}").get_text()
    assert school.name in text and workshop.name in text and "5 位成员" in text
    members = get_page(f"/r/{city.slug}/members").get_text()
    # Members of a school or workshop are members of every region above it.
    assert "王老师" in members and "成员（5）" in members


def test_workshop_page_shows_roles_groups_and_tabs(client, county, get_page, login_as):
    host, _, workshop = _populate(county, 2)
    expert = make_user("expert1", "赵专家")
    appoint(expert, workshop, "expert")
    soup = get_page(f"/w/{workshop.slug}")
    text = soup.get_text()
    assert "坊主" in text and "李坊主" in text and "学科专家" in text and "研修小组" in text
    tabs = [a.get_text() for a in soup.select("nav.tabs a")]
    assert tabs == ["首页", "研讨", "资源", "简报", "课例", "成员"]
    login_as(host)  # the tabs are the members'
    for tab in ("resources", "briefs", "lessons"):
        assert get_page(f"/w/{workshop.slug}/{tab}").find("h1")


def test_group_and_school_pages(client, county, get_page):
    _host, school, workshop = _populate(county, 2)
    group = children(workshop, ("group",))["group"][0].space
    text = get_page(f"/g/{group.slug}").get_text()
    assert workshop.name in text and "研修组长" in text
    assert school.name in get_page(f"/s/{school.slug}").get_text()
    assert "王老师" in get_page(f"/s/{school.slug}/members").get_text()


def test_personal_space(client, county, get_page):
    _, school, workshop = _populate(county, 1)
    user = make_user("wangfang", "王芳", school_id=school.id, bio="热爱阅读教学。")
    add_member(user, workshop)
    text = get_page("/u/wangfang").get_text()
    assert "王芳" in text and "热爱阅读教学" in text and school.name in text and workshop.name in text
    assert "研修日志" in text


@pytest.mark.parametrize(
    "url",
    [
        "/w/no-such-workshop",
        "/r/nope",
        "/s/nope/members",
        "/g/nope",
        "/u/nobody",
        "/x/anything",
        "/w/" + "a" * 500,
        "/u/" + "é" * 300,
        "/w/%E2%80%AE",
        "/membership/abc/approve",
    ],
)
def test_unknown_addresses_are_chinese_404s(client, county, url):
    response = client.get(url)
    assert response.status_code in {404, 405}
    assert "页面不存在" in response.get_data(as_text=True) or "请求方式不支持" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999", "1.5", "１", "10001"])
def test_bad_page_numbers_are_404(client, county, page):
    assert client.get(f"/r/{county.slug}/members?page={page}").status_code == 404


def test_members_pagination(client, county, get_page):
    _, _, workshop = _populate(county, 45)
    first = get_page(f"/w/{workshop.slug}/members")
    assert "第 1 / 2 页" in first.get_text()
    assert len(first.select("table.list tbody tr")) == 40
    second = get_page(f"/w/{workshop.slug}/members?page=2")
    assert len(second.select("table.list tbody tr")) == 6  # 45 teachers and the host
    assert client.get(f"/w/{workshop.slug}/members?page=3").status_code == 404


def _queries(count_queries, client, url: str) -> int:
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_main_pages_run_a_bounded_number_of_queries(app, client, county, login_as, count_queries):
    """The same pages cost the same queries with 3 members or 60."""
    small = _populate(county, 3)
    big_county = make_region("兴仁县", parent=county.parent)
    big = _populate(big_county, 60)
    viewer = make_user("viewer1", school_id=big[1].id)
    add_member(viewer, small[2])
    add_member(viewer, big[2])
    login_as(viewer)
    for url_of in (
        lambda s: "/",
        lambda s: f"/w/{s[2].slug}",
        lambda s: f"/w/{s[2].slug}/members",
        lambda s: f"/s/{s[1].slug}",
        lambda s: f"/r/{s[2].parent.slug}",
        lambda s: f"/r/{s[2].parent.slug}/members",
        lambda s: f"/r/{county.parent.slug}",
        lambda s: f"/u/{s[0].username}",
    ):
        few, many = (
            _queries(count_queries, client, url_of(small)),
            _queries(count_queries, client, url_of(big)),
        )
        # 19: the personal page adds two queries for each section (journals, resources).
        assert few == many <= 19, (url_of(small), few, many)
