"""Rate limits: one budget per kind of action, shared by every view of that kind, in
memory or in Redis, with the Chinese 429 page; nothing refused is written."""

from __future__ import annotations

import pytest

from peixun.config import Config
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.threads import service as threads
from peixun.threads.models import Post
from tests.conftest import REDIS_URL
from tests.factories import add_member, make_region, make_resource, make_user, make_workshop
from tests.resources.test_uploads import _share

LIMITED = {
    "RATELIMIT_ENABLED": True,
    "POST_LIMIT_PER_USER": "3 per minute",
    "UPLOAD_LIMIT_PER_USER": "2 per minute",
    "SEARCH_LIMIT": "4 per minute",
}
STORAGES = pytest.mark.parametrize(
    "settings",
    [{**LIMITED, "RATELIMIT_STORAGE_URI": "memory://"}, {**LIMITED, "RATELIMIT_STORAGE_URI": REDIS_URL}],
    indirect=True,
    ids=["memory", "redis"],
)


@pytest.fixture
def place(app, login_as):
    workshop = make_workshop(make_region())
    teacher = make_user("limited", "刘老师")
    add_member(teacher, workshop)
    thread = threads.start_thread(teacher, workshop, kind="topic", title="作业设计", body="开题")
    resource = make_resource(teacher, workshop)
    login_as(teacher)
    return {"workshop": workshop, "thread": thread, "resource": resource}


def _posts() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(Post)).scalar_one()


@STORAGES
def test_one_posting_budget_across_replies_and_comments(client, place, post, fresh_limits):
    reply_url = f"/t/{place['thread'].id}"
    comment_url = f"/res/{place['resource'].id}/comments"
    codes = [
        post(reply_url, {"body": "第一条回复", "submit": "发布"}, form_url=reply_url).status_code,
        post(comment_url, {"body": "很实用", "submit": "发布"}, form_url=reply_url).status_code,
        post(reply_url, {"body": "第二条回复", "submit": "发布"}, form_url=reply_url).status_code,
    ]
    assert codes == [302, 302, 302]
    before = _posts()
    refused = post(comment_url, {"body": "第四条", "submit": "发布"}, form_url=reply_url)
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.get_data(as_text=True)
    assert _posts() == before
    # Reading is not posting: the thread page still opens.
    assert client.get(reply_url).status_code == 200


@STORAGES
def test_uploads_have_their_own_budget(client, place, fresh_limits):
    before = db.session.execute(db.select(db.func.count()).select_from(Resource)).scalar_one()
    codes = [
        _share(client, place["workshop"], f"第{n}份.txt", "三备两打磨".encode()).status_code for n in range(3)
    ]
    assert codes == [302, 302, 429]
    after = db.session.execute(db.select(db.func.count()).select_from(Resource)).scalar_one()
    assert after == before + 2


@STORAGES
def test_searching_is_limited_per_person_and_per_address_for_guests(app, client, place, fresh_limits):
    codes = [client.get("/search?q=作业").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    guest = app.test_client()
    assert [guest.get("/search?q=作业").status_code for _ in range(5)] == [200, 200, 200, 200, 429]


@pytest.mark.parametrize(
    "settings", [{**LIMITED, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0"}], indirect=True
)
def test_a_lost_redis_never_stops_the_site(client, place, post):
    """Port 9 (discard) refuses connections: the limits fall back to memory."""
    reply_url = f"/t/{place['thread'].id}"
    assert client.get("/search?q=作业").status_code == 200
    assert post(reply_url, {"body": "照常回复", "submit": "发布"}, form_url=reply_url).status_code == 302


def test_redis_is_used_when_configured(monkeypatch):
    monkeypatch.setenv("PEIXUN_REDIS_URL", "redis://cache.internal:6379/2")
    assert Config().RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/2"
    monkeypatch.delenv("PEIXUN_REDIS_URL")
    assert Config().RATELIMIT_STORAGE_URI == "memory://"
