"""The audit log: administration and moderation actions are recorded with who, what,
where and from which address, in the same commit as the action; only site admins read it."""

from __future__ import annotations

import pytest

from peixun.core.audit import LABELS, AuditEntry, record
from peixun.extensions import db
from peixun.resources import service as resources
from peixun.spaces import service as spaces
from peixun.spaces.models import EXPERT
from peixun.threads import service as threads
from tests.factories import add_member, make_region, make_resource, make_user, make_workshop


def _entries() -> list[AuditEntry]:
    return list(db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars())


@pytest.fixture
def place(app):
    host = make_user("audithost", "李坊主")
    workshop = make_workshop(make_region(), hosts=[host])
    teacher = make_user("auditteacher", "王老师")
    add_member(teacher, workshop)
    return {"host": host, "workshop": workshop, "teacher": teacher}


def test_moderation_by_a_host_is_recorded_but_authors_own_deletes_are_not(place):
    host, teacher, workshop = place["host"], place["teacher"], place["workshop"]
    thread = threads.start_thread(teacher, workshop, kind="topic", title="作业设计", body="开题")
    reply = threads.post_reply(teacher, thread, "我的回复")
    own = threads.post_reply(teacher, thread, "写错了")
    before = len(_entries())
    threads.delete_post(teacher, own)  # her own: not moderation
    threads.moderate(host, thread, "pin")
    threads.moderate(host, thread, "hide", "与研修无关")
    threads.delete_post(host, reply)
    resource = make_resource(teacher, workshop)
    resources.delete_resource(host, resource)
    actions = [(e.action, e.actor_id, e.space_id) for e in _entries()[before:]]
    assert actions == [
        ("thread.pin", host.id, workshop.id),
        ("thread.hide", host.id, workshop.id),
        ("thread.delete", host.id, workshop.id),
        ("resource.delete", host.id, workshop.id),
    ]
    hidden = _entries()[before + 1]
    assert hidden.summary == "作业设计 与研修无关" and hidden.actor_name == "李坊主（audithost）"
    assert hidden.target_type == "thread" and hidden.target_id == thread.id


def test_a_refused_action_leaves_no_entry(place):
    before = len(_entries())
    with pytest.raises(Exception, match="至少需要一位坊主"):
        spaces.revoke(place["workshop"], place["host"], "host")
    db.session.rollback()
    assert len(_entries()) == before


def test_role_changes_and_member_removal_are_recorded(place):
    host, teacher, workshop = place["host"], place["teacher"], place["workshop"]
    spaces.appoint(host, workshop, teacher, EXPERT)
    spaces.revoke(workshop, teacher, EXPERT)
    spaces.remove_member(host, workshop, teacher)
    assert [e.action for e in _entries()[-3:]] == ["role.appoint", "role.revoke", "member.remove"]
    assert all(e.space_id == workshop.id for e in _entries()[-3:])


def test_unknown_actions_are_a_programming_error(app):
    with pytest.raises(ValueError):
        record("thread.explode")
    assert "thread.pin" in LABELS


def test_admin_actions_through_the_pages_and_who_may_read_the_log(client, login_as, post, place):
    from tests.factories import make_admin

    admin = make_admin("auditboss")
    login_as(admin)
    teacher = place["teacher"]
    assert post(f"/admin/users/{teacher.id}/disable", {}, form_url="/admin/users").status_code == 302
    data = {"username": "newbie", "real_name": "新老师", "password": "Peixun-2026-ok", "submit": "建立"}
    post("/admin/users/new", data, form_url="/admin/users/new")
    post("/admin/screen", {"words": "赌博\n代考", "submit": "保存"}, form_url="/admin/screen")
    latest = _entries()[-3:]
    assert [e.action for e in latest] == ["user.disable", "user.create", "screen.edit"]
    assert all(e.actor_id == admin.id and e.address == "127.0.0.1" for e in latest)

    page = client.get("/admin/audit").get_data(as_text=True)
    assert "停用账号" in page and "王老师" in page and "创建账号" in page and "新老师（newbie）" in page
    only_accounts = client.get("/admin/audit?group=accounts").get_data(as_text=True)
    assert "修改敏感词表" not in only_accounts and "停用账号" in only_accounts
    by_someone_else = client.get("/admin/audit?user=audithost").get_data(as_text=True)
    assert "停用账号" not in by_someone_else
    for odd in ("?group=nope", "?user=%ED%A0%80", "?page=abc", "?page=999"):
        assert client.get("/admin/audit" + odd).status_code in {200, 404}

    login_as(place["host"])
    assert client.get("/admin/audit").status_code == 403


def test_the_log_page_costs_the_same_queries_however_long(client, login_as, place, count_queries):
    from tests.factories import make_admin

    login_as(make_admin("auditboss2"))
    client.get("/admin/audit")
    with count_queries() as few:
        client.get("/admin/audit")
    for n in range(40):
        threads.moderate(
            place["host"],
            threads.start_thread(
                place["teacher"], place["workshop"], kind="topic", title=f"话题{n}", body="正文"
            ),
            "pin",
        )
    with count_queries() as many:
        client.get("/admin/audit")
    assert many.count == few.count
