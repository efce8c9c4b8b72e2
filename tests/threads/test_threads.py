"""Threads and replies: who reads and writes where, posting, preview, edits, likes."""

from __future__ import annotations

import pytest

from peixun.extensions import db
from peixun.spaces.service import ensure_personal_space
from peixun.threads import service
from peixun.threads.models import Like, Post, PostVersion, Thread
from tests.conftest import csrf_token
from tests.factories import add_member, make_region, make_school, make_user, make_workshop


@pytest.fixture
def place(app):
    city = make_region("黔西南州", level="city")
    county = make_region("兴义市", parent=city)
    host, member, outsider = (
        make_user("host1", "李坊主"),
        make_user("member1", "王老师"),
        make_user("out1", "外人"),
    )
    workshop = make_workshop(county, hosts=[host])
    add_member(member, workshop)
    other_county = make_region("兴仁县", parent=city)
    school = make_school(other_county)
    add_member(outsider, school)
    return {
        "city": city,
        "county": county,
        "workshop": workshop,
        "host": host,
        "member": member,
        "outsider": outsider,
    }


def _start(space, author, **kw):
    data = {"kind": "topic", "title": "整本书阅读怎么开展", "body": "大家好，**欢迎**讨论。", **kw}
    return service.start_thread(author, space, **data)


def test_member_starts_a_thread_with_preview_first(client, place, login_as, get_page):
    login_as(place["member"])
    url = f"/w/{place['workshop'].slug}/threads/new"
    get_page(url)
    data = {
        "kind": "question",
        "title": "如何设计读书单？",
        "body": "请问**书单**怎么选？",
        "preview": "预览",
        "csrf_token": csrf_token(client, url),
    }
    preview = client.post(url, data=data)
    assert preview.status_code == 200 and "<strong>书单</strong>" in preview.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(Thread)).scalar() == 0
    del data["preview"]
    data["submit"] = "发布"
    response = client.post(url, data=data)
    assert response.status_code == 302
    thread = db.session.execute(db.select(Thread)).scalar_one()
    assert thread.kind == "question" and thread.title == "如何设计读书单？"
    page = get_page(f"/t/{thread.id}").get_text()
    assert "请问书单怎么选" in page and "问答" in page
    listing = get_page(f"/w/{place['workshop'].slug}/threads").get_text()
    assert "如何设计读书单？" in listing and "回复 0" in listing


def test_reading_is_for_members_and_the_region_below(client, place, login_as, get_page):
    thread = _start(place["workshop"], place["member"])
    region_thread = _start(place["city"], place["host"], title="全州研修通知")
    # Guests and outsiders of the workshop are refused; the list too.
    assert client.get(f"/t/{thread.id}").status_code == 302
    login_as(place["outsider"])
    assert client.get(f"/t/{thread.id}").status_code == 403
    assert client.get(f"/w/{place['workshop'].slug}/threads").status_code == 403
    # A teacher in a school below the city reads the city's threads and may reply.
    assert "全州研修通知" in get_page(f"/t/{region_thread.id}").get_text()


def test_reply_permalink_lands_on_the_right_page(client, place, login_as, post):
    thread = _start(place["workshop"], place["member"])
    for i in range(45):
        service.post_reply(place["host"], thread, f"第{i + 1}条回复")
    last = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    login_as(place["member"])
    response = client.get(f"/p/{last.id}")
    assert response.status_code == 302
    assert response.location == f"/t/{thread.id}?page=3#p{last.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "第45条回复" in page and "第40条回复" not in page
    assert client.get(f"/t/{thread.id}?page=4").status_code == 404


def test_reply_through_the_form(client, place, login_as, post):
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])
    url = f"/t/{thread.id}"
    response = post(url, {"body": "> 引用\n\n同意，补充一点。", "submit": "发布"}, form_url=url)
    assert response.status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "<blockquote>" in page and "同意，补充一点。" in page
    empty = post(url, {"body": "   ", "submit": "发布"}, form_url=url)
    assert empty.status_code == 400 and "请填写内容" in empty.get_data(as_text=True)


def test_locked_threads_take_no_replies(client, place, login_as, post):
    thread = _start(place["workshop"], place["member"])
    thread.is_locked = True
    db.session.commit()
    login_as(place["host"])
    assert "该帖已锁定" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert post(f"/t/{thread.id}", {"body": "还想说", "submit": "发布"}).status_code == 403


