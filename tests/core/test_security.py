"""Security headers, safe redirects and the Chinese error pages."""

from __future__ import annotations

import pytest
from flask import abort

from peixun.core.security import is_safe_next
from tests.factories import make_user


def test_security_headers_on_every_page(client):
    for url in ("/", "/login", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "http:///evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/ok\r\nX: y",
        "",
        None,
        "evil.example",
        "/\u202eabc",
        "/" + "a" * 3000,
    ],
)
def test_unsafe_next_targets(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/account/profile", "/w/ws-1/members?page=2", "/u/zhangli#top"])
def test_safe_next_targets(target):
    assert is_safe_next(target)


def test_405_is_chinese_with_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "请求方式不支持" in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]


def test_413_for_oversized_request(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "内容过大" in response.get_data(as_text=True)


def test_500_page_is_chinese_and_rolls_back(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-test")
    def boom():
        raise RuntimeError("boom")

    from peixun.core.errors import handle_unexpected

    app.register_error_handler(Exception, handle_unexpected)
    response = client.get("/boom-test")
    assert response.status_code == 500
    assert "服务器出错了" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "text"), [(400, "请求有误"), (403, "没有权限"), (404, "页面不存在"), (429, "操作过于频繁")]
)
def test_error_pages_are_chinese(app, client, code, text):
    @app.get(f"/abort-test-{code}")
    def aborter():
        abort(code)

    response = client.get(f"/abort-test-{code}")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert text in body and '<html lang="zh-CN">' in body


def test_forbidden_action_is_403_for_users_and_login_for_guests(client, login_as):
    assert client.get("/admin/").location.startswith("/login?next=")
    login_as(make_user("zhangli"))
    response = client.get("/admin/")
    assert response.status_code == 403 and "没有权限" in response.get_data(as_text=True)


def test_session_cookie_flags(client):
    make_user("zhangli")
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "zhangli", "password": "password123", "csrf_token": token}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("peixun_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    # The session lasts PERMANENT_SESSION_LIFETIME (12 hours), not the browser's whim.
    assert "Expires=" in cookie


def test_session_expires_after_its_lifetime(app, client):
    from datetime import timedelta

    from tests.conftest import csrf_token

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=-1)
    make_user("zhangli")
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": "zhangli", "password": "password123", "csrf_token": token})
    assert client.get("/account/profile").status_code == 302


@pytest.mark.parametrize(
    "url", ["/w/abc%00def", "/u/zhang%00li", "/?x=%00", "/r/x/members?page=1%00", "/login?next=/%00"]
)
def test_nul_bytes_are_a_400_not_a_database_error(client, url):
    response = client.get(url)
    assert response.status_code in {400, 404}


def test_nul_bytes_in_forms_are_refused(client):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "zhang\x00li", "password": "x", "csrf_token": token})
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)


def test_sign_in_starts_a_fresh_session(client):
    from tests.conftest import csrf_token

    make_user("zhangli")
    before = csrf_token(client, "/login")
    client.post("/login", data={"username": "zhangli", "password": "password123", "csrf_token": before})
    assert csrf_token(client, "/account/profile") != before


def test_hashed_static_files_are_cached_for_a_year(client):
    with client.get("/static/css/site.css?v=abc") as response:
        assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]


def test_a_database_conflict_is_a_chinese_409(app, client):
    from sqlalchemy.exc import IntegrityError

    @app.get("/conflict-test")
    def conflict():
        raise IntegrityError("INSERT", {}, Exception("duplicate"))

    response = client.get("/conflict-test")
    assert response.status_code == 409 and "操作冲突" in response.get_data(as_text=True)
