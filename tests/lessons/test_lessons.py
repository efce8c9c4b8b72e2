"""A lesson study walked through every step (三备两打磨), refused step changes and writes,
observation summaries and the comparison of the two lessons, and the finished case."""

from __future__ import annotations

import io

import pytest

from peixun.core.errors import ServiceError
from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.lessons import appraisals, queries, service
from peixun.lessons.models import RUBRIC, LessonStudy, Recording
from peixun.resources.models import Resource
from tests.factories import add_member, make_group, make_region, make_user, make_workshop, mp4_bytes

DESIGN_1 = "## 教学过程\n\n1. 导入：谈话引入。\n2. 学生分组讨论课文的主要内容。\n"
FULL_MARKS = {code: points for code, (_, points, _) in RUBRIC.items()}
DESIGN_2 = "## 教学过程\n\n1. 导入：图片引入。\n2. 学生先独立思考，再分组讨论课文的主要内容。\n"


@pytest.fixture
def world(app):
    workshop = make_workshop(make_region())
    leader = make_user("leaderx", "王组长")
    teacher = make_user("teacherx", "张丽")
    observer = make_user("observerx", "李明")
    for user in (teacher, observer):
        add_member(user, workshop)
    group = make_group(workshop, leader)
    for user in (teacher, observer):
        add_member(user, group)
    outsider = make_user("outsiderx", "外人")
    return {"group": group, "leader": leader, "teacher": teacher, "observer": observer, "outsider": outsider}


def _study(world) -> LessonStudy:
    data = service.StudyData(
        title="《背影》第二课时", theme="以读促写", teacher=world["teacher"], subject="语文", stage="初中"
    )
    return service.create_study(world["leader"], world["group"], data)


def _observe(world, study, user, score: int) -> None:
    ratings = {d: score for d in ("goals", "content", "methods", "evaluation")}
    service.observe(
        user, study, service.ObservationData(ratings, {"goals": f"目标{score}"}, "08:35 小组讨论，第三组偏题")
    )


def test_a_study_walks_through_every_step(world):
    study = _study(world)
    leader = world["leader"]
    assert study.step == "plan" and study.thread_of("plan") is not None
    service.advance(leader, study, "plan")
    with pytest.raises(ServiceError, match="还没有教学设计"):
        service.advance(leader, study, "prep1")
    service.add_version(world["teacher"], study, DESIGN_1, "第一稿")
    service.advance(leader, study, "prep1")
    with pytest.raises(ServiceError, match="还没有观课记录"):
        service.advance(leader, study, "lesson1")
    with pytest.raises(ServiceError, match="一备、二备、三备"):
        service.add_version(world["teacher"], study, DESIGN_2)
    _observe(world, study, world["observer"], 3)
    service.advance(leader, study, "lesson1")
    service.add_version(world["teacher"], study, DESIGN_2, "先独立思考")
    service.advance(leader, study, "prep2")
    _observe(world, study, world["observer"], 4)
    service.advance(leader, study, "lesson2")
    service.add_version(world["teacher"], study, DESIGN_2 + "\n3. 小结。\n", "三备")
    service.advance(leader, study, "prep3")
    assert study.step == "summary"
    with pytest.raises(ServiceError, match="先填写磨课总结"):
        service.finish(leader, study, queries.case_markdown(study))
    service.save_summary(leader, study, "两次打磨后，学生讨论更聚焦。")
    service.finish(leader, study, queries.case_markdown(study))
    assert study.step == "review"
    case = db.session.get(Resource, study.resource_id)
    assert case.type == "课例" and case.space_id == world["group"].id
    assert "先独立思考" in case.blob.text and "两次打磨后" in case.blob.text
    with pytest.raises(ServiceError, match="先完成自评"):
        service.advance(leader, study, "review")
    with pytest.raises(ServiceError, match="教学设计改进"):
        appraisals.save_self_review(leader, study, {**FULL_MARKS, "design": 26}, "不错")
    appraisals.save_self_review(leader, study, FULL_MARKS, "二备后学生讨论更聚焦。")
    assert study.self_total == 100
    service.advance(leader, study, "review")
    assert study.step == "finished"
    assert {t.step for t in study.threads} == {
        "plan",
        "prep1",
        "lesson1",
        "prep2",
        "lesson2",
        "prep3",
        "summary",
        "review",
    }
    with pytest.raises(ServiceError):
        service.advance(leader, study, "finished")


def test_a_stale_advance_cannot_skip_a_step(world):
    study = _study(world)
    service.advance(world["leader"], study, "plan")
    with pytest.raises(ServiceError, match="刷新"):
        service.advance(world["leader"], study, "plan")  # a second click on the old page
    assert study.step == "prep1"


def test_observations_summarise_and_compare_the_two_lessons(world):
    study = _study(world)
    service.advance(world["leader"], study, "plan")
    first = service.add_version(world["teacher"], study, DESIGN_1)
    service.advance(world["leader"], study, "prep1")
    _observe(world, study, world["observer"], 2)
    _observe(world, study, world["leader"], 4)
    service.advance(world["leader"], study, "lesson1")
    second = service.add_version(world["teacher"], study, DESIGN_2)
    service.advance(world["leader"], study, "prep2")
    _observe(world, study, world["observer"], 5)
    one, two = queries.round_summary(study, 1), queries.round_summary(study, 2)
    assert [d.average for d in one.dimensions] == [3.0, 3.0, 3.0, 3.0]
    assert one.observations[0].version_id == first.id and two.observations[0].version_id == second.id
    assert [c.change for c in queries.compare(one, two)] == [2.0, 2.0, 2.0, 2.0]


