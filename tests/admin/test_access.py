"""Only site admins reach the administration pages: guests go to the login page, everyone
else gets 403, and a refused POST writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from peixun.extensions import db
from peixun.spaces.models import RoleAssignment, Space
from peixun.spaces.service import user_roles_in
from tests.conftest import csrf_token
from tests.factories import appoint, make_school, make_user, make_workshop


@pytest.fixture
def targets(county):
    host = make_user("hostli", "李坊主")
    workshop = make_workshop(county, hosts=[host])
    school = make_school(county)
    victim = make_user("victim", "王老师")
    expert = make_user("expertzhao", "赵专家")
    appoint(expert, workshop, "expert")
    return {
        "county": county,
        "workshop": workshop,
        "school": school,
        "host": host,
        "victim": victim,
        "expert": expert,
    }


def _pages(t) -> list[str]:
    return [
        "/admin/",
        "/admin/spaces",
        "/admin/spaces?kind=school",
        "/admin/spaces/new/region",
        "/admin/spaces/new/school",
        "/admin/spaces/new/workshop",
        f"/admin/spaces/{t['workshop'].id}/edit",
        f"/admin/spaces/{t['county'].id}/edit",
        "/admin/users",
        "/admin/users?q=wang",
        "/admin/users/new",
        f"/admin/users/{t['victim'].id}/password",
    ]


def _posts(t) -> list[tuple[str, dict[str, object]]]:
    workshop, victim = t["workshop"], t["victim"]
    return [
        (
            "/admin/spaces/new/region",
            {"name": "贵州省", "slug": "guizhou", "parent": "", "region_level": "province"},
        ),
        ("/admin/spaces/new/school", {"name": "新学校", "slug": "new-school", "parent": t["county"].id}),
        (
            "/admin/spaces/new/workshop",
            {"name": "新工作坊", "slug": "new-ws", "parent": t["county"].id, "host": "victim"},
        ),
        (
            f"/admin/spaces/{workshop.id}/edit",
            {"name": "改名", "slug": workshop.slug, "parent": t["county"].id},
        ),
        (f"/admin/spaces/{workshop.id}/roles", {"username": "victim", "role": "host"}),
        (f"/admin/spaces/{workshop.id}/roles/revoke", {"user_id": t["expert"].id, "role": "expert"}),
        ("/admin/users/new", {"username": "newbie", "real_name": "新老师", "password": "long-enough-1"}),
        (f"/admin/users/{victim.id}/disable", {}),
        (f"/admin/users/{victim.id}/enable", {}),
        (f"/admin/users/{victim.id}/password", {"password": "another-pass-1"}),
    ]


def _snapshot(t) -> tuple[object, ...]:
    spaces = db.session.execute(select(func.count()).select_from(Space)).scalar_one()
    roles = db.session.execute(select(func.count()).select_from(RoleAssignment)).scalar_one()
    victim = t["victim"]
    return (
        spaces,
        roles,
        t["workshop"].name,
        victim.is_disabled,
        victim.password_hash,
        victim.auth_token,
        user_roles_in(t["expert"], t["workshop"]),
    )


def test_guests_are_sent_to_the_login_page(client, targets):
    before = _snapshot(targets)
    for url in _pages(targets):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next="), url
    for url, data in _posts(targets):
        data = {**data, "csrf_token": csrf_token(client, "/login")}
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.location.startswith("/login?next="), url
    db.session.expire_all()
    assert _snapshot(targets) == before


@pytest.mark.parametrize("who", ["teacher", "host", "expert", "region_admin"])
def test_everyone_but_a_site_admin_is_refused(client, targets, login_as, post, who):
    if who == "teacher":
        user = make_user("teacher1")
    elif who == "region_admin":
        user = make_user("regionadmin")
        appoint(user, targets["county"], "region_admin")
    else:
        user = targets[who]
    login_as(user)
    before = _snapshot(targets)
    for url in _pages(targets):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "没有权限" in response.get_data(as_text=True)
    for url, data in _posts(targets):
        assert post(url, data).status_code == 403, url
    db.session.expire_all()
    assert _snapshot(targets) == before


def test_no_admin_link_for_teachers(client, login_as, get_page):
    login_as(make_user("teacher1"))
    assert get_page("/").find("a", href="/admin/") is None


def test_admin_sees_the_admin_link_and_dashboard(client, admin, targets, get_page):
    assert get_page("/").find("a", href="/admin/") is not None
    soup = get_page("/admin/")
    assert soup.h1.get_text(strip=True) == "平台管理"
    stats = soup.find("ul", class_="stats").get_text(" ", strip=True)
    # Two regions (city, county), one school, one workshop; four accounts.
    assert "2 个区域" in stats and "1 所学校" in stats and "1 个工作坊" in stats and "4 个账号" in stats
    links = {a["href"] for a in soup.find_all("a")}
    assert {"/admin/spaces", "/admin/users", "/admin/users/new", "/admin/spaces/new/workshop"} <= links


def test_every_admin_page_passes_the_page_checks(client, admin, targets, get_page):
    for url in _pages(targets):
        soup = get_page(url)
        assert soup.title.get_text().endswith("研修社区"), url
