"""Notifications (replies, mentions, accepted answers, moderation), watch and mute,
quoting, @mention links and unread markers."""

from __future__ import annotations

import pytest

from peixun.extensions import db
from peixun.threads import service
from peixun.threads.models import Notification
from tests.conftest import csrf_token
from tests.factories import add_member, make_user, make_workshop


@pytest.fixture
def ws(app):
    host, author, peer = (
        make_user("host1", "李坊主"),
        make_user("author1", "王老师"),
        make_user("peer1", "赵老师"),
    )
    workshop = make_workshop(hosts=[host])
    for user in (author, peer):
        add_member(user, workshop)
    return {"host": host, "author": author, "peer": peer, "workshop": workshop}


def _kinds(user) -> list[str]:
    return list(
        db.session.execute(
            db.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )


def test_replies_mentions_and_accepted_answers_notify(ws):
    thread = service.start_thread(ws["author"], ws["workshop"], kind="question", title="问", body="请教")
    reply = service.post_reply(ws["peer"], thread, "我来回答，也请 @host1 看看，@nobody 不存在")
    assert _kinds(ws["author"]) == ["reply"]
    assert _kinds(ws["host"]) == ["mention"]
    assert '<a href="/u/host1" class="mention">@host1</a>' in reply.body_html
    assert "@nobody" in reply.body_html and "/u/nobody" not in reply.body_html
    service.accept_answer(ws["author"], thread, reply)
    assert _kinds(ws["peer"]) == ["accepted"]
    service.moderate(ws["host"], thread, "feature")
    assert _kinds(ws["author"]) == ["reply", "moderated"]


def test_mentions_inside_code_are_not_links(ws):
    thread = service.start_thread(
        ws["author"], ws["workshop"], kind="topic", title="代码", body="`@host1` 与 @host1"
    )
    html = db.session.execute(db.select(Notification)).scalars().all()
    assert len(html) == 1  # one mention notification, not two
    opening = thread_opening(thread)
    assert "<code>@host1</code>" in opening.body_html and 'class="mention">@host1</a>' in opening.body_html


def thread_opening(thread):
    from peixun.threads.models import Post

    return db.session.execute(db.select(Post).filter_by(thread_id=thread.id, is_opening=True)).scalar_one()


def test_mentions_of_people_who_cannot_read_notify_no_one(ws):
    outsider = make_user("outsider1")
    thread = service.start_thread(
        ws["author"], ws["workshop"], kind="topic", title="内部", body="@outsider1 你好"
    )
    assert _kinds(outsider) == []
    assert thread.id


def test_watch_and_mute(ws, client, login_as, post):
    thread = service.start_thread(ws["author"], ws["workshop"], kind="topic", title="话题", body="内容")
    login_as(ws["author"])
    url = f"/t/{thread.id}"
    assert post(f"{url}/mute", form_url=url).status_code == 302
    service.post_reply(ws["peer"], thread, "回复一")
    assert _kinds(ws["author"]) == []  # muted: not even as the author
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(ws["host"])
    space_threads = f"/w/{ws['workshop'].slug}/threads"
    assert post(f"{space_threads}/watch", form_url=space_threads).status_code == 302
    service.start_thread(ws["peer"], ws["workshop"], kind="topic", title="新话题", body="内容")
    service.post_reply(ws["peer"], thread, "回复二")
    assert _kinds(ws["host"]) == ["thread", "reply"]


def test_header_count_page_and_mark_read(ws, client, login_as, post, get_page):
    thread = service.start_thread(ws["author"], ws["workshop"], kind="topic", title="读书会", body="内容")
    service.post_reply(ws["peer"], thread, "第一条")
    service.post_reply(ws["host"], thread, "第二条")
    login_as(ws["author"])
    assert get_page("/").select_one(".count").get_text() == "2"
    page = get_page("/notifications")
    assert "赵老师" in page.get_text() and "读书会" in page.get_text()
    first = db.session.execute(db.select(Notification).order_by(Notification.id)).scalars().first()
    response = client.get(f"/n/{first.id}")
    assert response.status_code == 302 and response.location.startswith("/p/")
    assert get_page("/").select_one(".count").get_text() == "1"
    assert post("/notifications/read", form_url="/notifications").status_code == 302
    assert get_page("/").select_one(".count") is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(ws["peer"])
    assert client.get(f"/n/{first.id}").status_code == 403  # not hers


def test_quote_prefills_the_reply_box(ws, client, login_as, get_page):
    thread = service.start_thread(
        ws["author"], ws["workshop"], kind="topic", title="话题", body="第一行\n第二行"
    )
    login_as(ws["peer"])
    opening = thread_opening(thread)
    box = get_page(f"/t/{thread.id}?quote={opening.id}").find("textarea").get_text().strip()
    assert box.startswith("> @author1：") and "> 第一行" in box and "> 第二行" in box
    assert client.get(f"/t/{thread.id}?quote=abc").status_code == 404
    other = service.start_thread(ws["peer"], ws["workshop"], kind="topic", title="别处", body="x")
    assert client.get(f"/t/{thread.id}?quote={thread_opening(other).id}").status_code == 404


def test_unread_markers(ws, client, login_as, get_page):
    thread = service.start_thread(ws["author"], ws["workshop"], kind="topic", title="话题", body="内容")
    login_as(ws["peer"])
    url = f"/w/{ws['workshop'].slug}/threads"
    assert get_page(url).select_one(".tag.new") is not None
    client.get(f"/t/{thread.id}")
    assert get_page(url).select_one(".tag.new") is None
    service.post_reply(ws["author"], thread, "新回复")
    assert get_page(url).select_one(".tag.new") is not None
