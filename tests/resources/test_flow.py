"""The upward flow: 推荐 → 遴选 or decline with a reason → further up; 精品; 定向征集."""

from __future__ import annotations

from datetime import timedelta

import pytest

from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.extensions import db
from peixun.resources import queries, service
from peixun.resources.models import Call, LibraryEntry
from peixun.spaces.service import ensure_personal_space
from peixun.threads.models import Notification
from tests.factories import add_member, appoint, make_region, make_resource, make_user, make_workshop


@pytest.fixture
def world(app):
    county = make_region("兴义市")
    host = make_user("hostx", "王坊主")
    workshop = make_workshop(county, hosts=[host], name="初中语文工作坊")
    teacher = make_user("teacherx", "张老师")
    reader = make_user("readerx", "李老师")
    for user in (teacher, reader):
        add_member(user, workshop)
    region_admin = make_user("countyx", "赵教研员")
    appoint(region_admin, county, "region_admin")
    return {
        "county": county,
        "workshop": workshop,
        "host": host,
        "teacher": teacher,
        "reader": reader,
        "region_admin": region_admin,
        "personal": ensure_personal_space(teacher),
    }


def _titles(page) -> list[str]:
    return [a.get_text() for a in page.select("li.resource .resource-title a")]


def test_recommend_select_and_move_further_up(world, login_as, post, get_page, client):
    ws, county = world["workshop"], world["county"]
    resource = make_resource(world["teacher"], world["personal"], "《背影》教学设计")
    # Her own spaces and the regions above are offered; never her personal space.
    targets = [space.id for space, _ in queries.recommend_targets(world["teacher"], resource)]
    assert set(targets) == {ws.id, county.id}
    login_as(world["teacher"])
    response = post(
        f"/res/{resource.id}/recommend", {"target": ws.id, "note": "第二课时"}, form_url=f"/res/{resource.id}"
    )
    assert response.status_code == 302
    assert "《背影》教学设计" not in _titles(get_page(f"/w/{ws.slug}/resources"))

    login_as(world["host"])
    queue = get_page(f"/w/{ws.slug}/resources/review")
    assert "《背影》教学设计" in queue.get_text() and "第二课时" in queue.get_text()
    entry = LibraryEntry.query.filter_by(space_id=ws.id).one()
    assert post(f"/entries/{entry.id}/select", form_url=f"/w/{ws.slug}/resources/review").status_code == 302
    library = get_page(f"/w/{ws.slug}/resources")
    assert _titles(library) == ["《背影》教学设计"]
    assert "来自" in library.get_text() and "张老师" in library.get_text()
    # The host recommends it on to the county, whose admin selects it.
    post(f"/res/{resource.id}/recommend", {"target": county.id}, form_url=f"/res/{resource.id}")
    up = LibraryEntry.query.filter_by(space_id=county.id).one()
    assert up.state == "pending" and up.from_space_id == ws.id
    login_as(world["region_admin"])
    post(f"/entries/{up.id}/select", form_url=f"/r/{county.slug}/resources/review")
    region = get_page(f"/r/{county.slug}/resources")
    assert _titles(region) == ["《背影》教学设计"] and "经" in region.get_text()
    kinds = {n.kind for n in Notification.query.filter_by(user_id=world["teacher"].id)}
    assert kinds == {"selected"}


def test_a_decline_needs_a_reason_and_tells_the_author(world, login_as, post):
    resource = make_resource(world["teacher"], world["personal"])
    entry = service.recommend(world["teacher"], resource, world["workshop"])
    login_as(world["host"])
    form_url = f"/w/{world['workshop'].slug}/resources/review"
    post(f"/entries/{entry.id}/decline", {"reason": ""}, form_url=form_url)
    assert db.session.get(LibraryEntry, entry.id).state == "pending"
    post(f"/entries/{entry.id}/decline", {"reason": "请补充板书设计"}, form_url=form_url)
    assert db.session.get(LibraryEntry, entry.id).state == "declined"
    note = Notification.query.filter_by(user_id=world["teacher"].id).one()
    assert note.kind == "declined" and "请补充板书设计" in note.detail
    # Declined, she may improve it and recommend again.
    again = service.recommend(world["teacher"], resource, world["workshop"], "已补充")
    assert again.id == entry.id and again.state == "pending"


def test_two_reviewers_deciding_at_once(world):
    resource = make_resource(world["teacher"], world["personal"])
    entry = service.recommend(world["teacher"], resource, world["workshop"])
    service.decide(world["host"], entry, True)
    with pytest.raises(ServiceError, match="已经有人处理"):
        service.decide(world["region_admin"], entry, False, "重复")
    assert db.session.get(LibraryEntry, entry.id).state == "selected"


def test_a_host_recommending_into_her_own_workshop_selects_at_once(world):
    resource = make_resource(world["host"], ensure_personal_space(world["host"]))
    entry = service.recommend(world["host"], resource, world["workshop"])
    assert entry.state == "selected"


def test_recommending_where_one_may_not_is_refused(world, login_as, post):
    resource = make_resource(world["teacher"], world["workshop"])
    other = make_workshop(make_region("兴仁县"))
    with pytest.raises(ServiceError):
        service.recommend(world["teacher"], resource, other)
    with pytest.raises(ServiceError):
        service.recommend(world["teacher"], resource, world["workshop"])  # already there
    login_as(world["reader"])  # not hers, not a host: no recommend button, and a 403
    assert post(f"/res/{resource.id}/recommend", {"target": world["county"].id}).status_code == 403


