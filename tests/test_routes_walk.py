"""Walk every route in the URL map with odd values, as a guest and as each kind of
user: no response is a 500, and a request without a CSRF token changes nothing."""

from __future__ import annotations

import itertools
import re

import pytest

from peixun.accounts.models import User
from peixun.extensions import db
from peixun.spaces.models import Membership, RoleAssignment, Space
from tests.factories import add_member, make_admin, make_group, make_school, make_user, make_workshop

ODD_TEXT = ["nope", "ＡＢＣ", "a\u200bb", "\u202eabc", "😀", "%ED%A0%80", "x" * 300, "-1"]
ODD_INTS = [0, 1, 2, 10**12]
ODD_QUERIES = ["", "?page=-1", "?page=abc", "?page=10000000000", "?next=//evil.example", "?q=%ED%A0%80"]


@pytest.fixture
def community(app):
    host = make_user("host1", "李坊主")
    workshop = make_workshop(hosts=[host])
    school = make_school(workshop.parent)
    teacher = make_user("teacher1", "王老师", school_id=school.id)
    add_member(teacher, workshop)
    group = make_group(workshop, host)
    return {
        "host": host,
        "teacher": teacher,
        "admin": make_admin("admin1"),
        "slugs": [workshop.slug, school.slug, workshop.parent.slug, group.slug],
    }


def _values(rule, name: str, slugs: list[str]) -> list[object]:
    converter = rule._converters[name]
    if hasattr(converter, "items"):
        return sorted(converter.items)
    if type(converter).__name__ == "IntegerConverter":
        return ODD_INTS
    return [*slugs, "teacher1", *ODD_TEXT]


def _urls(app, slugs: list[str]) -> list[tuple[str, str]]:
    """(method, url) for every route, its arguments filled with real and odd values."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        names = sorted(rule.arguments)
        combos = itertools.product(*(_values(rule, name, slugs) for name in names))
        for combo in itertools.islice(combos, 24):
            values = dict(zip(names, combo, strict=True))
            url = re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            found.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return found


def _snapshot() -> tuple[int, ...]:
    return tuple(
        db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()
        for model in (User, Space, Membership, RoleAssignment)
    )


@pytest.mark.parametrize("who", ["guest", "teacher", "host", "admin"])
def test_no_route_answers_500_and_posts_without_csrf_change_nothing(app, community, login_as, client, who):
    if who != "guest":
        login_as(community[who])
    before = _snapshot()
    for method, url in _urls(app, community["slugs"]):
        for query in ODD_QUERIES if method == "GET" else [""]:
            if url == "/logout" or url.endswith("/leave"):
                continue  # would end this walk's own session; covered elsewhere
            response = client.open(url + query, method=method, data={"username": "x" * 5000})
            assert response.status_code < 500, (who, method, url + query, response.status_code)
            if method == "POST":
                assert response.status_code in {400, 404, 405}, (who, url)
    assert _snapshot() == before
