"""The role × action matrix for lesson studies and appraisals: the group writes, the space
reads, organisers run appraisals, only the allocated reviewer scores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.lessons import appraisals, service
from peixun.lessons.models import AppraisalReview
from tests.factories import (
    add_member,
    make_admin,
    make_group,
    make_region,
    make_resource,
    make_user,
    make_workshop,
)

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
    reviewing = service.create_study(
        people["leader"], group, service.StudyData(title="自评中", theme="主题", teacher=people["member"])
    )
    reviewing.step, reviewing.self_scores = "review", {"topic": 10}
    reviewing.resource_id = make_resource(people["leader"], group, "课例", type="课例").id
    soon = date.today() + timedelta(days=3)
    appraisal = appraisals.open_appraisal(
        people["host"], workshop, appraisals.AppraisalData("peer", "组互评", soon, soon)
    )
    published = appraisals.open_appraisal(
        people["host"], workshop, appraisals.AppraisalData("peer", "已公布", soon, soon)
    )
    published.state = "published"
    entry = appraisals.enter(people["host"], appraisal, reviewing, source="organiser")
    review = AppraisalReview(entry_id=entry.id, reviewer_id=people["workshop_member"].id)
    db.session.add(review)
    db.session.commit()
    people["guest"] = None
    return {
        "people": people,
        "group": group,
        "workshop": workshop,
        "study": study,
        "finished": finished,
        "reviewing": reviewing,
        "appraisal": appraisal,
        "published": published,
        "review": review,
        "nothing": None,
    }


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
    ("lesson.self_review", "reviewing", {"leader", "host", "admin"}),
    ("lesson.self_review", "study", set()),
    ("lesson.recommend", "reviewing", {"leader", "host", "admin"}),
    ("lesson.recommend", "study", set()),
    ("lesson.read_reviews", "reviewing", {"member", "leader", "host", "admin"}),
    ("appraisal.list", "workshop", IN_WORKSHOP),
    ("appraisal.create", "workshop", {"host", "admin"}),
    ("appraisal.create", "group", set()),
    ("appraisal.view", "appraisal", IN_WORKSHOP),
    ("appraisal.manage", "appraisal", {"host", "admin"}),
    ("appraisal.manage", "published", set()),
    ("appraisal.promote", "published", {"host", "admin"}),
    ("appraisal.promote", "appraisal", set()),
    ("appraisal.review", "review", {"workshop_member"}),
    ("appraisal.read_review", "review", {"workshop_member", "host", "admin"}),
    ("appraisal.my_reviews", "nothing", set(ACTORS) - {"guest"}),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_lesson_matrix(world, action, target, allowed):
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, world[target])}
    assert granted == allowed
