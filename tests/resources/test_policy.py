"""The role × action matrix for resources: libraries, the upward flow, calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peixun.core.db import utcnow
from peixun.core.policy import can, load_actor
from peixun.core.text import local
from peixun.extensions import db
from peixun.resources import service
from peixun.resources.models import Call
from peixun.spaces.service import ensure_personal_space
from tests.factories import (
    add_member,
    appoint,
    make_admin,
    make_group,
    make_region,
    make_resource,
    make_school,
    make_user,
    make_workshop,
)

ACTORS = [
    "guest",
    "outsider",
    "below",
    "member",
    "author",
    "leader",
    "host",
    "school_admin",
    "region_admin",
    "admin",
]


@pytest.fixture
def world(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    people = {
        name: make_user(f"{name.replace('_', '')}x") for name in ACTORS if name not in {"guest", "admin"}
    }
    people["admin"] = make_admin()
    workshop = make_workshop(county, hosts=[people["host"]])
    school = make_school(county)
    add_member(people["author"], workshop)
    add_member(people["author"], school)
    add_member(people["member"], workshop)
    add_member(people["below"], make_school(county, "兴义市第二中学"))
    group = make_group(workshop, people["leader"])
    appoint(people["school_admin"], school, "school_admin")
    appoint(people["region_admin"], county, "region_admin")
    own = make_resource(people["author"], workshop, "自己的教案")
    held = make_resource(people["author"], workshop, "待审核的教案")
    held.is_held = True
    offered = make_resource(people["author"], workshop, "推荐中的课件")
    offer = service.recommend(people["author"], offered, county, "请遴选")
    chosen = make_resource(people["author"], workshop, "入选的课例")
    pick = service.recommend(people["author"], chosen, county)
    service.decide(people["region_admin"], pick, True)
    call = service.open_call(
        people["region_admin"],
        county,
        title="乡土文化教学设计征集",
        description="",
        deadline=local(utcnow()).date(),  # today in China, where deadlines end
    )
    closed = Call(
        space_id=county.id,
        author_id=people["region_admin"].id,
        title="已截止",
        deadline_at=utcnow() - timedelta(days=1),
    )
    db.session.add(closed)
    db.session.commit()
    people["guest"] = None
    return {
        "people": people,
        "county": county,
        "workshop": workshop,
        "school": school,
        "group": group,
        "personal": ensure_personal_space(people["author"]),
        "own": own,
        "held": held,
        "offered": offered,
        "offer": offer,
        "chosen": chosen,
        "pick": pick,
        "origin": own.entries[0],
        "call": call,
        "closed": closed,
    }


ALL = set(ACTORS)
IN_WORKSHOP = {"member", "author", "leader", "host", "region_admin", "admin"}
# A school admin's role reaches down into her school, not up into the county.
IN_COUNTY = IN_WORKSHOP | {"below"}
WORKSHOP_MANAGERS = {"host", "region_admin", "admin"}
MATRIX = [
    ("resource.list", "workshop", IN_WORKSHOP),
    ("resource.list", "personal", ALL),
    ("resource.share", "workshop", IN_WORKSHOP),
    ("resource.share", "personal", {"author"}),
    ("resource.view", "own", IN_WORKSHOP),
    ("resource.view", "held", {"author"} | WORKSHOP_MANAGERS),
    # A recommendation waiting in the county is read by the county's reviewers too.
    ("resource.view", "offered", IN_WORKSHOP),
    ("resource.view", "chosen", IN_COUNTY),
    ("resource.edit", "own", {"author"} | WORKSHOP_MANAGERS),
    ("resource.delete", "own", {"author"} | WORKSHOP_MANAGERS),
    ("resource.vote", "own", IN_WORKSHOP - {"author"}),
    ("resource.comment", "own", IN_WORKSHOP),
    ("resource.comment", "chosen", IN_COUNTY),
    ("resource.recommend", "own", {"author"} | WORKSHOP_MANAGERS),
    ("resource.recommend", "held", set()),
    # A reviewer of any library holding it moves it further up, wherever it began.
    ("resource.recommend", "chosen", {"author"} | WORKSHOP_MANAGERS),
    ("resource.release", "own", WORKSHOP_MANAGERS),
    ("library.review", "workshop", WORKSHOP_MANAGERS),
    ("library.review", "group", {"leader"} | WORKSHOP_MANAGERS),
    ("library.review", "school", {"school_admin", "region_admin", "admin"}),
    ("library.review", "county", {"region_admin", "admin"}),
    ("entry.decide", "offer", {"region_admin", "admin"}),
    ("entry.decide", "pick", set()),
    ("entry.feature", "pick", {"region_admin", "admin"}),
    ("entry.withdraw", "pick", {"region_admin", "admin"}),
    ("entry.withdraw", "origin", set()),
    ("call.create", "county", {"region_admin", "admin"}),
    ("call.create", "personal", set()),
    ("call.view", "call", IN_COUNTY),
    ("call.answer", "call", IN_COUNTY),
    ("call.answer", "closed", set()),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_resource_matrix(world, action, target, allowed):
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, world[target])}
    assert granted == allowed


def test_reviewers_read_what_waits_for_them(world):
    """The county's reviewers read a recommendation, but county members do not yet."""
    offered = world["offered"]
    assert can(load_actor(world["people"]["region_admin"]), "resource.view", offered)
    assert not can(load_actor(world["people"]["below"]), "resource.view", offered)


def test_deleted_resources_are_read_by_no_one(world):
    own = world["own"]
    service.delete_resource(world["people"]["author"], own)
    assert not any(can(load_actor(world["people"][name]), "resource.view", own) for name in ACTORS)