def test_excellent_and_withdraw(world, login_as, post, get_page):
    resource = make_resource(world["teacher"], world["workshop"])
    entry = service.recommend(world["host"], resource, world["county"])
    service.decide(world["region_admin"], entry, True)
    login_as(world["region_admin"])
    post(f"/entries/{entry.id}/excellent", {"on": "1"}, form_url=f"/res/{resource.id}")
    county = world["county"]
    assert _titles(get_page(f"/r/{county.slug}/resources?excellent=1")) == [resource.title]
    post(f"/entries/{entry.id}/withdraw", form_url=f"/res/{resource.id}")
    assert _titles(get_page(f"/r/{county.slug}/resources")) == []
    assert LibraryEntry.query.filter_by(resource_id=resource.id).count() == 1  # the origin stays


def test_a_call_for_submissions(world, login_as, post, get_page, client):
    county = world["county"]
    login_as(world["region_admin"])
    response = post(
        f"/r/{county.slug}/calls/new",
        {
            "title": "乡土文化教学设计征集",
            "description": "截止前提交。",
            "deadline": (utcnow() + timedelta(days=7)).date().isoformat(),
        },
        form_url=f"/r/{county.slug}/calls/new",
    )
    assert response.status_code == 302
    call = Call.query.one()
    bad = post(
        f"/r/{county.slug}/calls/new",
        {"title": "过期", "deadline": "2020-01-01"},
        form_url=f"/r/{county.slug}/calls/new",
    )
    assert bad.status_code == 400 and "截止日期须在今天或以后" in bad.get_data(as_text=True)
    bad = post(
        f"/r/{county.slug}/calls/new",
        {"title": "乱写", "deadline": "明天"},
        form_url=f"/r/{county.slug}/calls/new",
    )
    assert bad.status_code == 400 and "年-月-日" in bad.get_data(as_text=True)

    mine = make_resource(world["teacher"], world["personal"], "乡土文化作文课")
    login_as(world["teacher"])
    page = get_page(f"/calls/{call.id}")
    assert "乡土文化作文课" in page.get_text()
    assert (
        post(
            f"/calls/{call.id}", {"resource": mine.id, "note": "参加"}, form_url=f"/calls/{call.id}"
        ).status_code
        == 302
    )
    other = make_resource(world["reader"], world["workshop"], "别人的资源")
    refused = post(f"/calls/{call.id}", {"resource": other.id}, form_url=f"/calls/{call.id}")
    assert refused.status_code == 400

    login_as(world["region_admin"])
    queue = get_page(f"/r/{county.slug}/resources/review?call={call.id}")
    assert "乡土文化作文课" in queue.get_text() and "征集" in queue.get_text()
    entry = LibraryEntry.query.filter_by(call_id=call.id).one()
    post(f"/entries/{entry.id}/select", form_url=f"/r/{county.slug}/resources/review")
    assert "乡土文化作文课" in get_page(f"/calls/{call.id}").get_text()
    listing = get_page(f"/r/{county.slug}/calls").get_text()
    assert "提交 1" in listing and "入选 1" in listing


def test_a_closed_call_takes_no_answers(world):
    call = Call(
        space_id=world["county"].id,
        author_id=world["region_admin"].id,
        title="已截止",
        deadline_at=utcnow() - timedelta(hours=1),
    )
    db.session.add(call)
    db.session.commit()
    resource = make_resource(world["teacher"], world["personal"])
    with pytest.raises(ServiceError, match="截止"):
        service.answer_call(world["teacher"], call, resource)


def test_held_resources_wait_for_a_host(world, login_as, get_page, post):
    resource = make_resource(world["teacher"], world["workshop"], "网赌技巧分享")
    assert resource.is_held
    login_as(world["reader"])
    assert _titles(get_page(f"/w/{world['workshop'].slug}/resources")) == []
    login_as(world["host"])
    assert _titles(get_page(f"/w/{world['workshop'].slug}/resources")) == ["网赌技巧分享"]
    post(f"/res/{resource.id}/release", form_url=f"/res/{resource.id}")
    login_as(world["reader"])
    assert _titles(get_page(f"/w/{world['workshop'].slug}/resources")) == ["网赌技巧分享"]


def test_edit_and_delete(world, login_as, post, get_page, client):
    resource = make_resource(world["teacher"], world["workshop"])
    login_as(world["teacher"])
    response = post(
        f"/res/{resource.id}/edit",
        {
            "title": "新标题",
            "type": "课件",
            "subject": "语文",
            "stage": "初中",
            "tags": "新标签",
            "description": "",
            "link_url": "",
        },
        form_url=f"/res/{resource.id}/edit",
    )
    assert response.status_code == 302
    assert "新标题" in get_page(f"/res/{resource.id}").get_text()
    login_as(world["reader"])
    assert post(f"/res/{resource.id}/delete", form_url=f"/res/{resource.id}").status_code == 403
    login_as(world["teacher"])
    assert post(f"/res/{resource.id}/delete", form_url=f"/res/{resource.id}").status_code == 302
    assert client.get(f"/res/{resource.id}").status_code == 403
    assert _titles(get_page(f"/w/{world['workshop'].slug}/resources")) == []
