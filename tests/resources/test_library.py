"""Sharing into a library, the library page's filters and sorts, the resource page."""

from __future__ import annotations

import io

import pytest

from peixun.resources import service
from peixun.resources.models import Resource
from peixun.threads import queries as threads_queries
from peixun.threads import service as threads
from tests.factories import add_member, make_region, make_resource, make_user, make_workshop


@pytest.fixture
def world(app):
    county = make_region("兴义市")
    host = make_user("hostx", "王坊主")
    workshop = make_workshop(county, hosts=[host])
    teacher = make_user("teacherx", "张老师")
    add_member(teacher, workshop)
    return {"county": county, "workshop": workshop, "host": host, "teacher": teacher}


def test_share_a_file_through_the_form(world, login_as, get_page, client):
    login_as(world["teacher"])
    url = f"/w/{world['workshop'].slug}/resources/new"
    page = get_page(url)
    token = page.find("input", {"name": "csrf_token"})["value"]
    key = page.find("input", {"name": "form_key"})["value"]
    data = {
        "csrf_token": token,
        "form_key": key,
        "title": "《春》教学设计",
        "type": "教案",
        "subject": "语文",
        "stage": "初中",
        "tags": "朱自清，散文 写景",
        "description": "第一课时。**重点**是朗读。",
        "file": (io.BytesIO("春天来了，三备两打磨。".encode()), "春 教案.txt"),
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    resource = Resource.query.one()
    assert resource.filename == "春 教案.txt"
    assert resource.tag_names == ["写景", "散文", "朱自清"]
    assert resource.blob.text_status == "ok" and "三备两打磨" in resource.blob.text
    shown = get_page(response.headers["Location"])
    assert "三备两打磨" in shown.get_text()
    assert "<strong>重点</strong>" in str(shown)
    # the same form submitted again shares once
    data["file"] = (io.BytesIO("春天来了，三备两打磨。".encode()), "春 教案.txt")
    again = client.post(url, data=data, content_type="multipart/form-data")
    assert again.status_code == 302 and Resource.query.count() == 1


def test_library_lists_filters_and_sorts(world, login_as, get_page, count_queries):
    ws = world["workshop"]
    first = make_resource(world["teacher"], ws, "古诗词群文阅读", subject="语文", stage="初中", tags="古诗词")
    second = make_resource(world["host"], ws, "一次函数课件", type="课件", subject="数学", stage="初中")
    link = make_resource(
        world["host"], ws, "国家中小学智慧教育平台", type="网站", link_url="https://basic.smartedu.cn/"
    )
    service.count_download(second)
    login_as(world["teacher"])
    page = get_page(f"/w/{ws.slug}/resources")
    titles = [a.get_text() for a in page.select("li.resource .resource-title a")]
    assert titles == [link.title, second.title, first.title]
    page = get_page(f"/w/{ws.slug}/resources?sort=downloads")
    assert page.select("li.resource .resource-title a")[0].get_text() == second.title
    page = get_page(f"/w/{ws.slug}/resources?subject=语文")
    assert [a.get_text() for a in page.select("li.resource .resource-title a")] == [first.title]
    page = get_page(f"/w/{ws.slug}/resources?tag=古诗词")
    assert [a.get_text() for a in page.select("li.resource .resource-title a")] == [first.title]
    page = get_page(f"/w/{ws.slug}/resources?type=网站")
    assert [a.get_text() for a in page.select("li.resource .resource-title a")] == [link.title]
    for bad in ("?subject=火星语", "?sort=random", "?page=0", "?page=99"):
        assert get_page.client.get(f"/w/{ws.slug}/resources{bad}").status_code == 404


def test_library_query_count_is_bounded(world, login_as, client, count_queries):
    ws = world["workshop"]
    make_resource(world["teacher"], ws, "第一份")
    login_as(world["teacher"])
    with count_queries() as few:
        assert client.get(f"/w/{ws.slug}/resources").status_code == 200
    for n in range(25):
        make_resource(make_user(), ws, f"资源{n}", tags=f"标签{n} 公共")
    with count_queries() as many:
        assert client.get(f"/w/{ws.slug}/resources").status_code == 200
    assert many.count == few.count
    assert many.count <= 15


def test_outsiders_cannot_read_a_workshop_library(world, login_as, client):
    resource = make_resource(world["teacher"], world["workshop"])
    login_as(make_user("outsiderx"))
    assert client.get(f"/w/{world['workshop'].slug}/resources").status_code == 403
    assert client.get(f"/res/{resource.id}").status_code == 403
    assert client.get(f"/res/{resource.id}/download").status_code == 403


def test_download_sends_the_original_name_and_counts(world, login_as, client):
    resource = make_resource(world["teacher"], world["workshop"], filename="《春》教案 第1课时.txt")
    login_as(world["host"])
    response = client.get(f"/res/{resource.id}/download")
    response.close()
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E3%80%8A%E6%98%A5%E3%80%8B" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    # text never displays inline, even through the inline view
    inline = client.get(f"/res/{resource.id}/file")
    inline.close()
    assert inline.headers["Content-Disposition"].startswith("attachment")
    assert db_count(resource) == 1


def db_count(resource: Resource) -> int:
    from peixun.extensions import db

    db.session.refresh(resource)
    return resource.download_count


def test_comments_reuse_the_discussion_machinery(world, login_as, client, post, get_page):
    resource = make_resource(world["teacher"], world["workshop"])
    login_as(world["host"])
    response = post(
        f"/res/{resource.id}/comments",
        {"body": "写得好，@teacherx 可以再补充板书设计。"},
        form_url=f"/res/{resource.id}",
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 302 and f"/res/{resource.id}" in follow.headers["Location"]
    page = get_page(f"/res/{resource.id}")
    assert "可以再补充板书设计" in page.get_text()
    # the author hears of it; the comments never show among the workshop's discussions
    from peixun.threads.models import Notification

    assert Notification.query.filter_by(user_id=world["teacher"].id).count() == 1
    threads = get_page(f"/w/{world['workshop'].slug}/threads")
    assert resource.title not in threads.get_text()


def test_comment_edit_like_delete_go_through_the_thread_views(world, login_as, client, post):
    resource = make_resource(world["teacher"], world["workshop"])
    comment = threads.post_reply(world["host"], resource.thread, "第一条评论")
    login_as(world["host"])
    response = post(f"/p/{comment.id}/edit", {"body": "改过的评论"}, form_url=f"/p/{comment.id}/edit")
    assert response.status_code == 302
    assert "改过的评论" in client.get(f"/res/{resource.id}").get_data(as_text=True)
    login_as(world["teacher"])
    assert post(f"/p/{comment.id}/like", form_url=f"/res/{resource.id}").status_code == 302
    login_as(world["host"])
    assert post(f"/p/{comment.id}/delete", form_url=f"/res/{resource.id}").status_code == 302
    assert "该帖已删除" in client.get(f"/res/{resource.id}").get_data(as_text=True)


def test_region_members_comment_on_what_the_region_selected(world, login_as, post, client):
    resource = make_resource(world["teacher"], world["workshop"])
    entry = service.recommend(world["host"], resource, world["county"])
    admin = make_user("countyx")
    from tests.factories import appoint, make_school

    appoint(admin, world["county"], "region_admin")
    service.decide(admin, entry, True)
    elsewhere = make_user("elsewherex", "周老师")
    add_member(elsewhere, make_school(world["county"]))
    login_as(elsewhere)
    response = post(
        f"/res/{resource.id}/comments", {"body": "借鉴了，谢谢！"}, form_url=f"/res/{resource.id}"
    )
    assert response.status_code == 302
    comment = resource.thread and threads_queries.thread_page(resource.thread, elsewhere, 1).page.items[0]
    assert (
        post(
            f"/p/{comment.id}/edit", {"body": "借鉴了，非常感谢！"}, form_url=f"/p/{comment.id}/edit"
        ).status_code
        == 302
    )
    assert "非常感谢" in client.get(f"/res/{resource.id}").get_data(as_text=True)


def test_notifications_of_the_flow_link_to_the_resource(world, login_as, get_page, client):
    resource = make_resource(world["teacher"], world["workshop"])
    entry = service.recommend(world["host"], resource, world["county"])
    admin = make_user("countyx", "赵教研员")
    from tests.factories import appoint

    appoint(admin, world["county"], "region_admin")
    service.decide(admin, entry, False, "请补充教学反思")
    login_as(world["teacher"])
    page = get_page("/notifications")
    assert "未选用您的资源" in page.get_text() and "请补充教学反思" in page.get_text()
    link = next(a["href"] for a in page.find_all("a") if resource.title in a.get_text())
    response = client.get(link)
    while response.status_code == 302:
        response = client.get(response.headers["Location"])
    assert resource.title in response.get_data(as_text=True)


def test_resource_page_query_count_is_bounded(world, login_as, client, count_queries):
    resource = make_resource(world["teacher"], world["workshop"])
    login_as(world["host"])
    with count_queries() as few:
        assert client.get(f"/res/{resource.id}").status_code == 200
    for n in range(15):
        threads.post_reply(make_user(), resource.thread, f"评论{n}")
    service.recommend(world["host"], resource, world["county"])
    with count_queries() as many:
        assert client.get(f"/res/{resource.id}").status_code == 200
    # Constant extra: the recommendation, and (once per thread) each domain's check of
    # whom the comments belong to.
    assert many.count <= few.count + 3
    assert many.count <= 28


def test_personal_library_and_activity(world, login_as, get_page):
    from peixun.spaces.service import ensure_personal_space

    personal = ensure_personal_space(world["teacher"])
    make_resource(world["teacher"], personal, "我的反思")
    make_resource(world["teacher"], world["workshop"], "工作坊里的教案")
    login_as(world["teacher"])
    page = get_page("/u/teacherx/resources")
    assert "我的资源" in page.get_text() and "我的反思" in page.get_text()
    home = get_page(f"/w/{world['workshop'].slug}")
    assert "分享了资源" in home.get_text() and "工作坊里的教案" in home.get_text()