def test_edit_keeps_versions_for_hosts_and_marks_edited(client, place, login_as, post, get_page):
    thread = _start(place["workshop"], place["member"])
    opening = db.session.execute(db.select(Post)).scalar_one()
    login_as(place["member"])
    url = f"/p/{opening.id}/edit"
    get_page(url)
    assert (
        post(url, {"title": "新标题", "body": "改过的内容", "submit": "发布"}, form_url=url).status_code
        == 302
    )
    assert "已编辑" in get_page(f"/t/{thread.id}").get_text()
    assert db.session.execute(db.select(PostVersion.body)).scalar_one() == "大家好，**欢迎**讨论。"
    assert client.get(f"/p/{opening.id}/history").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(place["host"])
    assert "大家好" in get_page(f"/p/{opening.id}/history").get_text()
    assert client.get(url).status_code == 403  # hosts do not edit others' words


def test_soft_delete_and_likes(client, place, login_as, post):
    thread = _start(place["workshop"], place["member"])
    reply = service.post_reply(place["host"], thread, "一条回复")
    login_as(place["member"])
    assert post(f"/p/{reply.id}/like", form_url=f"/t/{thread.id}").status_code == 302
    assert post(f"/p/{reply.id}/like", form_url=f"/t/{thread.id}").status_code == 302
    assert db.session.execute(db.select(db.func.count()).select_from(Like)).scalar() == 1
    own = db.session.execute(db.select(Post).filter_by(is_opening=True)).scalar_one()
    assert post(f"/p/{own.id}/like", form_url=f"/t/{thread.id}").status_code == 403
    assert post(f"/p/{reply.id}/delete", form_url=f"/t/{thread.id}").status_code == 403
    assert post(f"/p/{own.id}/delete", form_url=f"/t/{thread.id}").status_code == 302
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "该帖已删除" in page and "大家好" not in page and "一条回复" in page


def test_journals_are_public_or_private(client, place, login_as, get_page):
    personal = ensure_personal_space(place["member"])
    db.session.commit()
    public = _start(personal, place["member"], kind="journal", title="第一周研修日志")
    private = _start(personal, place["member"], kind="journal", title="私人反思", is_public=False)
    assert "第一周研修日志" in get_page("/u/member1/threads").get_text()
    assert "私人反思" not in get_page("/u/member1/threads").get_text()
    assert client.get(f"/t/{private.id}").status_code == 302
    login_as(place["host"])
    assert client.get(f"/t/{private.id}").status_code == 403
    assert client.get(f"/t/{public.id}").status_code == 200
    assert client.get("/u/member1/threads/new").status_code == 403
    with pytest.raises(Exception, match="不能发布"):
        _start(place["workshop"], place["member"], kind="journal")


def test_list_filters_and_bounded_queries(client, place, login_as, count_queries):
    login_as(place["member"])
    url = f"/w/{place['workshop'].slug}/threads"

    def cost() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    service.post_reply(place["host"], _start(place["workshop"], place["member"]), "第一条回复")
    few = cost()
    for i in range(25):
        thread = _start(
            place["workshop"], place["host"], title=f"话题{i}", kind="question" if i % 2 else "topic"
        )
        service.post_reply(place["member"], thread, "回复")
    assert cost() == few
    assert client.get(url + "?show=unanswered").status_code == 200
    assert client.get(url + "?show=bogus").status_code == 404
    assert client.get(url + "?sort=newest&page=2").status_code == 200


def test_thread_page_queries_stay_bounded(client, place, login_as, count_queries):
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])

    def cost() -> int:
        with count_queries() as counter:
            assert client.get(f"/t/{thread.id}").status_code == 200
        return counter.count

    service.post_reply(place["host"], thread, "一")
    few = cost()
    for i in range(30):
        service.post_reply(place["member"] if i % 2 else place["host"], thread, f"回复{i}")
    assert cost() == few


def test_rendered_bodies_are_sanitised(client, place, login_as, get_page):
    thread = _start(
        place["workshop"], place["member"], body="<script>alert(1)</script>[x](javascript:alert(1))"
    )
    login_as(place["member"])
    soup = get_page(f"/t/{thread.id}")
    body = soup.select_one(".post-body")
    assert body.find("script") is None
    assert all(not (a.get("href") or "").startswith("javascript") for a in body.find_all("a"))


def _form_key(client, url: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    return soup.find("input", {"name": "form_key"})["value"]


def test_a_double_submitted_reply_posts_once(client, place, login_as, post):
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])
    url = f"/t/{thread.id}"
    key = _form_key(client, url)
    for _ in range(2):
        assert (
            post(url, {"body": "只发一次", "submit": "发布", "form_key": key}, form_url=url).status_code
            == 302
        )
    assert (
        db.session.execute(db.select(db.func.count()).select_from(Post).filter_by(body="只发一次")).scalar()
        == 1
    )


def test_new_thread_form_double_submit_creates_one_thread(client, place, login_as, post):
    login_as(place["member"])
    url = f"/w/{place['workshop'].slug}/threads/new"
    key = _form_key(client, url)
    data = {"kind": "topic", "title": "一次", "body": "内容", "submit": "发布", "form_key": key}
    first, second = post(url, data, form_url=url), post(url, data, form_url=url)
    assert first.location == second.location
    assert db.session.execute(db.select(db.func.count()).select_from(Thread)).scalar() == 1


