"""The role × action matrix for discussions: reading, writing, editing, moderating."""

from __future__ import annotations

import pytest

from peixun.core.policy import can, load_actor
from peixun.spaces.service import ensure_personal_space
from peixun.threads import service
from tests.factories import (
    add_member,
    appoint,
    make_admin,
    make_region,
    make_school,
    make_user,
    make_workshop,
)

ACTORS = ["guest", "outsider", "below", "member", "author", "host", "region_admin", "admin"]


@pytest.fixture
def world(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    other = make_region("兴仁县", parent=city)
    people = {
        name: make_user(f"{name.replace('_', '')}x") for name in ACTORS if name not in {"guest", "admin"}
    }
    people["admin"] = make_admin()
    people["guest"] = None
    workshop = make_workshop(county, hosts=[people["host"]])
    add_member(people["member"], workshop)
    add_member(people["author"], workshop)
    add_member(people["below"], make_school(other))
    appoint(people["region_admin"], city, "region_admin")
    topic = service.start_thread(people["author"], workshop, kind="topic", title="话题", body="内容")
    reply = service.post_reply(people["author"], topic, "回复")
    notice = service.start_thread(people["host"], city, kind="topic", title="全州通知", body="通知")
    journal_space = ensure_personal_space(people["author"])
    public = service.start_thread(people["author"], journal_space, kind="journal", title="日志", body="内容")
    private = service.start_thread(
        people["author"], journal_space, kind="journal", title="私密", body="内容", is_public=False
    )
    question = service.start_thread(people["author"], workshop, kind="question", title="问", body="请教")
    locked = service.start_thread(people["author"], workshop, kind="topic", title="已锁定", body="内容")
    locked.is_locked = True
    return {
        "people": people,
        "workshop": workshop,
        "city": city,
        "topic": topic,
        "reply": reply,
        "notice": notice,
        "journal_space": journal_space,
        "public": public,
        "private": private,
        "locked": locked,
        "question": question,
    }


ALL = set(ACTORS)
SIGNED_IN = ALL - {"guest"}
IN_WORKSHOP = {"member", "author", "host", "region_admin", "admin"}
MATRIX = [
    ("thread.list", "workshop", IN_WORKSHOP),
    ("thread.create", "workshop", IN_WORKSHOP),
    ("thread.view", "topic", IN_WORKSHOP),
    ("thread.reply", "topic", IN_WORKSHOP),
    ("thread.reply", "locked", set()),
    # Everyone in a school or workshop below the city reads and joins its discussions.
    ("thread.view", "notice", {"below", "member", "author", "host", "region_admin", "admin"}),
    ("thread.reply", "notice", {"below", "member", "author", "host", "region_admin", "admin"}),
    ("thread.list", "journal_space", ALL),
    ("thread.create", "journal_space", {"author"}),
    ("thread.view", "public", ALL),
    ("thread.reply", "public", SIGNED_IN),
    ("thread.view", "private", {"author", "admin"}),
    ("post.edit", "reply", {"author"}),
    ("post.delete", "reply", {"author", "host", "region_admin", "admin"}),
    ("post.like", "reply", IN_WORKSHOP - {"author"}),
    ("post.history", "reply", {"host", "region_admin", "admin"}),
    ("thread.moderate", "topic", {"host", "region_admin", "admin"}),
    ("post.review", "reply", {"host", "region_admin", "admin"}),
    ("thread.subscribe", "topic", IN_WORKSHOP),
    ("thread.subscribe", "private", {"author", "admin"}),
    ("space.subscribe", "workshop", IN_WORKSHOP),
    ("thread.create_periodic", "workshop", {"host", "region_admin", "admin"}),
    ("thread.create_periodic", "journal_space", set()),
    ("question.answer_queue", "workshop", {"host", "region_admin", "admin"}),
    ("thread.accept", "topic", set()),
    ("thread.accept", "question", {"author", "host", "region_admin", "admin"}),
]


@pytest.mark.parametrize(("action", "target", "allowed"), MATRIX, ids=[f"{a}-{t}" for a, t, _ in MATRIX])
def test_thread_matrix(world, action, target, allowed):
    granted = {name for name in ACTORS if can(load_actor(world["people"][name]), action, world[target])}
    assert granted == allowed
