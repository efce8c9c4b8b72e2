"""The role × action matrix for briefs."""

from __future__ import annotations

import pytest

from peixun.briefs import service
from peixun.core.policy import can, load_actor
from tests.factories import add_member, appoint, make_admin, make_region, make_user, make_workshop

ACTORS = ["guest", "outsider", "member", "author", "host", "expert", "region_admin", "admin"]


@pytest.fixture
def world(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    people = {
        name: make_user(f"{name.replace('_', '')}x") for name in ACTORS if name not in {"guest", "admin"}
    }
    people["admin"] = make_admin()
    workshop = make_workshop(county, hosts=[people["host"], people["author"]])
    add_member(people["member"], workshop)
    appoint(people["expert"], city, "expert")
    appoint(people["region_admin"], county, "region_admin")
    draft = service.save_draft(people["author"], workshop, series="workshop", title="草稿", body="内容")
    published = service.publish(
        people["author"],
        service.save_draft(people["author"], workshop, series="workshop", title="一", body="x"),
    )
    withdrawn = service.publish(
        people["author"],
        service.save_draft(people["author"], workshop, series="workshop", title="二", body="x"),
    )
    service.withdraw(people["author"], withdrawn, "有误")
    people["guest"] = None
    return {
        "people": people,
        "workshop": workshop,
        "draft": draft,
        "published": published,
        "withdrawn": withdrawn,
    }


IN_WORKSHOP = {"member", "author", "host", "expert", "region_admin", "admin"}
MANAGERS = {"author", "host", "region_admin", "admin"}  # the author is a host here
MATRIX = [
    ("brief.list", "workshop", IN_WORKSHOP),
    ("brief.write", "workshop", {"author", "host", "expert", "region_admin", "admin"}),
    ("brief.view", "draft", MANAGERS),
    ("brief.view", "published", IN_WORKSHOP),
    ("brief.view", "withdrawn", IN_WORKSHOP),
    ("brief.edit", "draft", MANAGERS),
    ("brief.edit", "withdrawn", set()),
    ("brief.publish", "draft", MANAGERS),
    ("brief.publish", "published", set()),
    ("brief.withdraw", "published", MANAGERS),
    ("brief.withdraw", "withdrawn", set()),
    ("brief.readers", "published", MANAGERS),
    ("brief.comment", "published", IN_WORKSHOP),
    ("brief.comment", "withdrawn", set()),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_brief_matrix(world, action, target, allowed):
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, world[target])}
    assert granted == allowed
