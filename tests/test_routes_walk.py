"""Walk every route in the URL map with odd values, as a guest and as each kind of
user: no response is a 500, and a request without a CSRF token changes nothing."""

from __future__ import annotations

import io
import itertools
import re

import pytest

from peixun.accounts.models import User
from peixun.core.policy import EXPERT, REGION_ADMIN, SCHOOL_ADMIN
from peixun.extensions import db
from peixun.spaces.models import Membership, RoleAssignment, Space
from tests.conftest import csrf_token
from tests.factories import add_member, appoint, make_admin, make_group, make_school, make_user, make_workshop

ODD_TEXT = ["nope", "ＡＢＣ", "a\u200bb", "\u202eabc", "😀", "%ED%A0%80", "x" * 300, "-1"]
ODD_INTS = [0, 1, 2, 10**12]
ODD_QUERIES = [
    "",
    "?page=-1",
    "?page=abc",
    "?page=0",
    "?page=1000000000000",
    "?next=//evil.example",
    "?q=%ED%A0%80",
]


@pytest.fixture
def community(app):
    host = make_user("host1", "李坊主")
    workshop = make_workshop(hosts=[host])
    school = make_school(workshop.parent)
    teacher = make_user("teacher1", "王老师", school_id=school.id)
    add_member(teacher, workshop)
    leader = make_user("leader1", "赵组长", school_id=school.id)
    group = make_group(workshop, leader)
    expert = make_user("expert1", "孙专家")
    appoint(expert, workshop.parent, EXPERT)
    school_admin = make_user("schooladmin1", "周校管", school_id=school.id)
    appoint(school_admin, school, SCHOOL_ADMIN)
    region_admin = make_user("regionadmin1", "吴区管")
    appoint(region_admin, workshop.parent, REGION_ADMIN)
    return {
        "host": host,
        "teacher": teacher,
        "leader": leader,
        "expert": expert,
        "school_admin": school_admin,
        "region_admin": region_admin,
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


ROLES = ["guest", "teacher", "leader", "host", "expert", "school_admin", "region_admin", "admin"]


@pytest.mark.parametrize("who", ROLES)
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


# With a valid CSRF token: every POST form gets nothing, then every field name any form
# uses filled with hostile values, and every route gets the methods it does not allow.
HOSTILE_VALUES = [
    "",
    "x" * 100_000,
    "ＡＢＣ１２３",
    "a\u200bb\u200d",
    "\u202eevil\u202c",
    "😀👩‍🏫",
    "-1",
    "10000000000000",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
FIELDS = [
    "title",
    "body",
    "name",
    "slug",
    "description",
    "username",
    "password",
    "new_password",
    "confirm",
    "current_password",
    "real_name",
    "role",
    "user_id",
    "reason",
    "tags",
    "q",
    "kind",
    "type",
    "subject",
    "stage",
    "deadline",
    "date",
    "score",
    "comment",
    "text",
    "words",
    "terms",
    "note",
    "round",
    "recording_round",
    "parent",
    "host",
    "target",
    "next",
    "decision",
    "form_key",
    "vocabulary",
    "mode",
    "source",
    "theme",
    "question",
    "unit",
    "phone",
    "gender",
    "school",
    "region_level",
    "is_open",
    "link_url",
    "rubric",
    "entries",
    "reviewers",
    "summary",
    "period",
]
NOT_WALKED = {"/logout"}  # ends the walk's own session; covered in tests/accounts


def _odd_form(turn: int) -> dict[str, str]:
    return {name: HOSTILE_VALUES[(turn + i) % len(HOSTILE_VALUES)] for i, name in enumerate(FIELDS)}


def _all_counts() -> tuple[int, ...]:
    return tuple(
        db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    )


def _guarded() -> tuple[int, ...]:
    """What no walk as a non-admin may change: admins, disabled accounts, roles, regions."""
    count = db.func.count()
    return (
        db.session.execute(db.select(count).select_from(User).where(User.is_admin)).scalar_one(),
        db.session.execute(db.select(count).select_from(User).where(User.is_disabled)).scalar_one(),
        db.session.execute(db.select(count).select_from(RoleAssignment)).scalar_one(),
        db.session.execute(db.select(count).select_from(Space).where(Space.kind == "region")).scalar_one(),
    )


@pytest.mark.parametrize("who", [role for role in ROLES if role != "admin"])
def test_forms_with_a_valid_token_and_hostile_fields_never_answer_500(app, community, login_as, client, who):
    if who != "guest":
        login_as(community[who])
    token = csrf_token(client, "/login" if who == "guest" else "/")
    before_all, before_guarded = _all_counts(), _guarded()
    for method, url in _urls(app, community["slugs"]):
        if method != "POST" or url in NOT_WALKED or url.endswith("/leave"):
            continue
        # Empty; every field hostile (some 100,000 characters); hostile fields just over the
        # usual limits with a junk file; one field over the request's memory limit (413).
        turns = [{}, _odd_form(0), {**_odd_form(3), "body": "x" * 5001}, {"body": "x" * 3_000_000}]
        for turn, form in enumerate(turns):
            data: dict[str, object] = {**form, "csrf_token": token}
            if turn == 2:
                data = {
                    k: v[:5001] if isinstance(v, str) and k != "csrf_token" else v for k, v in data.items()
                }
                data["file"] = (io.BytesIO(b"\x00\xff" * 2048), "\u202egpj.exe")
            # Only the file turn is multipart: the test client spools bigger multipart bodies
            # to a temporary file it never closes (a ResourceWarning, not the app's).
            response = client.post(url, data=data)
            assert response.status_code < 500, (who, url, turn, response.status_code)
    if who == "guest":
        assert _all_counts() == before_all
    assert _guarded() == before_guarded


@pytest.mark.parametrize("who", ["guest", "admin"])
def test_wrong_methods_are_405_and_odd_unicode_in_queries_is_harmless(app, community, login_as, client, who):
    if who != "guest":
        login_as(community[who])
    before = _all_counts()
    seen = set()
    for _method, url in _urls(app, community["slugs"]):
        if url in seen:
            continue
        seen.add(url)
        for method in ("PUT", "DELETE", "PATCH"):
            assert client.open(url, method=method).status_code in {404, 405}, (method, url)
        for query in ("?q=%ED%A0%80&page=%EF%BC%91", "?page=0", "?page=%F0%9F%98%80", "?q=\u202e%00"):
            assert client.get(url + query).status_code < 500, (who, url + query)
    assert _all_counts() == before
