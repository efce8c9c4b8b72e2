"""Joining by request, invitations, leaving, removal, study groups."""

from __future__ import annotations

import pytest

from peixun.core.errors import ServiceError
from peixun.extensions import db
from peixun.spaces import service
from peixun.spaces.models import ACTIVE, INVITED, REQUESTED, Activity, Membership
from tests.conftest import csrf_token
from tests.factories import add_member, make_group, make_school, make_user, make_workshop


def _state(user, space) -> str | None:
    found = service.membership(user, space)
    return found.state if found else None


def test_request_approve_flow(app, client, login_as, post):
    host = make_user("host1", "李坊主")
    workshop = make_workshop(hosts=[host])
    teacher = make_user("teacher1", "王老师")
    login_as(teacher)
    page = client.get(f"/w/{workshop.slug}").get_data(as_text=True)
    assert "申请加入" in page
    assert post(f"/w/{workshop.slug}/join").status_code == 302
    assert _state(teacher, workshop) == REQUESTED
    # Asking twice is refused with a clear page, and nothing changes.
    again = post(f"/w/{workshop.slug}/join")
    assert again.status_code == 403
    assert "等待审核" in client.get("/").get_data(as_text=True)

    host_client = app.test_client()
    token = csrf_token(host_client, "/login")
    host_client.post("/login", data={"username": "host1", "password": "password123", "csrf_token": token})
    manage = host_client.get(f"/w/{workshop.slug}/members/manage").get_data(as_text=True)
    assert "王老师" in manage
    request_id = service.membership(teacher, workshop).id
    token = csrf_token(host_client, f"/w/{workshop.slug}/members/manage")
    response = host_client.post(f"/membership/{request_id}/approve", data={"csrf_token": token})
    assert response.status_code == 302
    assert _state(teacher, workshop) == ACTIVE
    assert "王老师" in client.get(f"/w/{workshop.slug}/members").get_data(as_text=True)
    verbs = db.session.execute(db.select(Activity.verb).where(Activity.space_id == workshop.id)).scalars()
    assert "member.joined" in list(verbs)


