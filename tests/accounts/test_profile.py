"""Passwords, profiles, forced password change and the `flask user create` command."""

from __future__ import annotations

from peixun.accounts import service
from peixun.accounts.models import User
from peixun.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_school, make_user


def _change(client, current: str, new: str, confirm: str | None = None):
    data = {
        "current_password": current,
        "new_password": new,
        "confirm": confirm or new,
        "csrf_token": csrf_token(client, "/account/password"),
    }
    return client.post("/account/password", data=data)


def test_change_password_keeps_this_session_and_ends_the_others(app, client, login_as):
    user = make_user("zhangli")
    login_as(user)
    other = app.test_client()
    token = csrf_token(other, "/login")
    other.post("/login", data={"username": "zhangli", "password": PASSWORD, "csrf_token": token})
    assert other.get("/account/profile").status_code == 200
    response = _change(client, PASSWORD, "a-new-password")
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert other.get("/account/profile").status_code == 302
    assert service.authenticate("zhangli", "a-new-password") is not None
    assert service.authenticate("zhangli", PASSWORD) is None


def test_change_password_refuses_wrong_current_and_mismatch(client, login_as):
    login_as(make_user("zhangli"))
    wrong = _change(client, "not-my-password", "a-new-password")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = _change(client, PASSWORD, "a-new-password", "another-password")
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    same = _change(client, PASSWORD, PASSWORD)
    assert same.status_code == 400 and "不能与当前密码相同" in same.get_data(as_text=True)
    assert service.authenticate("zhangli", PASSWORD) is not None


def test_account_made_by_someone_else_must_change_password_first(client, login_as):
    user = make_user("zhangli", must_change_password=True)
    login_as(user)
    for url in ("/", "/account/profile", f"/u/{user.username}"):
        response = client.get(url)
        assert response.status_code == 302 and response.location == "/account/password", url
    assert "请先设置自己的密码" in client.get("/account/password").get_data(as_text=True)
    assert _change(client, PASSWORD, "my-own-password").status_code == 302
    assert client.get("/").status_code == 200
    assert db.session.get(User, user.id).must_change_password is False


def test_edit_profile(client, login_as, get_page):
    school = make_school(name="兴仁县民族中学")
    user = make_user("zhangli", "张丽")
    login_as(user)
    get_page("/account/profile")
    data = {
        "real_name": "张丽华",
        "subject": "数学",
        "stage": "初中",
        "school": str(school.id),
        "bio": "从事初中数学教学十年。",
        "csrf_token": csrf_token(client, "/account/profile"),
    }
    response = client.post("/account/profile", data=data)
    assert response.status_code == 302 and response.location == "/u/zhangli"
    page = get_page("/u/zhangli").get_text()
    assert (
        "张丽华" in page
        and "初中数学" in page
        and "从事初中数学教学十年" in page
        and "兴仁县民族中学" in page
    )
    # The form shows the saved school next time.
    selected = get_page("/account/profile").find("option", selected=True, value=str(school.id))
    assert selected is not None
    # Clearing the school leaves the school community.
    data.update(school="", csrf_token=csrf_token(client, "/account/profile"))
    client.post("/account/profile", data=data)
    assert "兴仁县民族中学" not in get_page("/u/zhangli").find("aside").get_text()


def test_edit_profile_rejects_bad_values(client, login_as):
    login_as(make_user("zhangli", "张丽"))
    for change in ({"subject": "炼金术"}, {"stage": "大学"}, {"real_name": ""}, {"bio": "长" * 501}):
        data = {
            "real_name": "张丽",
            "subject": "",
            "stage": "",
            "school": "",
            "bio": "",
            **change,
            "csrf_token": csrf_token(client, "/account/profile"),
        }
        assert client.post("/account/profile", data=data).status_code == 400, change
    assert db.session.execute(db.select(User.real_name)).scalar() == "张丽"


def test_profile_pages_need_login(client):
    for url in ("/account/profile", "/account/password"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_passwords_are_hashed_with_a_current_algorithm(app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    user = make_user("zhangli")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_user_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "boss", "--password", "long-enough-1", "--admin"])
    assert result.exit_code == 0, result.output
    user = service.find_user("boss")
    assert user.is_admin and user.must_change_password
    assert service.authenticate("boss", "long-enough-1") is not None
    again = runner.invoke(args=["user", "create", "boss", "--password", "long-enough-1"])
    assert again.exit_code != 0 and "已被使用" in again.output
    short = runner.invoke(args=["user", "create", "other", "--password", "short"])
    assert short.exit_code != 0
    kept = runner.invoke(
        args=[
            "user",
            "create",
            "plain",
            "--password",
            "long-enough-1",
            "--keep-password",
            "--real-name",
            "普通老师",
        ]
    )
    assert kept.exit_code == 0
    plain = service.find_user("plain")
    assert not plain.is_admin and not plain.must_change_password and plain.real_name == "普通老师"


def test_whitespace_is_not_a_subject(client, login_as):
    login_as(make_user("zhangli", "张丽"))
    for change in ({"subject": "\u3000" * 17}, {"stage": "   "}):
        data = {
            "real_name": "张丽",
            "subject": "",
            "stage": "",
            "school": "",
            "bio": "",
            **change,
            "csrf_token": csrf_token(client, "/account/profile"),
        }
        assert client.post("/account/profile", data=data).status_code == 400, change
    assert db.session.execute(db.select(User.subject)).scalar() == ""


def test_renaming_renames_the_personal_space(client, login_as):
    login_as(make_user("zhangli", "张丽"))
    data = {
        "real_name": "王芳",
        "subject": "",
        "stage": "",
        "school": "",
        "bio": "",
        "csrf_token": csrf_token(client, "/account/profile"),
    }
    client.post("/account/profile", data=data)
    assert "王芳的个人空间" in client.get("/").get_data(as_text=True)


def test_changing_school_leaves_the_old_schools_groups(app):
    from peixun.spaces import service as spaces
    from tests.factories import add_member, make_group

    first, second = make_school(name="一中"), make_school(name="二中")
    leader, teacher = make_user("leader1"), make_user("teacher1")
    add_member(leader, first)
    add_member(teacher, first)
    group = make_group(first, leader)
    spaces.invite(leader, group, teacher)
    spaces.set_school(teacher, second.id)
    db.session.commit()
    assert spaces.membership(teacher, group) is None
    # The group's leader must hand the group over before changing school.
    import pytest

    from peixun.core.errors import ServiceError

    with pytest.raises(ServiceError, match="研修组长"):
        spaces.set_school(leader, second.id)