def test_only_the_group_writes_and_the_leader_leads(world, login_as, post, client, get_page):
    study = _study(world)
    outsider, observer = world["outsider"], world["observer"]
    assert not can(load_actor(outsider), "lesson.write", study)
    assert can(load_actor(observer), "lesson.write", study)
    assert not can(load_actor(observer), "lesson.lead", study)
    assert can(load_actor(world["leader"]), "lesson.lead", study)
    login_as(outsider)
    assert client.get(f"/l/{study.id}").status_code == 403
    assert post(f"/l/{study.id}/advance", {"step": "plan"}).status_code == 403
    login_as(observer)
    assert post(f"/l/{study.id}/advance", {"step": "plan"}, form_url=f"/l/{study.id}").status_code == 403
    page = get_page(f"/l/{study.id}")
    assert "计划研讨" in page.get_text()
    response = post(f"/l/{study.id}/comments", {"body": "我来观察教学评价。"}, form_url=f"/l/{study.id}")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 302 and f"/l/{study.id}" in follow.headers["Location"]
    assert "我来观察教学评价" in client.get(f"/l/{study.id}").get_data(as_text=True)


def test_the_pages_through_the_browser_forms(world, login_as, post, get_page, client):
    group = world["group"]
    login_as(world["leader"])
    form_url = f"/g/{group.slug}/lessons/new"
    response = post(
        form_url,
        {
            "title": "《春》",
            "theme": "朗读教学",
            "teacher": world["teacher"].id,
            "subject": "语文",
            "stage": "初中",
        },
        form_url=form_url,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    study = LessonStudy.query.one()
    post(f"/l/{study.id}/advance", {"step": "plan"}, form_url=f"/l/{study.id}")
    login_as(world["teacher"])
    post(f"/l/{study.id}/versions", {"body": DESIGN_1, "note": "一稿"}, form_url=f"/l/{study.id}")
    login_as(world["leader"])
    post(f"/l/{study.id}/advance", {"step": "prep1"}, form_url=f"/l/{study.id}")
    login_as(world["observer"])
    ratings = {"goals": 3, "content": 4, "methods": 3, "evaluation": 2, "classroom_notes": "08:35 小组讨论"}
    post(f"/l/{study.id}/observe", ratings, form_url=f"/l/{study.id}")
    page = get_page(f"/l/{study.id}")
    assert "第1次上课（1 份观课记录" in page.get_text()
    assert get_page(f"/g/{group.slug}/lessons").find("a", string="《春》")


def test_a_recorded_lesson_is_played_in_the_page_and_observed_from(world, login_as, post, get_page, client):
    study = _study(world)
    service.advance(world["leader"], study, "plan")
    service.add_version(world["teacher"], study, DESIGN_1)
    page_url = f"/l/{study.id}"

    def upload(round_: int, data: bytes, name: str):
        return post(
            f"/l/{study.id}/recordings",
            {"recording_round": str(round_), "recording_file": (io.BytesIO(data), name)},
            form_url=page_url,
            content_type="multipart/form-data",
        )

    login_as(world["outsider"])
    assert upload(1, mp4_bytes(), "春.mp4").status_code == 403
    login_as(world["teacher"])
    upload(1, mp4_bytes(), "春.mp4")  # 一备: the lesson has not been taught yet
    assert Recording.query.count() == 0
    service.advance(world["leader"], study, "prep1")
    upload(2, mp4_bytes(), "春.mp4")  # round two is still to come
    upload(1, "春眠不觉晓".encode(), "春.txt")
    assert Recording.query.count() == 0
    response = upload(1, mp4_bytes(), "第一次上课.mp4")
    assert response.status_code == 302
    recording = Recording.query.one()
    video = db.session.get(Resource, recording.resource_id)
    assert (video.type, video.space_id, recording.round) == ("视频", world["group"].id, 1)
    assert "第1次上课录像" in video.title

    login_as(world["observer"])
    page = get_page(page_url)
    player = page.find("video")
    assert player is not None and player["src"] == f"/res/{video.id}/file"
    with client.get(player["src"]) as played:
        assert played.mimetype == "video/mp4"
    choices = [o["value"] for o in page.find("select", id="video").find_all("option")]
    assert choices == ["0", str(video.id)]
    ratings = {"goals": 4, "content": 4, "methods": 3, "evaluation": 3, "classroom_notes": "12:30 学生朗读"}
    post(f"/l/{study.id}/observe", {**ratings, "video": str(video.id + 1000)}, form_url=page_url)
    assert queries.round_summary(study, 1).observations == []  # not this round's recording
    post(f"/l/{study.id}/observe", {**ratings, "video": str(video.id)}, form_url=page_url)
    (observation,) = queries.round_summary(study, 1).observations
    assert observation.video_resource_id == video.id
    text = get_page(page_url).get_text()
    assert "李明（观看录像）" in text and f"观看“{video.title}”" in text
    login_as(world["outsider"])
    assert client.get(f"/res/{video.id}/file").status_code == 403