def test_reject_and_outsiders_cannot_decide(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    teacher = make_user("teacher1")
    found = Membership(space_id=workshop.id, user_id=teacher.id, state=REQUESTED)
    db.session.add(found)
    db.session.commit()
    login_as(teacher)
    assert post(f"/membership/{found.id}/approve").status_code == 403
    assert _state(teacher, workshop) == REQUESTED


def test_host_rejects_request(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    teacher = make_user("teacher1")
    found_id = service.request_to_join(teacher, workshop).id
    login_as(host)
    assert post(f"/membership/{found_id}/reject").status_code == 302
    assert _state(teacher, workshop) is None
    assert post(f"/membership/{found_id}/reject").status_code == 404


def test_invitation_accept_and_decline(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    other = make_workshop(hosts=[host], name="初中数学工作坊")
    teacher = make_user("teacher1", "王老师")
    login_as(host)
    manage = f"/w/{workshop.slug}/members/manage"
    assert post(manage, {"username": "teacher1"}, form_url=manage).status_code == 302
    assert (
        post(f"/w/{other.slug}/members/manage", {"username": "teacher1"}, form_url=manage).status_code == 302
    )
    unknown = post(manage, {"username": "nobody"}, form_url=manage)
    assert unknown.status_code == 400 and "找不到该用户名" in unknown.get_data(as_text=True)
    twice = post(manage, {"username": "teacher1"}, form_url=manage)
    assert twice.status_code == 400 and "待处理的邀请" in twice.get_data(as_text=True)
    assert _state(teacher, workshop) == INVITED

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(teacher)
    home = client.get("/").get_data(as_text=True)
    assert "待处理的邀请" in home
    invitation = service.membership(teacher, workshop).id
    declined = service.membership(teacher, other).id
    assert post(f"/membership/{invitation}/accept").status_code == 302
    assert post(f"/membership/{declined}/decline").status_code == 302
    assert _state(teacher, workshop) == ACTIVE and _state(teacher, other) is None


def test_someone_elses_invitation_is_not_mine_to_answer(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    teacher, stranger = make_user("teacher1"), make_user("stranger1")
    found = service.invite(host, workshop, teacher)
    login_as(stranger)
    assert post(f"/membership/{found.id}/accept").status_code == 403
    assert _state(teacher, workshop) == INVITED


def test_leave_takes_groups_along_and_role_holders_stay(client, login_as, post):
    host, cohost = make_user("host1"), make_user("host2")
    workshop = make_workshop(hosts=[host, cohost])
    teacher, leader = make_user("teacher1"), make_user("leader1")
    add_member(teacher, workshop)
    group = make_group(workshop, leader)
    service.invite(leader, group, teacher)
    login_as(teacher)
    assert post(f"/w/{workshop.slug}/leave").status_code == 302
    # Leaving a workshop also leaves its study groups.
    assert _state(teacher, workshop) is None and _state(teacher, group) is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # Role holders (a host, a group leader) stay until an admin revokes the role:
    # neither leaving nor a co-host can take it away.
    for who, url in ((leader, f"/g/{group.slug}/leave"), (host, f"/w/{workshop.slug}/leave")):
        login_as(who)
        response = post(url)
        assert response.status_code == 400 and "须先由管理员撤销角色" in response.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(cohost)
    response = post(f"/w/{workshop.slug}/members/{host.id}/remove")
    assert response.status_code == 400 and "坊主" in response.get_data(as_text=True)
    assert _state(host, workshop) == ACTIVE and service.user_roles_in(host, workshop) == {"host"}
    assert service.user_roles_in(leader, group) == {"group_leader"}


def test_double_decisions_and_double_requests_are_refused_not_500(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    teacher = make_user("teacher1")
    found_id = service.request_to_join(teacher, workshop).id
    with pytest.raises(ServiceError):
        service.request_to_join(teacher, workshop)
    login_as(host)
    assert post(f"/membership/{found_id}/approve").status_code == 302
    again = post(f"/membership/{found_id}/reject")
    assert again.status_code == 403  # no longer a pending request
    assert _state(teacher, workshop) == ACTIVE


def test_host_removes_member_but_members_cannot(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    teacher, peer = make_user("teacher1"), make_user("peer1")
    add_member(teacher, workshop)
    add_member(peer, workshop)
    login_as(peer)
    assert post(f"/w/{workshop.slug}/members/{teacher.id}/remove").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(host)
    assert post(f"/w/{workshop.slug}/members/{teacher.id}/remove").status_code == 302
    assert _state(teacher, workshop) is None
    assert post(f"/w/{workshop.slug}/members/{teacher.id}/remove").status_code == 400
    assert post(f"/w/{workshop.slug}/members/99999999999/remove").status_code == 404


def test_host_creates_study_group_and_adds_members(client, login_as, post):
    host = make_user("host1")
    workshop = make_workshop(hosts=[host])
    leader, member, outsider = make_user("leader1"), make_user("member1"), make_user("outsider1")
    add_member(leader, workshop)
    add_member(member, workshop)
    login_as(host)
    form_url = f"/w/{workshop.slug}/groups/new"
    bad = post(form_url, {"name": "阅读小组", "leader": "outsider1"}, form_url=form_url)
    assert bad.status_code == 400 and "组长必须是本空间的成员" in bad.get_data(as_text=True)
    response = post(form_url, {"name": "阅读小组", "leader": "leader1"}, form_url=form_url)
    assert response.status_code == 302
    group = db.session.execute(db.select(service.Space).filter_by(kind="group")).scalar_one()
    assert group.parent_id == workshop.id and group.chain_ids[-2] == workshop.id
    assert service.user_roles_in(leader, group) == {"group_leader"}
    manage = f"/g/{group.slug}/members/manage"
    assert post(manage, {"username": "member1"}, form_url=manage).status_code == 302
    refused = post(manage, {"username": "outsider1"}, form_url=manage)
    assert refused.status_code == 400 and "上级空间的成员" in refused.get_data(as_text=True)
    assert _state(member, group) == ACTIVE and _state(outsider, group) is None


def test_study_group_in_a_school(client, login_as, post):
    school = make_school()
    admin_user, teacher = make_user("sadmin1"), make_user("teacher1")
    service.appoint(None, school, admin_user, "school_admin")
    add_member(teacher, school)
    login_as(admin_user)
    form_url = f"/s/{school.slug}/groups/new"
    assert post(form_url, {"name": "数学教研组", "leader": "teacher1"}, form_url=form_url).status_code == 302


def test_school_is_one_per_teacher(app):
    first, second = make_school(name="一中"), make_school(name="二中")
    teacher = make_user("teacher1", school_id=first.id)
    service.set_school(teacher, second.id)
    db.session.commit()
    assert _state(teacher, first) is None and _state(teacher, second) == ACTIVE


def test_host_edits_the_introduction_and_closes_requests(client, login_as, post, get_page):
    host, teacher = make_user("host1"), make_user("teacher1")
    workshop = make_workshop(hosts=[host])
    url = f"/w/{workshop.slug}/edit"
    login_as(teacher)
    assert client.get(url).status_code == 403
    assert post(url, {"description": "改掉"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(host)
    get_page(url)
    assert post(url, {"description": "聚焦整本书阅读。"}, form_url=url).status_code == 302
    text = get_page(f"/w/{workshop.slug}").get_text()
    assert "聚焦整本书阅读" in text and "申请加入" not in text
    db.session.refresh(workshop)
    assert workshop.is_open is False
    too_long = post(url, {"description": "长" * 2001, "is_open": "y"}, form_url=url)
    assert too_long.status_code == 400 and "最多 2000 字" in too_long.get_data(as_text=True)
