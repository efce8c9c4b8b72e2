"""The role × action matrix for lesson studies: the group writes, the space reads."""

from __future__ import annotations

import pytest

from peixun.core.policy import can, load_actor
from peixun.lessons import service
from tests.factories import add_member, make_admin, make_group, make_region, make_user, make_workshop

ACTORS = ["guest", "outsider", "workshop_member", "member", "leader", "host", "admin"]


@pytest.fixture
def world(app):
    people = {
        name: make_user(f"{name.replace('_', '')}x") for name in ACTORS if name not in {"guest", "admin"}
    }
    people["admin"] = make_admin()
    workshop = make_workshop(make_region(), hosts=[people["host"]])
    add_member(people["workshop_member"], workshop)
    add_member(people["member"], workshop)
    group = make_group(workshop, people["leader"])
    add_member(people["member"], group)
    study = service.create_study(
        people["leader"], group, service.StudyData(title="课题", theme="主题", teacher=people["member"])
    )
    finished = service.create_study(
        people["leader"], group, service.StudyData(title="已完成", theme="主题", teacher=people["member"])
    )
    finished.step = "finished"
    people["guest"] = None
    return {"people": people, "group": group, "workshop": workshop, "study": study, "finished": finished}


IN_WORKSHOP = {"workshop_member", "member", "leader", "host", "admin"}
MATRIX = [
    ("lesson.list", "group", IN_WORKSHOP - {"workshop_member"}),
    ("lesson.create", "group", {"member", "leader", "host", "admin"}),
    ("lesson.create", "workshop", IN_WORKSHOP),
    ("lesson.view", "study", {"member", "leader", "host", "admin"}),
    ("lesson.write", "study", {"member", "leader", "host", "admin"}),
    ("lesson.write", "finished", set()),
    ("lesson.lead", "study", {"leader", "host", "admin"}),
    ("lesson.lead", "finished", set()),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_lesson_matrix(world, action, target, allowed):
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, world[target])}
    assert granted == allowed