def test_hosts_moderate_and_the_log_shows_it(client, place, login_as, post, get_page):
    thread = _start(place["workshop"], place["member"])
    url = f"/t/{thread.id}"
    login_as(place["member"])
    assert post(f"{url}/feature", form_url=url).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(place["host"])
    for action in ("feature", "pin", "lock"):
        assert post(f"{url}/{action}", form_url=url).status_code == 302
    assert post(f"{url}/hide", form_url=url).status_code == 400  # a reason is required
    assert post(f"{url}/hide", {"reason": "与主题无关"}, form_url=url).status_code == 302
    db.session.refresh(thread)
    assert (
        thread.is_featured and thread.is_pinned and thread.is_locked and thread.hidden_reason == "与主题无关"
    )
    log = get_page(f"/w/{place['workshop'].slug}/threads/moderation").get_text()
    for label in ("设为精华", "置顶", "锁定", "隐藏", "与主题无关", "李坊主"):
        assert label in log
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # Hidden: the author still sees it (with the reason); other members do not.
    other = make_user("other1")
    add_member(other, place["workshop"])
    login_as(other)
    assert client.get(url).status_code == 403
    assert "整本书阅读怎么开展" not in client.get(f"/w/{place['workshop'].slug}/threads").get_data(
        as_text=True
    )
    assert client.get(f"/w/{place['workshop'].slug}/threads/moderation").status_code == 403


def test_the_asker_accepts_an_answer_shown_first(client, place, login_as, post, get_page):
    thread = _start(place["workshop"], place["member"], kind="question", title="如何导入新课？")
    answer = service.post_reply(place["host"], thread, "可以从生活情境导入。")
    other = _start(place["workshop"], place["member"], title="别的帖子")
    stray = service.post_reply(place["host"], other, "别处的回复")
    login_as(place["member"])
    url = f"/t/{thread.id}"
    assert "待解答" in get_page(f"/w/{place['workshop'].slug}/threads?show=unanswered").get_text()
    assert post(f"/p/{answer.id}/accept", form_url=url).status_code == 302
    assert post(f"/p/{stray.id}/accept", form_url=url).status_code == 403  # not a question
    page = get_page(url)
    assert page.select_one(".accepted .post-body").get_text(strip=True) == "可以从生活情境导入。"
    listing = get_page(f"/w/{place['workshop'].slug}/threads?show=unanswered").get_text()
    assert "如何导入新课？" not in listing


@pytest.mark.parametrize(
    "settings", [{"RATELIMIT_ENABLED": True, "POST_LIMIT_PER_USER": "2 per minute"}], indirect=True
)
def test_posting_is_throttled_per_person(client, place, login_as, post):
    from peixun.extensions import limiter

    limiter.reset()
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])
    url = f"/t/{thread.id}"
    codes = [post(url, {"body": f"回复{i}", "submit": "发布"}, form_url=url).status_code for i in range(3)]
    assert codes == [302, 302, 429]


def test_hosts_open_numbered_periodic_topics(client, place, login_as, post, get_page):
    url = f"/w/{place['workshop'].slug}/threads/new"
    login_as(place["member"])
    assert "学习园地" not in get_page(url).get_text()
    refused = post(
        url, {"kind": "periodic", "title": "第一期", "body": "内容", "submit": "发布"}, form_url=url
    )
    assert refused.status_code == 400 and "请选择类型" in refused.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(place["host"])
    for title in ("如何设计单元作业", "课堂提问的艺术"):
        data = {"kind": "periodic", "title": title, "body": "本期话题", "submit": "发布"}
        assert post(url, data, form_url=url).status_code == 302
    numbers = db.session.execute(db.select(Thread.period_number).order_by(Thread.id)).scalars().all()
    assert numbers == [1, 2]
    assert "学习园地 第2期" in get_page(f"/w/{place['workshop'].slug}/threads").get_text()


