"""A discussion in a real browser: a member starts a thread (with a preview), the host
replies quoting it and mentioning her, and she sees the notification."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import World, log_in


def test_start_reply_with_quote_and_mention_then_notification(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    member = new_context().new_page()
    log_in(member, world.member)
    member.goto(f"/w/{world.workshop_slug}")
    member.get_by_role("navigation", name="空间栏目").get_by_role("link", name="研讨").click()
    member.get_by_role("link", name="发起研讨").click()
    member.get_by_label("标题").fill("整本书阅读的导读课怎么上？")
    member.get_by_label("内容").fill("请大家谈谈**阅读任务单**的设计。")
    member.get_by_role("button", name="预览").click()
    expect(member.locator(".preview strong")).to_have_text("阅读任务单")
    member.get_by_role("button", name="发布").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("整本书阅读的导读课怎么上？")
    thread_url = member.url

    host = new_context(java_script_enabled=False).new_page()
    log_in(host, world.host)
    host.goto(f"/w/{world.workshop_slug}/threads")
    host.get_by_role("link", name="整本书阅读的导读课怎么上？").click()
    host.get_by_role("link", name="引用").first.click()
    box = host.get_by_label("内容")
    expect(box).to_have_value(f"> @{world.member}：\n> 请大家谈谈**阅读任务单**的设计。\n\n")
    box.fill(box.input_value() + f"@{world.member} 建议分基础、提升、拓展三层。")
    host.get_by_role("button", name="发布").click()
    expect(host.locator(".replies blockquote")).to_contain_text("阅读任务单")

    member.goto("/")
    notifications = member.get_by_role("navigation", name="主导航").get_by_role("link", name="通知")
    expect(notifications).to_contain_text("1")
    notifications.click()
    expect(member.locator(".rows li")).to_contain_text(world.host_name)
    member.locator(".rows li a", has_text="整本书阅读的导读课怎么上？").click()
    expect(member.locator(".replies a.mention").last).to_have_attribute("href", f"/u/{world.member}")
    assert member.url.split("#")[0].split("?")[0] == thread_url.split("?")[0]
    expect(member.get_by_role("navigation", name="主导航").locator(".count")).to_have_count(0)
