"""The network-safety screen on posting: held for review, released or rejected by a host."""

from __future__ import annotations

from peixun.core.screening import current_word_list
from peixun.extensions import db
from peixun.threads import service
from peixun.threads.models import ModerationAction, Post
from tests.conftest import csrf_token
from tests.factories import add_member, make_admin, make_user, make_workshop


def test_a_matching_post_is_held_until_a_host_releases_it(client, login_as, post, get_page):
    host, author, reader = make_user("host1", "李坊主"), make_user("author1", "王老师"), make_user("reader1")
    workshop = make_workshop(hosts=[host])
    add_member(author, workshop)
    add_member(reader, workshop)
    login_as(author)
    url = f"/w/{workshop.slug}/threads/new"
    data = {"kind": "topic", "title": "兼职机会", "body": "加我做兼职 刷-单 返利", "submit": "发布"}
    response = post(url, {**data, "body": "欢迎参加网 赌"}, form_url=url)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "已提交坊主审核" in page and "待审核" in page
    thread_id = int(response.location.rsplit("/", 1)[1])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(reader)
    assert client.get(f"/t/{thread_id}").status_code == 403
    assert "兼职机会" not in client.get(f"/w/{workshop.slug}/threads").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(host)
    queue = get_page(f"/w/{workshop.slug}/threads/review")
    assert queue.find("mark").get_text() == "网 赌"
    held = db.session.execute(db.select(Post).filter_by(is_held=True)).scalar_one()
    review = f"/w/{workshop.slug}/threads/review"
    assert post(f"/p/{held.id}/release", form_url=review).status_code == 302
    assert post(f"/p/{held.id}/release", form_url=review).status_code == 404
    assert db.session.execute(db.select(ModerationAction.action)).scalar_one() == "release"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(reader)
    assert client.get(f"/t/{thread_id}").status_code == 200


def test_a_held_reply_can_be_rejected(client, login_as, post):
    host, author = make_user("host1"), make_user("author1")
    workshop = make_workshop(hosts=[host])
    add_member(author, workshop)
    thread = service.start_thread(host, workshop, kind="topic", title="教研", body="讨论")
    reply = service.post_reply(author, thread, "代开发票请联系")
    assert reply.is_held and not thread.is_held
    login_as(host)
    assert "代开发票" in client.get(f"/t/{thread.id}").get_data(as_text=True)  # hosts see it
    assert post(f"/p/{reply.id}/reject", form_url=f"/t/{thread.id}").status_code == 302
    db.session.refresh(reply)
    assert reply.deleted_at is not None


def test_admins_edit_the_word_list(client, login_as, post, get_page):
    login_as(make_admin("boss"))
    assert "赌博" in get_page("/admin/screen").find("textarea").get_text()
    bad = post("/admin/screen", {"words": "教研\n好\n"}, form_url="/admin/screen")
    assert bad.status_code == 400 and "第2行" in bad.get_data(as_text=True)
    assert (
        post("/admin/screen", {"words": "# 本县词表\n违规词\n"}, form_url="/admin/screen").status_code == 302
    )
    assert current_word_list() == "# 本县词表\n违规词\n"
    host = make_user("host1")
    thread = service.start_thread(host, make_workshop(hosts=[host]), kind="topic", title="违 规 词", body="x")
    assert thread.is_held
