"""Briefs: drafts, numbering (also under concurrency), withdrawal, reading, comments,
drafts from activity whose numbers match the queries, feeds and exports."""

from __future__ import annotations

import io
import threading

import pytest

from peixun.briefs import activity as activity_queries
from peixun.briefs import service
from peixun.briefs.models import Brief
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.extensions import db
from peixun.threads import service as threads
from peixun.threads.models import Notification
from tests.factories import (
    add_member,
    appoint,
    make_region,
    make_resource,
    make_school,
    make_user,
    make_workshop,
)


@pytest.fixture
def world(app):
    county = make_region("兴义市")
    host = make_user("hostx", "王坊主")
    workshop = make_workshop(county, hosts=[host], name="初中语文工作坊")
    school = make_school(county, "兴义八中")
    teachers = []
    for n, name in enumerate(["张丽", "李明", "赵红"]):
        user = make_user(f"teacher{n}x", name)
        add_member(user, workshop)
        add_member(user, school)
        teachers.append(user)
    return {"county": county, "workshop": workshop, "host": host, "teachers": teachers, "school": school}


def _draft(world, series="workshop", title="第一期", body="本期**要点**"):
    return service.save_draft(world["host"], world["workshop"], series=series, title=title, body=body)


def test_numbering_per_space_and_series_without_gaps(world):
    first = service.publish(world["host"], _draft(world))
    second = service.publish(world["host"], _draft(world, title="第二期"))
    news = service.publish(world["host"], _draft(world, series="news", title="快讯"))
    assert (first.number, second.number, news.number) == (1, 2, 1)
    assert second.label == "工作坊简报 第2期" and news.label == "研修快讯 第1期"
    service.withdraw(world["host"], second, "数据有误")
    third = service.publish(world["host"], _draft(world, title="第三期"))
    assert third.number == 3 and db.session.get(Brief, second.id).number == 2  # kept, not reused
    with pytest.raises(ServiceError):
        service.publish(world["host"], third)


def test_two_publishes_at_the_same_moment(app, world):
    drafts = [_draft(world, title=f"同时发布{n}").id for n in range(4)]
    barrier = threading.Barrier(len(drafts))
    errors = []

    def publish(brief_id: int) -> None:
        with app.app_context():
            try:
                from peixun.accounts.models import User

                host = db.session.get(User, world["host"].id)
                brief = db.session.get(Brief, brief_id)
                barrier.wait()
                service.publish(host, brief)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=publish, args=(i,)) for i in drafts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.get(Brief, i).number for i in drafts)
    assert numbers == [1, 2, 3, 4]


def test_publishing_notifies_members_and_drafts_stay_private(world, login_as, client, get_page):
    draft = _draft(world)
    login_as(world["teachers"][0])
    assert client.get(f"/b/{draft.id}").status_code == 403
    page = get_page(f"/w/{world['workshop'].slug}/briefs")
    assert "第一期" not in page.get_text()
    service.publish(world["host"], draft)
    notes = Notification.query.filter_by(kind="brief").all()
    assert sorted(n.user_id for n in notes) == sorted(t.id for t in world["teachers"])
    assert "工作坊简报 第1期" in get_page(f"/w/{world['workshop'].slug}/briefs").get_text()


def test_readers_and_comments(world, login_as, client, post, get_page):
    brief = service.publish(world["host"], _draft(world))
    reader = world["teachers"][1]
    login_as(reader)
    page = get_page(f"/b/{brief.id}")
    assert "本期" in page.get_text() and page.find("strong").get_text() == "要点"
    response = post(f"/b/{brief.id}/comments", {"body": "学习了，谢谢坊主！"}, form_url=f"/b/{brief.id}")
    assert response.status_code == 302
    assert client.get(f"/b/{brief.id}/readers").status_code == 403
    login_as(world["host"])
    readers = get_page(f"/b/{brief.id}/readers").get_text()
    assert "已读 1 人" in readers and "李明" in readers and "张丽" in readers
    assert "学习了，谢谢坊主" in get_page(f"/b/{brief.id}").get_text()


