"""Appointing and revoking hosts, experts and admins from a space's edit page."""

from __future__ import annotations

import pytest

from peixun.spaces.service import is_member, user_roles_in
from tests.factories import appoint, make_school, make_user, make_workshop
from tests.pages import check_html


@pytest.fixture
def first_host(app):
    return make_user("firsthost", "李坊主")


@pytest.fixture
def workshop(county, first_host):
    return make_workshop(county, hosts=[first_host])


def _role_options(get_page, space) -> list[str]:
    return [
        o["value"] for o in get_page(f"/admin/spaces/{space.id}/edit").find("select", id="role")("option")
    ]


def test_role_choices_fit_the_kind_of_space(client, admin, county, workshop, get_page):
    assert _role_options(get_page, workshop) == ["host", "expert"]
    assert _role_options(get_page, make_school(county)) == ["school_admin"]
    assert _role_options(get_page, county) == ["expert", "region_admin"]


def test_edit_page_lists_role_holders_with_revoke_buttons(client, admin, workshop, get_page):
    appoint(make_user("zhaoexpert", "赵专家"), workshop, "expert")
    soup = get_page(f"/admin/spaces/{workshop.id}/edit")
    rows = soup.find("ul", class_="rows")("li")
    assert [li.get_text(" ", strip=True) for li in rows] == [
        "学科专家 赵专家 zhaoexpert 撤销",
        "坊主 李坊主 firsthost 撤销",
    ]
    form = rows[0].form
    assert form["action"] == f"/admin/spaces/{workshop.id}/roles/revoke"
    assert {i["name"]: i["value"] for i in form("input")}.keys() == {"csrf_token", "user_id", "role"}


def test_appoint_and_revoke(client, admin, workshop, post):
    expert = make_user("zhaoexpert", "赵专家")
    response = post(f"/admin/spaces/{workshop.id}/roles", {"username": "ZhaoExpert", "role": "expert"})
    assert response.status_code == 302 and response.location == f"/admin/spaces/{workshop.id}/edit"
    assert user_roles_in(expert, workshop) == {"expert"}
    assert "已任命 赵专家 为学科专家。" in client.get(response.location).get_data(as_text=True)

    response = post(f"/admin/spaces/{workshop.id}/roles/revoke", {"user_id": expert.id, "role": "expert"})
    assert response.status_code == 302
    assert user_roles_in(expert, workshop) == set()


def test_a_new_host_becomes_a_member_and_the_first_can_then_go(
    client, admin, workshop, first_host, post, sign_in
):
    first, second = first_host, make_user("secondhost")
    assert (
        post(f"/admin/spaces/{workshop.id}/roles", {"username": "secondhost", "role": "host"}).status_code
        == 302
    )
    assert is_member(second, workshop) and user_roles_in(second, workshop) == {"host"}
    response = post(f"/admin/spaces/{workshop.id}/roles/revoke", {"user_id": first.id, "role": "host"})
    assert response.status_code == 302 and user_roles_in(first, workshop) == set()
    assert sign_in(second).get(f"/w/{workshop.slug}/members/manage").status_code == 200


def test_the_last_host_cannot_be_revoked(client, admin, workshop, first_host, post):
    host = first_host
    response = post(f"/admin/spaces/{workshop.id}/roles/revoke", {"user_id": host.id, "role": "host"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "工作坊至少需要一位坊主。" in html
    check_html(html)
    assert user_roles_in(host, workshop) == {"host"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "nobody", "role": "expert"}, "找不到该用户名。"),
        ({"username": "", "role": "expert"}, "此项必填。"),
        ({"username": "firsthost", "role": "host"}, "已是坊主。"),
        ({"username": "firsthost", "role": "school_admin"}, "这类空间中不能任命该角色。"),
        ({"username": "firsthost", "role": "king"}, "这类空间中不能任命该角色。"),
        ({"username": "firsthost"}, "这类空间中不能任命该角色。"),
    ],
)
def test_bad_appointments_are_refused(client, admin, workshop, first_host, post, data, message):
    response = post(f"/admin/spaces/{workshop.id}/roles", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    soup = check_html(html)
    # The space form beside it still shows the saved values, not the appoint form's data.
    assert soup.find("input", id="name")["value"] == workshop.name
    assert user_roles_in(first_host, workshop) == {"host"}


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"user_id": "abc", "role": "expert"}, 400),
        ({"user_id": "", "role": "expert"}, 400),
        ({"user_id": "-3", "role": "expert"}, 400),
        ({"user_id": "99999999999999999999", "role": "expert"}, 400),
        ({"user_id": "424242", "role": "expert"}, 404),
        ({"role": "expert"}, 400),
        ({"user_id": "USER", "role": "king"}, 400),
        ({"user_id": "USER"}, 400),
        ({"user_id": "USER", "role": "region_admin"}, 400),
    ],
)
def test_bad_revocations_are_refused_without_a_500(client, admin, workshop, post, data, status):
    expert = make_user("zhaoexpert")
    appoint(expert, workshop, "expert")
    if data.get("user_id") == "USER":
        data = {**data, "user_id": expert.id}
    response = post(f"/admin/spaces/{workshop.id}/roles/revoke", data)
    assert response.status_code == status
    check_html(response.get_data(as_text=True))
    assert user_roles_in(expert, workshop) == {"expert"}


def test_revoking_a_role_not_held_is_a_chinese_400(client, admin, workshop, post):
    teacher = make_user("teacher1")
    response = post(f"/admin/spaces/{workshop.id}/roles/revoke", {"user_id": teacher.id, "role": "expert"})
    assert response.status_code == 400 and "该用户没有这个角色。" in response.get_data(as_text=True)


def test_school_and_region_admins(client, admin, county, post):
    school = make_school(county)
    principal, officer = make_user("principal"), make_user("officer")
    assert (
        post(
            f"/admin/spaces/{school.id}/roles", {"username": "principal", "role": "school_admin"}
        ).status_code
        == 302
    )
    assert (
        post(f"/admin/spaces/{county.id}/roles", {"username": "officer", "role": "region_admin"}).status_code
        == 302
    )
    assert user_roles_in(principal, school) == {"school_admin"}
    assert user_roles_in(officer, county) == {"region_admin"}
    # Roles in schools and regions do not make anyone a member.
    assert not is_member(principal, school)
