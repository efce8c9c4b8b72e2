"""Sign-in, sign-out, sessions, throttling and the cookies they rely on."""

from __future__ import annotations

import pytest

from peixun.accounts.models import User
from peixun.extensions import db, limiter
from tests.conftest import REDIS_URL, csrf_token
from tests.factories import PASSWORD, make_school, make_user


def _login(client, username: str, password: str = PASSWORD, **extra: str):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client, "/login"), **extra}
    return client.post("/login", data=data)


def test_login_redirects_home_and_records_time(client):
    user = make_user("zhangli", "张丽")
    response = _login(client, "ZhangLi ")
    assert response.status_code == 302 and response.location == "/"
    assert db.session.get(User, user.id).last_login_at is not None
    assert "张丽" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_give_the_same_answer(client):
    make_user("zhangli")
    wrong = _login(client, "zhangli", "not-the-password")
    unknown = _login(client, "nobody_here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert "用户名或密码不正确" in unknown.get_data(as_text=True)


def test_disabled_account_cannot_log_in(client):
    user = make_user("zhangli")
    user.is_disabled = True
    db.session.commit()
    assert _login(client, "zhangli").status_code == 400


def test_next_is_followed_only_on_this_site(client):
    make_user("zhangli")
    token = csrf_token(client, "/login")
    ok = client.post(
        "/login?next=/account/profile",
        data={"username": "zhangli", "password": PASSWORD, "csrf_token": token},
    )
    assert ok.location == "/account/profile"


def test_open_redirects_are_refused(app):
    hostile = [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "http:///evil.example",
        "https://evil.example/",
        "/ok\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
    ]
    for target in hostile:
        client = app.test_client()
        make_user(f"u{abs(hash(target)) % 10**8}")
        username = db.session.execute(db.select(User.username).order_by(User.id.desc())).scalar()
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, target
        assert response.location == "/", target


def test_login_without_csrf_token_is_refused(client):
    make_user("zhangli")
    response = client.post("/login", data={"username": "zhangli", "password": PASSWORD})
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)


def test_logout_is_post_only_and_ends_every_session(app, client, login_as):
    user = make_user("zhangli")
    login_as(user)
    other_device = app.test_client()
    _login(other_device, "zhangli")
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    # The other device's session is gone too.
    assert other_device.get("/account/profile").status_code == 302


def test_old_session_cookie_replayed_after_logout_is_refused(app, client, login_as):
    login_as(make_user("zhangli"))
    stolen = client.get_cookie("peixun_session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    thief = app.test_client()
    thief.set_cookie("peixun_session", stolen)
    response = thief.get("/account/profile")
    assert response.status_code == 302 and "/login" in response.location


def test_remember_cookie_is_set_with_flags_and_dies_on_logout(app, client):
    make_user("zhangli")
    response = _login(client, "zhangli", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("peixun_remember="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember
    session = next(c for c in cookies if c.startswith("peixun_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    value = client.get_cookie("peixun_remember").value
    # A browser that only has the remember cookie is signed in...
    fresh = app.test_client()
    fresh.set_cookie("peixun_remember", value)
    assert fresh.get("/account/profile").status_code == 200
    # ...until the account logs out anywhere.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    replay = app.test_client()
    replay.set_cookie("peixun_remember", value)
    assert replay.get("/account/profile").status_code == 302


def test_secure_cookie_flag_when_configured(app, client):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    make_user("zhangli")
    cookies = _login(client, "zhangli", remember="y").headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies if c.startswith(("peixun_session", "peixun_remember")))


THROTTLED = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "5 per minute",
}


@pytest.mark.parametrize(
    "settings",
    [THROTTLED, {**THROTTLED, "RATELIMIT_STORAGE_URI": REDIS_URL}],
    indirect=True,
    ids=["memory", "redis"],
)
def test_login_throttled_per_account_and_per_address(app, fresh_limits):
    make_user("zhangli")
    client = app.test_client()
    codes = [_login(client, "zhangli", "wrong-password").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    # Even the right password is refused while the account is throttled...
    response = _login(client, "zhangli")
    assert response.status_code == 429 and "操作过于频繁" in response.get_data(as_text=True)
    # ...and other names from the same address count towards the address limit.
    codes = [_login(client, f"nobody{i}", "wrong-password").status_code for i in range(3)]
    assert codes == [400, 400, 429]


@pytest.mark.parametrize("settings", [THROTTLED], indirect=True)
def test_every_attempt_counts_so_parallel_guesses_are_throttled(app):
    """Counting only failures (after the view) would let simultaneous guesses through."""
    from concurrent.futures import ThreadPoolExecutor

    from flask.testing import FlaskClient

    limiter.reset()
    make_user("zhangli")
    token_client = app.test_client()
    token = csrf_token(token_client, "/login")
    cookie = token_client.get_cookie("peixun_session").value

    def guess(_: int) -> int:
        client = FlaskClient(app, app.response_class)
        client.set_cookie("peixun_session", cookie)
        data = {"username": "zhangli", "password": "wrong-password", "csrf_token": token}
        return client.post("/login", data=data).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(guess, range(12)))
    assert codes.count(400) == 3 and codes.count(429) == 9
    # Successful sign-ins count too: the account is now throttled for everyone.
    assert _login(app.test_client(), "zhangli").status_code == 429


def test_overlong_password_is_refused_without_hashing(client):
    make_user("zhangli")
    assert _login(client, "zhangli", "x" * 10_000).status_code == 400


def test_register_creates_account_personal_space_and_school(client, get_page):
    school = make_school(name="兴义市第八中学")
    soup = get_page("/register")
    assert soup.find("optgroup") is not None
    data = {
        "username": "wangfang",
        "real_name": "王芳",
        "password": "secret-pass-1",
        "confirm": "secret-pass-1",
        "school": str(school.id),
        "csrf_token": csrf_token(client, "/register"),
    }
    response = client.post("/register", data=data)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "兴义市第八中学" in home and "王芳的个人空间" in home
    assert client.get("/u/wangfang").status_code == 200


def test_register_rejects_bad_input_with_chinese_errors(client):
    make_user("taken_name")
    cases = [
        ({"username": "taken_name"}, "已被使用"),
        ({"username": "中文名"}, "用户名格式不正确"),
        ({"confirm": "different-pass"}, "两次输入的密码不一致"),
        ({"password": "short", "confirm": "short"}, "密码长度"),
        ({"real_name": ""}, "此项必填"),
        ({"school": "999999"}, "请选择列表中的学校"),
        ({"school": "abc"}, "请选择列表中的学校"),
    ]
    for change, message in cases:
        data = {
            "username": "newuser",
            "real_name": "新老师",
            "password": "secret-pass-1",
            "confirm": "secret-pass-1",
            "school": "",
            **change,
        }
        data["csrf_token"] = csrf_token(client, "/register")
        response = client.post("/register", data=data)
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar() == 1


def test_real_name_is_cleaned_of_control_and_bidi_characters(client):
    data = {
        "username": "newuser",
        "real_name": "王\u202e芳\u200b",
        "password": "secret-pass-1",
        "confirm": "secret-pass-1",
        "school": "",
        "csrf_token": csrf_token(client, "/register"),
    }
    assert client.post("/register", data=data).status_code == 302
    assert db.session.execute(db.select(User.real_name)).scalar() == "王芳"