def test_draft_from_activity_counts_match_the_queries(world, login_as, post, client):
    ws, teachers = world["workshop"], world["teachers"]
    thread = threads.start_thread(teachers[0], ws, kind="topic", title="三备两打磨心得", body="内容")
    for n in range(3):
        threads.post_reply(teachers[1], thread, f"回复{n}")
    threads.moderate(world["host"], thread, "feature")
    resource = make_resource(teachers[0], ws, "《背影》教学设计")
    login_as(world["host"])
    response = post(f"/w/{ws.slug}/briefs/draft", {"series": "workshop"}, form_url=f"/w/{ws.slug}/briefs")
    assert response.status_code == 302
    draft = Brief.query.one()
    facts = activity_queries.activity(ws, ws.created_at, utcnow())
    assert f"发起研讨 {facts.threads} 个，回帖 {facts.replies} 条" in draft.body
    assert (facts.threads, facts.replies, facts.resources) == (1, 3, 1)
    assert "[三备两打磨心得](/t/" in draft.body and "## 精华推荐" in draft.body
    assert f"[《背影》教学设计](/res/{resource.id})" in draft.body
    assert "| 兴义八中 | 3 | 2 | 4 | 0 | 1 |" in draft.body
    assert "赵红" in draft.body.split("## 温馨提醒")[1]  # never active: urged
    edit = client.get(f"/b/{draft.id}/edit")
    assert edit.status_code == 200
    # The next draft counts only from the previous issue on.
    service.publish(world["host"], draft)
    later = service.draft_from_activity(world["host"], ws, "workshop")
    assert "发起研讨 0 个，回帖 0 条" in later.body


def test_atom_feed_is_valid(world, login_as, client):
    import feedparser

    service.publish(world["host"], _draft(world, body="<script>alert(1)</script> 正文 & 更多"))
    service.publish(world["host"], _draft(world, series="news", title="快讯一则"))
    login_as(world["teachers"][0])
    response = client.get(f"/w/{world['workshop'].slug}/briefs.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["研修快讯 第1期 快讯一则", "工作坊简报 第1期 第一期"]
    assert "<script>" not in feed.entries[1].content[0].value
    news = feedparser.parse(client.get(f"/w/{world['workshop'].slug}/briefs/news.atom").get_data())
    assert [e.title for e in news.entries] == ["研修快讯 第1期 快讯一则"]


def test_exports_read_back_in_chinese(world, login_as, client):
    from docx import Document as Docx

    first = service.publish(
        world["host"], _draft(world, title="春季研修总结", body="## 一、成绩\n\n张丽老师的课例获奖。")
    )
    service.publish(world["host"], _draft(world, title="第二期 展望", body="- 继续磨课\n- 撰写日志"))
    login_as(world["teachers"][0])
    one = client.get(f"/b/{first.id}/docx")
    text = "\n".join(p.text for p in Docx(io.BytesIO(one.get_data())).paragraphs)
    assert "春季研修总结" in text and "张丽老师的课例获奖" in text
    booklet = client.get(f"/w/{world['workshop'].slug}/briefs/booklet.docx")
    text = "\n".join(p.text for p in Docx(io.BytesIO(booklet.get_data())).paragraphs)
    assert text.index("春季研修总结") < text.index("第二期 展望") and "继续磨课" in text


def test_region_lists_briefs_from_below_and_experts_write(world, login_as, get_page):
    service.publish(world["host"], _draft(world, title="工作坊的简报"))
    expert = make_user("expertx", "钱专家")
    appoint(expert, world["county"], "expert")
    login_as(expert)
    page = get_page(f"/r/{world['county'].slug}/briefs")
    assert "工作坊的简报" in page.get_text()
    assert get_page.client.get(f"/w/{world['workshop'].slug}/briefs/new").status_code == 200
    login_as(world["teachers"][0])
    assert get_page.client.get(f"/w/{world['workshop'].slug}/briefs/new").status_code == 403


def test_list_and_page_queries_are_bounded(world, login_as, client, count_queries):
    brief = service.publish(world["host"], _draft(world))
    login_as(world["host"])
    url_list, url_page = f"/w/{world['workshop'].slug}/briefs", f"/b/{brief.id}"
    with count_queries() as few_list:
        client.get(url_list)
    with count_queries() as few_page:
        client.get(url_page)
    for n in range(12):
        service.publish(world["host"], _draft(world, title=f"第{n}期"))
        threads.post_reply(world["teachers"][n % 3], brief.thread, f"评论{n}")
    with count_queries() as many_list:
        client.get(url_list)
    with count_queries() as many_page:
        client.get(url_page)
    assert many_list.count == few_list.count
    assert many_page.count <= few_page.count + 1


def test_draft_reports_lesson_study_progress(world):
    from peixun.lessons import service as lessons
    from tests.factories import make_group

    group = make_group(world["workshop"], world["teachers"][0])
    study = lessons.create_study(
        world["teachers"][0],
        group,
        lessons.StudyData(title="《春》朗读课", theme="朗读", teacher=world["teachers"][0]),
    )
    lessons.advance(world["teachers"][0], study, "plan")
    lessons.add_version(world["teachers"][0], study, "## 教学过程\n\n1. 朗读。")
    draft = service.draft_from_activity(world["host"], world["workshop"], "workshop")
    assert "## 课例研究进展" in draft.body
    assert (
        f"[《春》朗读课](/l/{study.id})：一备（个人备课）（本期新增教学设计 1 稿、观课记录 0 份）"
        in draft.body
    )
