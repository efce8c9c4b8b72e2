"""Accounts: list and search, create with a first-login password change, disable, reset."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.accounts.service import create_user, find_user, hash_password
from peixun.extensions import db
from peixun.spaces.queries import school_id_of
from tests.admin.conftest import sign_in_client
from tests.factories import PASSWORD, make_school, make_user
from tests.pages import check_html


def _users() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


def test_list_shows_accounts(client, admin, get_page):
    teacher = make_user("wangfang", "王芳")
    teacher.is_disabled = True
    db.session.commit()
    soup = get_page("/admin/users")
    rows = {
        tr.td.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr("td")]
        for tr in soup.tbody("tr")
    }
    assert rows["boss"][:3] == ["boss", "管理员", "平台管理员"]
    assert rows["boss"][4] != "从未登录"  # she signed in for this test
    assert rows["wangfang"][:5] == ["wangfang", "王芳", "", "已停用", "从未登录"]
    assert "启用" in rows["wangfang"][5] and "重置密码" in rows["wangfang"][5]
    # An admin cannot lock herself out, so her own row has no 停用 button.
    assert "停用" not in rows["boss"][5]


def test_create_account_must_change_password_at_first_login(client, admin, county, post, app):
    school = make_school(county, "兴义一中")
    response = post(
        "/admin/users/new",
        {"username": "ChenJing", "real_name": "陈静", "password": "first-pass-1", "school": school.id},
    )
    assert response.status_code == 302 and response.location == "/admin/users?q=chenjing"
    user = find_user("chenjing")
    assert user.real_name == "陈静" and user.must_change_password and not user.is_admin
    assert school_id_of(user) == school.id
    assert "对方首次登录时须修改密码" in client.get(response.location).get_data(as_text=True)

    her_client, status = sign_in_client(app, "chenjing", "first-pass-1")
    assert status == 302
    for url in ("/", "/u/chenjing", f"/s/{school.slug}"):
        response = her_client.get(url)
        assert response.status_code == 302 and response.location == "/account/password", url


def test_create_an_admin_account(client, admin, post):
    post(
        "/admin/users/new",
        {"username": "boss2", "real_name": "副管理员", "password": "first-pass-1", "is_admin": "y"},
    )
    assert find_user("boss2").is_admin


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "taken"}, "该用户名已被使用，请换一个。"),
        ({"username": "9lives"}, "用户名格式不正确。"),
        ({"username": ""}, "此项必填。"),
        ({"real_name": ""}, "此项必填。"),
        ({"real_name": "\u200b"}, "请填写姓名。"),
        ({"password": "short"}, "密码长度应为 8–128 个字符。"),
        ({"school": "424242"}, "请选择列表中的学校。"),
        ({"school": "abc"}, "请选择列表中的学校。"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_written(client, admin, post, changes, message):
    make_user("taken")
    data = {"username": "newbie", "real_name": "新老师", "password": "long-enough-1", "school": ""}
    before = _users()
    response = post("/admin/users/new", {**data, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    check_html(html)
    assert _users() == before


def test_disable_ends_her_sessions_and_she_cannot_sign_in(client, admin, post, sign_in, app):
    teacher = make_user("wangfang", "王芳")
    her_client = sign_in(teacher)
    assert her_client.get("/account/profile").status_code == 200
    response = post(f"/admin/users/{teacher.id}/disable", {"next": "/admin/users?q=wang"})
    assert response.status_code == 302 and response.location == "/admin/users?q=wang"
    assert find_user("wangfang").is_disabled
    response = her_client.get("/account/profile")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert sign_in_client(app, "wangfang")[1] == 400

    assert post(f"/admin/users/{teacher.id}/enable").status_code == 302
    assert not find_user("wangfang").is_disabled
    assert sign_in_client(app, "wangfang")[1] == 302


def test_disable_ignores_an_offsite_next(client, admin, post):
    teacher = make_user("wangfang")
    response = post(f"/admin/users/{teacher.id}/disable", {"next": "//evil.example/"})
    assert response.location == "/admin/users"


def test_an_admin_cannot_disable_herself(client, admin, post):
    assert post(f"/admin/users/{admin.id}/disable").status_code == 403
    assert not find_user("boss").is_disabled
    assert client.get("/admin/").status_code == 200


def test_an_admin_changes_her_own_password_on_her_account_page(client, admin, post):
    assert client.get(f"/admin/users/{admin.id}/password").status_code == 403
    assert post(f"/admin/users/{admin.id}/password", {"password": "temporary-1"}).status_code == 403
    assert client.get("/admin/").status_code == 200


def test_unknown_users_are_404(client, admin, post):
    for user_id in (0, 424242, 99999999999999):
        assert post(f"/admin/users/{user_id}/disable").status_code == 404
        assert client.get(f"/admin/users/{user_id}/password").status_code == 404
    assert post("/admin/users/1/delete").status_code == 404


def test_reset_password(client, admin, post, sign_in, app, get_page):
    teacher = make_user("wangfang", "王芳")
    her_client = sign_in(teacher)
    assert "重置密码：王芳" in get_page(f"/admin/users/{teacher.id}/password").h1.get_text()
    response = post(f"/admin/users/{teacher.id}/password", {"password": "temporary-1"})
    assert response.status_code == 302
    assert her_client.get("/account/profile").location.startswith("/login")
    assert sign_in_client(app, "wangfang", PASSWORD)[1] == 400
    new_client, status = sign_in_client(app, "wangfang", "temporary-1")
    assert status == 302 and new_client.get("/").location == "/account/password"


def test_reset_password_refuses_a_short_one(client, admin, post):
    teacher = make_user("wangfang")
    old_hash = teacher.password_hash
    response = post(f"/admin/users/{teacher.id}/password", {"password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "密码长度应为 8–128 个字符。" in html
    check_html(html)
    db.session.expire_all()
    assert teacher.password_hash == old_hash


def _names(get_page, url: str) -> list[str]:
    tbody = get_page(url).tbody
    return [] if tbody is None else [tr.td.get_text(strip=True) for tr in tbody("tr")]


def test_search_by_username_or_real_name(client, admin, get_page):
    make_user("wangfang", "王芳")
    make_user("wangli", "汪丽")
    make_user("zhangwei", "张伟")
    assert _names(get_page, "/admin/users?q=wang") == ["wangfang", "wangli"]
    assert _names(get_page, "/admin/users?q=WANG") == ["wangfang", "wangli"]
    assert _names(get_page, "/admin/users?q=张") == ["zhangwei"]
    assert _names(get_page, "/admin/users?q=%25") == []  # a LIKE wildcard is matched literally
    assert _names(get_page, "/admin/users?q=_") == []
    assert "没有找到匹配的账号" in get_page("/admin/users?q=nobody").get_text()
    soup = get_page("/admin/users?q=" + "w" * 500)
    assert len(soup.find("input", id="q")["value"]) == 32


def _add_users(count: int, prefix: str) -> None:
    password_hash = hash_password(PASSWORD)
    for i in range(count):
        create_user(f"{prefix}{i:03}", "王老师", password_hash=password_hash, commit=False)
    db.session.commit()


def test_list_pages_and_bounds(client, admin, get_page):
    _add_users(34, "t")  # 35 with the admin: two pages of 30
    first = get_page("/admin/users")
    assert len(first.tbody("tr")) == 30 and first.find("a", rel="next")["href"] == "/admin/users?page=2"
    assert len(get_page("/admin/users?page=2").tbody("tr")) == 5
    assert get_page("/admin/users?q=t0&page=2").find("a", rel="prev")["href"] == "/admin/users?page=1&q=t0"
    for bad in ("0", "abc", "-1", "3", "999999", "1" * 20):
        assert client.get(f"/admin/users?page={bad}").status_code == 404, bad
    assert client.get("/admin/users?q=t01&page=2").status_code == 404


def test_list_queries_stay_bounded(client, admin, count_queries):
    def queries_for_list() -> int:
        with count_queries() as counter:
            assert client.get("/admin/users").status_code == 200
        return counter.count

    _add_users(4, "few")
    few = queries_for_list()
    _add_users(46, "many")
    assert queries_for_list() == few
