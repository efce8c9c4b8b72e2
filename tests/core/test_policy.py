"""The role × action matrix: who may do what to which space, read off the policy."""

from __future__ import annotations

import pytest

from peixun.core import policy
from peixun.core.policy import RULES, can, load_actor
from peixun.extensions import db
from peixun.spaces import service
from peixun.spaces.models import INVITED, REQUESTED, Membership
from tests.factories import add_member, appoint, make_admin, make_group, make_region, make_school, make_user

ACTORS = [
    "guest",
    "outsider",
    "member",
    "host",
    "leader",
    "expert",
    "school_admin",
    "region_admin",
    "other_host",
    "admin",
    "disabled_host",
]


@pytest.fixture
def world(app):
    """A city with a county; a school and a workshop in it; a group in the workshop."""
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    other_county = make_region("兴仁县", parent=city)
    school = make_school(county)
    people = {
        name: make_user(name.replace("_", "") + "x") for name in ACTORS if name not in {"guest", "admin"}
    }
    people["admin"] = make_admin()
    host = people["host"]
    from tests.factories import make_workshop

    workshop = make_workshop(county, hosts=[host, people["disabled_host"]])
    other_workshop = make_workshop(other_county, hosts=[people["other_host"]])
    add_member(people["member"], workshop)
    add_member(people["member"], school)
    group = make_group(workshop, people["leader"])
    appoint(people["expert"], city, "expert")
    appoint(people["school_admin"], school, "school_admin")
    appoint(people["region_admin"], city, "region_admin")
    people["disabled_host"].is_disabled = True
    db.session.commit()
    requested = Membership(space_id=workshop.id, user_id=people["outsider"].id, state=REQUESTED)
    invited = Membership(space_id=other_workshop.id, user_id=people["outsider"].id, state=INVITED)
    db.session.add_all([requested, invited])
    db.session.commit()
    people["guest"] = None
    return {
        "people": people,
        "city": city,
        "county": county,
        "school": school,
        "workshop": workshop,
        "group": group,
        "other_workshop": other_workshop,
        "requested": requested,
        "invited": invited,
        "personal": service.ensure_personal_space(people["member"]),
    }


ALL = set(ACTORS) - {"disabled_host"}
SIGNED_IN = ALL - {"guest"}
# action, target, who may; everyone else (and every disabled account) may not.
MATRIX = [
    ("site.view", None, ALL),
    ("account.login", None, ALL),
    ("account.logout", None, SIGNED_IN),
    ("admin.access", None, {"admin"}),
    ("admin.manage_spaces", None, {"admin"}),
    ("admin.appoint", None, {"admin"}),
    ("admin.edit_screen", None, {"admin"}),
    ("admin.edit_vocab", None, {"admin"}),
    ("admin.audit", None, {"admin"}),
    ("search.use", None, ALL),
    ("search.admin", None, {"admin"}),
    ("user.manage", None, {"admin"}),
    ("space.view", "workshop", ALL),
    ("space.view", "group", ALL),
    ("space.edit", "workshop", {"host", "region_admin", "admin"}),
    ("space.edit", "school", {"school_admin", "region_admin", "admin"}),
    ("space.edit", "county", {"region_admin", "admin"}),
    ("space.edit", "personal", {"member", "admin"}),
    ("space.edit", "group", {"host", "region_admin", "admin"}),
    ("space.join", "workshop", {"school_admin", "region_admin", "other_host", "expert", "admin"}),
    (
        "space.join",
        "other_workshop",
        {"member", "host", "leader", "school_admin", "region_admin", "expert", "admin"},
    ),
    ("space.join", "school", set()),
    ("space.leave", "workshop", {"member", "host", "leader"}),
    ("space.leave", "group", {"leader"}),
    ("space.leave", "school", set()),
    ("space.manage_members", "workshop", {"host", "region_admin", "admin"}),
    ("space.manage_members", "group", {"host", "leader", "region_admin", "admin"}),
    ("space.manage_members", "other_workshop", {"other_host", "region_admin", "admin"}),
    ("space.manage_members", "school", set()),
    ("group.create", "workshop", {"host", "region_admin", "admin"}),
    ("group.create", "school", {"school_admin", "region_admin", "admin"}),
    ("group.create", "county", set()),
    ("membership.decide", "requested", {"host", "region_admin", "admin"}),
    ("membership.decide", "invited", set()),
    ("membership.respond", "invited", {"outsider"}),
    ("membership.respond", "requested", set()),
]


def test_matrix_covers_every_rule():
    from tests.briefs.test_policy import MATRIX as BRIEF_MATRIX
    from tests.lessons.test_policy import MATRIX as LESSON_MATRIX
    from tests.resources.test_policy import MATRIX as RESOURCE_MATRIX
    from tests.stats.test_policy import MATRIX as STATS_MATRIX
    from tests.threads.test_policy import MATRIX as THREAD_MATRIX

    assert {
        action
        for action, _, _ in MATRIX
        + THREAD_MATRIX
        + RESOURCE_MATRIX
        + BRIEF_MATRIX
        + LESSON_MATRIX
        + STATS_MATRIX
    } | {
        "account.register",
        "account.edit",
        "user.view",
        "user.disable",
        "user.reset_password",
        "notification.list",  # every signed-in user; tests/threads/test_notifications.py
        "notification.open",  # only the recipient; tests/threads/test_notifications.py
    } == set(RULES)


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_role_action_matrix(world, action, target, allowed):
    obj = world[target] if target else None
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, obj)}
    assert granted == allowed


def test_account_rules_concern_only_oneself(world):
    people = world["people"]
    member, admin = people["member"], people["admin"]
    assert can(load_actor(member), "account.edit", member)
    assert not can(load_actor(admin), "account.edit", member)
    assert can(load_actor(admin), "user.disable", member)
    assert not can(load_actor(admin), "user.disable", admin)
    assert not can(load_actor(member), "user.disable", people["outsider"])
    assert can(load_actor(admin), "user.reset_password", member)
    assert not can(load_actor(admin), "user.reset_password", admin)
    assert can(load_actor(None), "user.view", member)


def test_region_membership_is_derived_from_schools_and_workshops(world):
    actor = load_actor(world["people"]["member"])
    assert {world["city"].id, world["county"].id, world["school"].id, world["workshop"].id} <= actor.member_of
    outsider = load_actor(world["people"]["outsider"])
    assert world["county"].id not in outsider.member_of


def test_roles_are_loaded_with_two_queries(world, count_queries):
    targets = [world[name] for name in ("workshop", "group", "school", "county", "other_workshop")]
    for target in [*targets, world["people"]["host"]]:
        db.session.refresh(target)
    with count_queries() as counter:
        actor = load_actor(world["people"]["host"])
        for target in targets * 10:
            can(actor, "space.manage_members", target)
    assert counter.count == 2


def test_unknown_action_is_a_programming_error(world):
    with pytest.raises(KeyError):
        policy.can(load_actor(None), "space.explode", world["workshop"])
