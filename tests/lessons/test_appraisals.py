"""After the summary: 自评, 组互评 with allocated reviewers from other groups, 自荐, and the
award pipeline school/county → province with published results and a shortlist."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.lessons import appraisals, queries, service
from peixun.lessons.models import RUBRIC, AppraisalEntry, AppraisalReview, LessonStudy
from tests.factories import (
    add_member,
    appoint,
    make_group,
    make_region,
    make_resource,
    make_user,
    make_workshop,
)

FULL = {code: points for code, (_, points, _) in RUBRIC.items()}
SOON, LATER = date.today() + timedelta(days=7), date.today() + timedelta(days=14)


def scores(total_off: int = 0) -> dict[str, int]:
    """Full marks minus `total_off`, taken from the criteria in order."""
    found = dict(FULL)
    for code in found:
        taken = min(found[code], total_off)
        found[code] -= taken
        total_off -= taken
    return found


def finished_study(leader, group, teacher, title: str) -> LessonStudy:
    """A study whose case is published and self-reviewed (the walk is tested elsewhere)."""
    study = service.create_study(
        leader, group, service.StudyData(title=title, theme="以读促写", teacher=teacher)
    )
    study.step = "review"
    study.resource_id = make_resource(leader, group, f"{title}（课例研究）", type="课例").id
    db.session.commit()
    appraisals.save_self_review(leader, study, scores(5), "二备后讨论更聚焦。")
    return study


@pytest.fixture
def world(app):
    province = make_region("贵州省", level="province")
    county = make_region("兴义市", parent=province)
    host = make_user("hostx", "周坊主")
    workshop = make_workshop(county, hosts=[host])
    people = {}
    for name in ("lead1", "teach1", "mate1", "lead2", "teach2", "mate2"):
        people[name] = make_user(name, name)
        add_member(people[name], workshop)
    group1 = make_group(workshop, people["lead1"], "第一研修组")
    group2 = make_group(workshop, people["lead2"], "第二研修组")
    for name, group in (("teach1", group1), ("mate1", group1), ("teach2", group2), ("mate2", group2)):
        add_member(people[name], group)
    county_admin, province_admin = make_user("countyx", "县教研员"), make_user("provx", "省项目办")
    appoint(county_admin, county, "region_admin")
    appoint(province_admin, province, "region_admin")
    study1 = finished_study(people["lead1"], group1, people["teach1"], "《背影》")
    study2 = finished_study(people["lead2"], group2, people["teach2"], "《春》")
    return {
        **people,
        "host": host,
        "workshop": workshop,
        "county": county,
        "province": province,
        "county_admin": county_admin,
        "province_admin": province_admin,
        "study1": study1,
        "study2": study2,
        "outsider": make_user("outsiderx", "外人"),
    }


def open_peer(world, reviewers_per_entry: int = 2):
    return appraisals.open_appraisal(
        world["host"],
        world["workshop"],
        appraisals.AppraisalData(
            "peer", "第一期组互评", SOON, LATER, reviewers_per_entry=reviewers_per_entry
        ),
    )


def test_self_review_needs_every_criterion_within_its_points(world):
    study = world["study1"]
    with pytest.raises(ServiceError, match="教学设计改进"):
        appraisals.save_self_review(world["lead1"], study, {**FULL, "design": 26}, "好")
    with pytest.raises(ServiceError, match="总结反思"):
        appraisals.save_self_review(
            world["lead1"], study, {k: v for k, v in FULL.items() if k != "reflection"}, "好"
        )
    with pytest.raises(ServiceError, match="自评意见"):
        appraisals.save_self_review(world["lead1"], study, FULL, "   ")
    db.session.rollback()
    assert db.session.get(LessonStudy, study.id).self_total == 95  # the earlier self review stands
    assert can(load_actor(world["lead1"]), "lesson.self_review", study)
    assert not can(load_actor(world["mate1"]), "lesson.self_review", study)


def test_peer_review_is_by_other_groups_with_scores_and_a_deadline(world):
    peer = open_peer(world)
    one = appraisals.enter(world["lead1"], peer, world["study1"], source="self", statement="聚焦以读促写")
    two = appraisals.enter(world["lead2"], peer, world["study2"], source="self")
    with pytest.raises(ServiceError, match="已经报送过"):
        appraisals.enter(world["lead1"], peer, world["study1"], source="self")
    pool = [world[n] for n in ("lead1", "teach1", "mate1", "lead2", "teach2", "mate2")]
    assert appraisals.allocate(world["host"], peer, pool) == 4
    reviews = db.session.query(AppraisalReview).all()
    group_of = {
        world["study1"].id: {"lead1", "teach1", "mate1"},
        world["study2"].id: {"lead2", "teach2", "mate2"},
    }
    for review in reviews:  # nobody reviews her own group's case
        assert review.reviewer.username not in group_of[review.entry.study_id]
    assert appraisals.allocate(world["host"], peer, pool) == 0  # already complete: nothing doubles

    review = next(r for r in reviews if r.entry_id == one.id)
    reviewer = review.reviewer
    assert can(load_actor(reviewer), "appraisal.review", review)
    assert not can(load_actor(world["lead1"]), "appraisal.review", review)
    with pytest.raises(ServiceError, match="0–15"):
        appraisals.submit_review(reviewer, review, {**FULL, "topic": 16}, "")
    appraisals.submit_review(reviewer, review, scores(10), "观课记录翔实。")
    assert review.total == 90 and review.submitted_at is not None
    rows = {row.entry.id: row for row in queries.entry_rows(peer)}
    assert (rows[one.id].allocated, rows[one.id].submitted, rows[one.id].mean) == (2, 1, 90.0)
    assert (rows[two.id].submitted, rows[two.id].mean) == (0, None)

    peer.review_deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="评审已经截止"):
        appraisals.submit_review(reviewer, review, scores(0), "")
    assert review.total == 90


def test_allocation_refuses_when_an_entry_cannot_get_enough_reviewers(world):
    peer = open_peer(world, reviewers_per_entry=2)
    appraisals.enter(world["lead1"], peer, world["study1"], source="self")
    with pytest.raises(ServiceError, match="评审人不够：《背影》"):
        appraisals.allocate(world["host"], peer, [world["lead1"], world["mate1"], world["teach2"]])
    db.session.rollback()
    assert db.session.query(AppraisalReview).count() == 0  # nothing half done


def test_entries_need_a_published_self_reviewed_case_below_the_space(world):
    peer = open_peer(world)
    fresh = service.create_study(
        world["lead1"],
        world["study1"].space,
        service.StudyData(title="《济南的冬天》", theme="写景", teacher=world["teach1"]),
    )
    with pytest.raises(ServiceError, match="课例发布后"):
        appraisals.enter(world["lead1"], peer, fresh, source="self")
    other = make_workshop(world["county"], name="初中数学工作坊")
    elsewhere = appraisals.open_appraisal(
        world["county_admin"], other, appraisals.AppraisalData("peer", "数学组互评", SOON, LATER)
    )
    with pytest.raises(ServiceError, match="下级空间"):
        appraisals.enter(world["lead1"], elsewhere, world["study1"], source="self")
    peer.entry_deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="报送已经截止"):
        appraisals.enter(world["lead1"], peer, world["study1"], source="self")


def test_where_each_kind_runs_and_who_opens_it(world):
    with pytest.raises(ServiceError, match="学校或区域"):
        appraisals.open_appraisal(
            world["host"], world["workshop"], appraisals.AppraisalData("award", "评选", SOON, LATER)
        )
    with pytest.raises(ServiceError, match="评审截止日期"):
        appraisals.open_appraisal(
            world["host"], world["workshop"], appraisals.AppraisalData("peer", "互评", LATER, SOON)
        )
    with pytest.raises(ServiceError, match="今天或以后"):
        appraisals.open_appraisal(
            world["host"],
            world["workshop"],
            appraisals.AppraisalData("peer", "互评", date(2020, 1, 1), LATER),
        )
    assert can(load_actor(world["host"]), "appraisal.create", world["workshop"])
    assert not can(load_actor(world["lead1"]), "appraisal.create", world["workshop"])
    assert can(load_actor(world["county_admin"]), "appraisal.create", world["county"])
    assert not can(load_actor(world["host"]), "appraisal.create", world["county"])


def test_awards_go_from_the_county_to_the_province(world):
    county = appraisals.open_appraisal(
        world["county_admin"],
        world["county"],
        appraisals.AppraisalData("award", "兴义市优秀课例评选", SOON, LATER, reviewers_per_entry=1),
    )
    province = appraisals.open_appraisal(
        world["province_admin"],
        world["province"],
        appraisals.AppraisalData("award", "贵州省优秀课例评选", LATER, LATER, reviewers_per_entry=1),
    )
    one = appraisals.enter(world["lead1"], county, world["study1"], source="self")
    two = appraisals.enter(world["county_admin"], county, world["study2"], source="organiser")
    judge = make_user("judgex", "评委")
    appraisals.allocate(world["county_admin"], county, [judge])
    for review, points in zip(
        db.session.query(AppraisalReview).order_by(AppraisalReview.id), (92, 80), strict=True
    ):
        appraisals.submit_review(judge, review, scores(100 - points), "")
    with pytest.raises(ServiceError, match="只有公布结果时列入推荐名单"):
        appraisals.promote(world["county_admin"], one, province)
    appraisals.publish(world["county_admin"], county, {one.id: "first", two.id: "third"}, {one.id})
    assert county.state == "published"
    assert [row.entry.id for row in queries.entry_rows(county)] == [one.id, two.id]
    with pytest.raises(ServiceError, match="结果已经公布"):
        appraisals.publish(world["county_admin"], county, {}, set())
    assert not can(load_actor(world["county_admin"]), "appraisal.manage", county)
    assert not can(load_actor(judge), "appraisal.review", db.session.query(AppraisalReview).first())

    with pytest.raises(ServiceError, match="只有公布结果时列入推荐名单"):
        appraisals.promote(world["county_admin"], two, province)
    assert queries.promotion_targets(county) == [province]
    up = appraisals.promote(world["county_admin"], one, province)
    assert (up.source, up.from_entry_id, up.appraisal_id) == ("promoted", one.id, province.id)
    assert queries.promoted_from(county) == {one.id: [up]}
    appraisals.allocate(world["province_admin"], province, [judge])
    appraisals.publish(world["province_admin"], province, {up.id: "second"}, set())
    awards = {(e.appraisal.title, e.award_label) for e in queries.study_entries(world["study1"])}
    assert awards == {("兴义市优秀课例评选", "一等奖"), ("贵州省优秀课例评选", "二等奖")}


def test_the_pages_and_forms(world, login_as, post, get_page, client, count_queries):
    workshop = world["workshop"]
    login_as(world["host"])
    url = f"/w/{workshop.slug}/appraisals/new"
    response = post(
        url,
        {
            "kind": "peer",
            "title": "组互评",
            "entry_deadline": SOON.isoformat(),
            "review_deadline": LATER.isoformat(),
            "reviewers_per_entry": "1",
        },
        form_url=url,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    peer_url = response.headers["Location"]
    bad = post(
        url, {"kind": "peer", "title": "x", "entry_deadline": "明天", "review_deadline": ""}, form_url=url
    )
    assert bad.status_code == 400 and "年-月-日" in bad.get_data(as_text=True)

    login_as(world["lead1"])
    study_url = f"/l/{world['study1'].id}"
    page = get_page(study_url)
    assert page.find("form", action=f"{study_url}/recommend")
    appraisal_id = int(peer_url.rsplit("/", 1)[1])
    assert post(f"{study_url}/recommend", {"target": appraisal_id}, form_url=study_url).status_code == 302
    assert AppraisalEntry.query.count() == 1

    login_as(world["host"])
    assert (
        post(f"/a/{appraisal_id}/entries", {"target": world["study2"].id}, form_url=peer_url).status_code
        == 302
    )
    refused = post(f"/a/{appraisal_id}/allocate", {"users": "mate1，nobody"}, form_url=peer_url)
    assert AppraisalReview.query.count() == 0
    again = get_page(refused.headers["Location"])  # the names typed come back with the error
    assert again.find("input", id="users")["value"] == "mate1，nobody" and "nobody" in again.get_text()
    assert (
        post(f"/a/{appraisal_id}/allocate", {"users": "mate1，mate2"}, form_url=peer_url).status_code == 302
    )
    assert AppraisalReview.query.count() == 2
    assert "还有 2 份评审没有提交" in get_page(peer_url).get_text()
    review = AppraisalReview.query.filter_by(reviewer_id=world["mate2"].id).one()

    login_as(world["mate2"])
    task = get_page("/").find("a", string="您有 1 份课例评审任务待评分")  # on her home page
    assert task is not None and task["href"] == "/a/reviews"
    assert "待评" in get_page("/a/reviews").get_text()
    review_url = f"/a/reviews/{review.id}"
    assert "二备后讨论更聚焦" in get_page(review_url).get_text()  # the self review is shown
    bad = post(review_url, {**FULL, "topic": "99"}, form_url=review_url)
    assert bad.status_code == 400 and "0–15" in bad.get_data(as_text=True)
    assert post(review_url, {**FULL, "comment": "很好"}, form_url=review_url).status_code == 302
    assert db.session.get(AppraisalReview, review.id).total == 100
    login_as(world["outsider"])
    assert client.get(review_url).status_code == 403
    assert post(review_url, FULL, form_url="/").status_code == 403

    login_as(world["host"])
    response = post(
        f"/a/{appraisal_id}/publish",
        {f"award-{review.entry_id}": "first", "award-999999": "first"},
        form_url=peer_url,
    )
    assert response.status_code == 302
    assert db.session.get(AppraisalEntry, review.entry_id).award is None  # the stray id refused it all
    post(f"/a/{appraisal_id}/publish", {f"award-{review.entry_id}": "first"}, form_url=peer_url)
    assert "一等奖" in get_page(peer_url).get_text()
    with count_queries() as few:
        get_page(peer_url)
    # Twice the entries and reviews: the same number of statements.
    more = finished_study(world["lead1"], world["study1"].space, world["teach1"], "《散步》")
    db.session.add(
        AppraisalEntry(
            appraisal_id=appraisal_id, study_id=more.id, entered_by_id=world["host"].id, source="organiser"
        )
    )
    db.session.commit()
    with count_queries() as many:
        get_page(peer_url)
    assert len(many.statements) == len(few.statements)
    assert client.get("/a/999999999999").status_code == 404
    assert client.get("/a/reviews/abc").status_code == 404
