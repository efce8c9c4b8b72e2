"""Regions, schools and workshops: creating, editing, moving, listing; bad input writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peixun.extensions import db
from peixun.spaces.models import Membership, RoleAssignment, Space
from peixun.spaces.queries import space_by_slug
from peixun.spaces.service import create_space, is_member, user_roles_in
from tests.factories import make_group, make_region, make_school, make_user, make_workshop
from tests.pages import check_html


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _writes() -> tuple[int, int, int]:
    return _count(Space), _count(RoleAssignment), _count(Membership)


def test_admin_builds_region_school_workshop_and_the_host_manages_it(client, admin, post, sign_in):
    host = make_user("lihost", "李坊主")
    response = post(
        "/admin/spaces/new/region",
        {"name": "贵州省", "slug": "guizhou", "parent": "", "region_level": "province"},
    )
    province = space_by_slug("region", "guizhou")
    assert province is not None and province.parent is None and province.region_level == "province"
    assert response.status_code == 302 and response.location == f"/admin/spaces/{province.id}/edit"
    post("/admin/spaces/new/region", {"name": "兴义市", "slug": "xingyi", "parent": province.id})
    county = space_by_slug("region", "xingyi")
    assert county.parent_id == province.id and county.path == f"/{province.id}/{county.id}/"

    response = post(
        "/admin/spaces/new/school", {"name": "兴义市第一中学", "slug": "xy-1", "parent": county.id}
    )
    school = space_by_slug("school", "xy-1")
    assert response.status_code == 302 and school.parent_id == county.id
    assert school.path == f"/{province.id}/{county.id}/{school.id}/"

    response = post(
        "/admin/spaces/new/workshop",
        {
            "name": "初中语文工作坊",
            "slug": "xy-yuwen",
            "parent": county.id,
            "subject": "语文",
            "stage": "初中",
            "description": "兴义市初中语文教师的网络研修工作坊。",
            "is_open": "y",
            "host": "LiHost",
        },
    )
    workshop = space_by_slug("workshop", "xy-yuwen")
    assert response.status_code == 302 and workshop is not None
    assert (workshop.subject, workshop.stage, workshop.is_open) == ("语文", "初中", True)
    assert workshop.description.startswith("兴义市初中语文")
    assert user_roles_in(host, workshop) == {"host"} and is_member(host, workshop)

    host_client = sign_in(host)
    assert host_client.get("/w/xy-yuwen/members/manage").status_code == 200
    assert "初中语文工作坊" in client.get("/admin/spaces").get_data(as_text=True)


def test_an_unchecked_box_makes_a_closed_workshop(client, admin, county, post):
    make_user("lihost")
    post(
        "/admin/spaces/new/workshop",
        {"name": "封闭工作坊", "slug": "closed", "parent": county.id, "host": "lihost"},
    )
    assert space_by_slug("workshop", "closed").is_open is False


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("school", {"slug": "taken"}, "该网址标识已被使用。"),
        ("workshop", {"slug": "taken-ws"}, "该网址标识已被使用。"),
        ("school", {"slug": "Bad Slug!"}, "网址标识须为 2–64 个小写字母、数字或连字符。"),
        ("school", {"slug": "x"}, "网址标识须为 2–64 个小写字母、数字或连字符。"),
        ("school", {"slug": ""}, "此项必填。"),
        ("school", {"name": ""}, "此项必填。"),
        ("school", {"name": "长" * 81}, "名称最多 80 字。"),
        ("school", {"parent": ""}, "请选择上级区域。"),
        ("workshop", {"parent": ""}, "请选择上级区域。"),
        ("school", {"parent": "SCHOOL"}, "请选择列表中的区域。"),
        ("workshop", {"parent": "WORKSHOP"}, "请选择列表中的区域。"),
        ("school", {"parent": "abc"}, "请选择列表中的区域。"),
        ("school", {"parent": "99999999999999"}, "请选择列表中的区域。"),
        ("workshop", {"host": "nobody"}, "找不到该用户名。"),
        ("workshop", {"host": ""}, "此项必填。"),
        ("workshop", {"subject": "炼金术"}, "请从列表中选择。"),
        ("region", {"region_level": "planet"}, "请从列表中选择。"),
        ("region", {"description": "长" * 2001}, "简介最多 2000 字。"),
    ],
)
def test_bad_input_is_a_400_with_the_chinese_error_and_writes_nothing(
    client, admin, county, post, kind, changes, message
):
    make_user("lihost")
    existing = make_school(county)
    existing_ws = make_workshop(county)
    existing.slug, existing_ws.slug = "taken", "taken-ws"
    db.session.commit()
    data = {
        "name": "新空间",
        "slug": "fresh",
        "parent": county.id,
        "host": "lihost",
        "region_level": "county",
    }
    data.update(changes)
    ids = {"SCHOOL": existing.id, "WORKSHOP": existing_ws.id}
    data["parent"] = ids.get(str(data["parent"]), data["parent"])
    before = _writes()
    response = post(f"/admin/spaces/new/{kind}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    check_html(html)
    assert _writes() == before


def test_unknown_kinds_are_404(client, admin):
    for url in ("/admin/spaces/new/group", "/admin/spaces/new/personal", "/admin/spaces/new/Region"):
        assert client.get(url).status_code == 404, url


def test_edit_moves_a_school_to_another_region(client, admin, county, post, get_page):
    other = make_region("安龙县", parent=county.parent)
    school = make_school(county, "兴义八中")
    page = get_page(f"/admin/spaces/{school.id}/edit")
    assert page.find("select", id="parent").find("option", selected=True)["value"] == str(county.id)
    assert page.find("input", id="name")["value"] == "兴义八中"
    assert page.find(id="host") is None and page.find(id="region_level") is None
    response = post(
        f"/admin/spaces/{school.id}/edit",
        {"name": "安龙一中", "slug": "anlong-1", "parent": other.id, "description": "新简介"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert school.parent_id == other.id and school.path == f"{other.path}{school.id}/"
    assert (school.name, school.slug, school.description) == ("安龙一中", "anlong-1", "新简介")


def test_moving_a_region_moves_everything_below_it(client, admin, county, post):
    province = make_region("贵州省", level="province")
    school = make_school(county)
    response = post(
        f"/admin/spaces/{county.id}/edit",
        {"name": county.name, "slug": county.slug, "parent": province.id, "region_level": "county"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert county.path == f"/{province.id}/{county.id}/"
    assert school.path == f"/{province.id}/{county.id}/{school.id}/"


def test_a_region_cannot_move_under_itself_or_become_a_child_of_a_school(
    client, admin, county, post, get_page
):
    city = county.parent
    options = {
        o["value"] for o in get_page(f"/admin/spaces/{city.id}/edit").find("select", id="parent")("option")
    }
    assert options == {""}  # neither the city nor the county below it is offered
    response = post(
        f"/admin/spaces/{city.id}/edit",
        {"name": city.name, "slug": city.slug, "parent": county.id, "region_level": "city"},
    )
    assert response.status_code == 400 and "请选择列表中的区域。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert city.parent_id is None


def test_a_refused_edit_changes_nothing(client, admin, county, post):
    make_school(county).slug = "taken"
    school = make_school(county, "原名中学")
    db.session.commit()
    slug = school.slug
    response = post(
        f"/admin/spaces/{school.id}/edit", {"name": "新名字", "slug": "taken", "parent": county.id}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "该网址标识已被使用。" in html
    soup = check_html(html)
    assert "原名中学" in soup.h1.get_text()
    db.session.expire_all()
    assert (school.name, school.slug) == ("原名中学", slug)


def test_workshop_edit_keeps_its_fields(client, admin, county, post):
    host = make_user("lihost")
    workshop = make_workshop(county, hosts=[host])
    response = post(
        f"/admin/spaces/{workshop.id}/edit",
        {
            "name": "高中数学工作坊",
            "slug": workshop.slug,
            "parent": county.id,
            "subject": "数学",
            "stage": "高中",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (workshop.name, workshop.subject, workshop.stage, workshop.is_open) == (
        "高中数学工作坊",
        "数学",
        "高中",
        False,
    )


def test_personal_spaces_and_groups_are_not_edited_here(client, admin, county, post):
    host = make_user("lihost")
    workshop = make_workshop(county, hosts=[host])
    group = make_group(workshop, host)
    personal = db.session.execute(select(Space).where(Space.owner_id == host.id)).scalar_one()
    for space in (group, personal):
        assert client.get(f"/admin/spaces/{space.id}/edit").status_code == 404
        assert post(f"/admin/spaces/{space.id}/edit", {"name": "x", "slug": "xx"}).status_code == 404
        assert (
            post(f"/admin/spaces/{space.id}/roles", {"username": "lihost", "role": "expert"}).status_code
            == 404
        )
    for space_id in (0, 424242, 99999999999999):
        assert client.get(f"/admin/spaces/{space_id}/edit").status_code == 404


def test_list_shows_regions_schools_and_workshops_with_parents(client, admin, county, get_page):
    host = make_user("lihost")
    school = make_school(county, "兴义一中")
    workshop = make_workshop(county, hosts=[host], name="初中语文工作坊")
    make_group(workshop, host, name="第一研修小组")
    soup = get_page("/admin/spaces")
    rows = [[td.get_text(" ", strip=True) for td in tr("td")] for tr in soup.find("tbody")("tr")]
    names = [row[0] for row in rows]
    assert names == ["黔西南州", "兴义市", "兴义一中", "初中语文工作坊"]  # tree order
    assert rows[0][2] == "（顶级）" and rows[1][2] == "黔西南州" and rows[2][2] == "兴义市"
    assert rows[3][1].startswith("工作坊") and "学校社区" in rows[2][1]
    table = soup.find("tbody").get_text()
    assert "第一研修小组" not in table and "个人空间" not in table
    edit_links = {a["href"] for a in soup.find("tbody")("a") if a.get_text() == "编辑"}
    assert f"/admin/spaces/{school.id}/edit" in edit_links
    buttons = [a.get_text() for a in soup.find_all("a", class_="button")]
    assert buttons == ["新建区域", "新建学校", "新建工作坊"]

    schools = get_page("/admin/spaces?kind=school").find("tbody")("tr")
    assert [tr.td.get_text(strip=True) for tr in schools] == ["兴义一中"]


@pytest.mark.parametrize("kind", ["group", "personal", "x" * 300, "REGION"])
def test_list_refuses_unknown_kinds(client, admin, kind):
    assert client.get("/admin/spaces", query_string={"kind": kind}).status_code == 404


def _add_schools(region: Space, count: int) -> None:
    for i in range(count):
        create_space("school", f"学校{i}", f"s{region.id}-{i}", region, commit=False)
    db.session.commit()


def test_list_pages_and_bounds(client, admin, county, get_page):
    _add_schools(county, 35)  # 37 spaces with the two regions: two pages of 30
    first = get_page("/admin/spaces")
    assert (
        len(first.find("tbody")("tr")) == 30 and first.find("a", rel="next")["href"] == "/admin/spaces?page=2"
    )
    assert len(get_page("/admin/spaces?page=2").find("tbody")("tr")) == 7
    assert get_page("/admin/spaces?kind=school&page=2").find("a", rel="prev")["href"] == (
        "/admin/spaces?page=1&kind=school"
    )
    for bad in ("0", "abc", "-1", "3", "999999", "1" * 20):
        assert client.get(f"/admin/spaces?page={bad}").status_code == 404, bad


def test_list_queries_stay_bounded(client, admin, county, count_queries):
    def queries_for_list() -> int:
        with count_queries() as counter:
            assert client.get("/admin/spaces").status_code == 200
        return counter.count

    _add_schools(county, 3)
    few = queries_for_list()
    _add_schools(make_region("安龙县", parent=county.parent), 45)
    assert queries_for_list() == few