def test_question_queue_flags_overdue_questions(client, place, login_as, get_page):
    from datetime import timedelta

    from peixun.core.db import utcnow
    from tests.factories import appoint

    expert = make_user("expert1", "赵专家")
    appoint(expert, place["city"], "expert")
    old = _start(place["workshop"], place["member"], kind="question", title="旧问题")
    old.created_at = utcnow() - timedelta(hours=30)
    fresh = _start(place["workshop"], place["member"], kind="question", title="新问题")
    answered = _start(place["workshop"], place["member"], kind="question", title="已答问题")
    service.post_reply(expert, answered, "专家的回答")
    service.post_reply(place["member"], fresh, "同事的回复不算专家解答")
    db.session.commit()
    login_as(expert)
    page = get_page(f"/w/{place['workshop'].slug}/threads/questions")
    rows = [tr.get_text(" ", strip=True) for tr in page.select("tbody tr")]
    assert len(rows) == 2 and "旧问题" in rows[0] and "超时" in rows[0] and "1 天 6 小时" in rows[0]
    assert "新问题" in rows[1] and "超时" not in rows[1]
    listing = get_page(f"/w/{place['workshop'].slug}/threads").get_text()
    assert "待专家解答 2 个问题" in listing and "1 个已超时" in listing
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(place["member"])
    assert client.get(f"/w/{place['workshop'].slug}/threads/questions").status_code == 403


def test_post_counts_come_from_the_posts(place):
    from peixun.spaces.service import ensure_personal_space
    from peixun.threads.queries import post_counts

    thread = _start(place["workshop"], place["member"])
    service.post_reply(place["host"], thread, "一")
    service.post_reply(place["member"], thread, "二")
    journal_space = ensure_personal_space(place["member"])
    _start(journal_space, place["member"], kind="journal", title="日志")
    counts = post_counts([place["workshop"].id, journal_space.id])
    assert counts[place["member"].id] == {"threads": 1, "replies": 1, "journals": 1}
    assert counts[place["host"].id] == {"threads": 0, "replies": 1, "journals": 0}


def test_a_host_moves_a_thread_between_her_spaces(client, place, login_as, post, get_page):
    other = make_workshop(place["county"], hosts=[place["host"]], name="初中数学工作坊")
    foreign = make_workshop(place["county"], hosts=[make_user("stranger1")], name="别人的工作坊")
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])
    url = f"/t/{thread.id}"
    options = [o.get_text() for o in get_page(url).select("#move-target option")]
    assert options == ["初中数学工作坊"]
    assert post(f"{url}/move", {"target": str(foreign.id)}, form_url=url).status_code == 403
    assert post(f"{url}/move", {"target": "abc"}, form_url=url).status_code == 404
    assert post(f"{url}/move", {"target": str(other.id)}, form_url=url).status_code == 302
    db.session.refresh(thread)
    assert thread.space_id == other.id
    for space in (place["workshop"], other):
        assert "移动" in get_page(f"/w/{space.slug}/threads/moderation").get_text()


def test_drafts_are_kept_on_the_server_until_posted(client, place, login_as, post, get_page):
    thread = _start(place["workshop"], place["member"])
    login_as(place["host"])
    url = f"/t/{thread.id}"
    saved = post(url, {"body": "写到一半的回复", "save_draft": "保存草稿"}, form_url=url)
    assert saved.status_code == 200 and "草稿已保存" in saved.get_data(as_text=True)
    assert "写到一半的回复" in get_page(url).find("textarea").get_text()
    # The optional script saves the same way while one writes.
    assert post(f"/drafts/reply/{thread.id}", {"body": "再多写一点"}, form_url=url).status_code == 204
    assert "再多写一点" in get_page(url).find("textarea").get_text()
    assert post(url, {"body": "再多写一点", "submit": "发布"}, form_url=url).status_code == 302
    assert "再多写一点" not in get_page(url).find("textarea").get_text()
    new = f"/w/{place['workshop'].slug}/threads/new"
    assert (
        post(
            f"/drafts/new/{place['workshop'].id}", {"title": "新话题", "body": "正文"}, form_url=new
        ).status_code
        == 204
    )
    page = get_page(new)
    assert page.find("input", {"name": "title"})["value"] == "新话题"
    outsider = make_workshop(name="别的工作坊")
    assert post(f"/drafts/new/{outsider.id}", {"body": "x"}, form_url=new).status_code == 403
    assert page.find("script", src=True) is not None


def test_a_thread_of_2000_replies_costs_the_same_queries_on_every_page(
    client, place, login_as, count_queries
):
    from peixun.core.markdown import render

    thread = _start(place["workshop"], place["member"])
    html = render("同意楼上的看法，**补充**一点。")
    authors = [place["host"].id, place["member"].id]
    db.session.execute(
        db.insert(Post),
        [
            {
                "thread_id": thread.id,
                "author_id": authors[i % 2],
                "is_opening": False,
                "body": "同意",
                "body_html": html,
                "renderer_version": 1,
                "is_held": False,
            }
            for i in range(2000)
        ],
    )
    db.session.commit()
    login_as(place["host"])
    costs = []
    for page in (1, 2, 50, 100):
        with count_queries() as counter:
            assert client.get(f"/t/{thread.id}?page={page}").status_code == 200
        costs.append(counter.count)
    assert len(set(costs)) == 1 and costs[0] <= 25, costs
    assert client.get(f"/t/{thread.id}?page=101").status_code == 404
