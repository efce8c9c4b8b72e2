"""Briefs in a real browser (issue 6): the host drafts a 工作坊简报 from the workshop's
activity, edits and previews it, saves and publishes it; a member is notified, reads it
and comments; the host sees who has read it and who has not, and downloads it as Word."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from docx import Document
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from peixun.accounts.models import User
from peixun.extensions import db
from peixun.spaces import queries as space_queries
from peixun.spaces.models import WORKSHOP
from peixun.threads import service as threads
from tests import factories
from tests.e2e.conftest import World, log_in, release_session

THREAD = "整本书阅读：《朝花夕拾》导读课怎么上？"
RESOURCE = "《朝花夕拾》阅读任务单"
TITLE = "共读《朝花夕拾》：第一阶段小结"
SENTENCE = "下周五前请各位老师提交**阅读任务单**的修改稿。"
SENTENCE_TEXT = "下周五前请各位老师提交阅读任务单的修改稿。"
COMMENT = "收到，我周四前把修改稿发到坊内资源库。"


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def activity_and_another_member(world: World) -> str:
    """A thread with two replies and a shared resource in the workshop, and a second
    member (her display name) who will not open the brief."""
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    assert workshop is not None
    other = factories.make_user("sunreader", "孙静", subject="语文", stage="初中")
    factories.add_member(other, workshop)
    member, host = user(world.member), user(world.host)
    thread = threads.start_thread(
        member, workshop, kind="topic", title=THREAD, body="请大家谈谈导读课的任务设计。"
    )
    threads.post_reply(host, thread, "建议先从《藤野先生》切入，再铺开全书。")
    threads.post_reply(other, thread, "我们班用了人物卡片，效果不错。")
    factories.make_resource(member, workshop, RESOURCE, subject="语文", stage="初中")
    release_session()
    return "孙静"


def test_host_drafts_publishes_member_reads_and_comments_host_sees_readers(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    unread_name = activity_and_another_member(world)

    # 1. The host drafts a 工作坊简报 from the workshop's activity.
    host = new_context().new_page()
    log_in(host, world.host)
    host.goto(f"/w/{world.workshop_slug}")
    host.get_by_role("navigation", name="空间栏目").get_by_role("link", name="简报").click()
    expect(host.get_by_role("heading", level=2)).to_contain_text("简报（0）")
    host.get_by_label("根据研修数据生成草稿").select_option(label="工作坊简报")
    host.get_by_role("button", name="生成草稿").click()
    expect(flash(host, "已根据本期研修数据生成草稿，请修改后发布。")).to_be_visible()
    host.wait_for_url("**/b/*/edit")

    body = host.get_by_label("正文")
    expect(body).to_have_value(re.compile("## 本期概况"))
    drafted = body.input_value()
    assert THREAD in drafted
    assert RESOURCE in drafted
    assert "发起研讨 1 个，回帖 2 条" in drafted
    expect(host.get_by_label("标题", exact=True)).to_have_value(re.compile(world.workshop))

    # 2. She edits the title and the body, previews, and saves the draft.
    host.get_by_label("标题", exact=True).fill(TITLE)
    body.fill(drafted.rstrip() + "\n\n" + SENTENCE + "\n")
    host.get_by_role("button", name="预览").click()
    preview = host.get_by_role("region", name="预览")
    expect(preview).to_contain_text(SENTENCE_TEXT)
    expect(preview.locator("strong", has_text="阅读任务单")).to_be_visible()
    expect(preview.get_by_role("heading", name="本期概况")).to_be_visible()
    expect(preview.get_by_role("link", name=THREAD)).to_be_visible()
    expect(host.get_by_label("标题", exact=True)).to_have_value(TITLE)
    host.get_by_role("button", name="保存草稿").click()

    expect(flash(host, "已保存。")).to_be_visible()
    expect(host.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(host.get_by_text("这是草稿，只有作者和坊主能看到。")).to_be_visible()
    expect(host.locator(".brief .tag").first).to_have_text("工作坊简报 · 草稿")
    brief_url = host.url.split("#")[0]

    # 3. She publishes it: it becomes 第1期.
    host.get_by_role("button", name="发布", exact=True).click()
    expect(flash(host, "已发布：工作坊简报 第1期。本空间成员会收到通知。")).to_be_visible()
    expect(host.locator(".brief .tag").first).to_have_text("工作坊简报 第1期")
    expect(host.get_by_text("这是草稿", exact=False)).to_have_count(0)
    expect(host.locator(".brief .post-body")).to_contain_text(SENTENCE_TEXT)

    # 4. A member is notified, opens the brief, reads the sentence and comments.
    member = new_context().new_page()
    log_in(member, world.member)
    notifications = member.get_by_role("navigation", name="主导航").get_by_role("link", name="通知")
    # Two replies to her thread, and the brief.
    expect(notifications.locator(".count")).to_have_text("3")
    notifications.click()
    notice = member.locator(".rows li", has_text="发布了简报")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(world.host_name)
    expect(notice).to_contain_text("工作坊简报 第1期")
    notice.get_by_role("link", name=TITLE).click()

    member.wait_for_url(brief_url)
    expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(member.locator(".brief .tag").first).to_have_text("工作坊简报 第1期")
    expect(member.locator(".brief .post-body")).to_contain_text(SENTENCE_TEXT)
    expect(member.get_by_role("button", name="发布", exact=True)).to_have_count(0)
    comments = member.get_by_role("region", name="评论")
    expect(comments.get_by_role("heading", level=2)).to_have_text("评论（0）")
    comments.get_by_label("内容").fill(COMMENT)
    comments.get_by_role("button", name="发表评论").click()
    member.wait_for_url(re.compile(r"/b/\d+#p\d+$"))
    comments = member.get_by_role("region", name="评论")
    expect(comments.get_by_role("heading", level=2)).to_have_text("评论（1）")
    expect(comments).to_contain_text(COMMENT)
    expect(comments).to_contain_text(world.member_name)

    # 5. The host sees who has read it: the member has, the other member has not.
    host.goto(brief_url)
    expect(host.get_by_role("region", name="评论")).to_contain_text(COMMENT)
    readers_link = host.get_by_role("link", name=re.compile(r"^已读 \d+ 人$"))
    expect(readers_link).to_have_text("已读 2 人")  # the host herself and the member
    readers_link.click()
    host.wait_for_url("**/readers")
    expect(host.get_by_text("已读 2 人，未读 1 人")).to_be_visible()
    read = host.locator(".columns > section", has=host.get_by_role("heading", name=re.compile("^已读")))
    unread = host.locator(".columns > section", has=host.get_by_role("heading", name=re.compile("^未读")))
    expect(read.get_by_role("heading")).to_have_text("已读（2）")
    expect(unread.get_by_role("heading")).to_have_text("未读（1）")
    expect(read.get_by_role("link", name=world.member_name)).to_be_visible()
    expect(read.get_by_role("link", name=world.host_name)).to_be_visible()
    expect(unread.get_by_role("link", name=unread_name)).to_be_visible()
    expect(unread.get_by_role("link", name=world.member_name)).to_have_count(0)
    expect(host.get_by_role("link", name=world.teacher_name)).to_have_count(0)

    # 6. The brief downloads as a Word file.
    host.get_by_role("link", name=f"返回「{TITLE}」").click()
    host.wait_for_url(brief_url)
    with host.expect_download() as info:
        host.get_by_role("link", name="下载 Word").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".docx")
    assert "工作坊简报 第1期" in download.suggested_filename
    saved = Path(download.path())
    assert saved.read_bytes()[:2] == b"PK"
    text = "\n".join(paragraph.text for paragraph in Document(str(saved)).paragraphs)
    assert TITLE in text
    assert SENTENCE_TEXT in text
