"""The role × action matrix for 学情 and rosters: only the people responsible for a scope
see its statistics; admins import rosters for their region or school; an import and its
new logins belong to the admin who made it; full phone numbers only for the admins of the
person's school or a region above it."""

from __future__ import annotations

import pytest

from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.stats.models import Enrolment, RosterImport
from peixun.stats.person import learner
from tests.core.test_policy import ACTORS
from tests.core.test_policy import world as base_world  # noqa: F401


@pytest.fixture
def world(base_world):  # noqa: F811
    people = base_world["people"]
    enrolment = Enrolment(user_id=people["member"].id, school_id=base_world["school"].id)
    record = RosterImport(
        actor_id=people["school_admin"].id,
        scope_id=base_world["school"].id,
        filename="名单.xlsx",
        sha256="0" * 64,
    )
    db.session.add_all([enrolment, record])
    db.session.commit()
    return base_world | {"enrolment": enrolment, "import": record, "learner": learner(people["member"])}


MATRIX = [
    ("stats.view", "city", {"region_admin", "admin"}),
    ("stats.view", "county", {"region_admin", "admin"}),
    ("stats.view", "school", {"school_admin", "region_admin", "admin"}),
    ("stats.view", "workshop", {"host", "region_admin", "admin"}),
    ("stats.view", "group", {"host", "leader", "region_admin", "admin"}),
    ("stats.view", "personal", set()),
    ("stats.report", "workshop", {"host", "region_admin", "admin"}),
    ("stats.workload", "city", {"region_admin", "admin"}),
    ("stats.workload", "workshop", set()),
    ("stats.report", "group", set()),
    ("roster.import", "county", {"region_admin", "admin"}),
    ("roster.import", "school", {"school_admin", "region_admin", "admin"}),
    ("roster.import", "workshop", set()),
    ("roster.view", "import", {"school_admin", "admin"}),
    ("roster.logins", "import", {"school_admin"}),
    ("roster.template", None, set(ACTORS) - {"guest", "disabled_host"}),
    ("person.phone", "enrolment", {"school_admin", "region_admin", "admin"}),
    # The member belongs to the school and the workshop (not the group).
    ("stats.person", "learner", {"member", "host", "school_admin", "region_admin", "admin"}),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_stats_matrix(world, action, target, allowed):
    obj = world[target] if target else None
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, obj)}
    assert granted == allowed
