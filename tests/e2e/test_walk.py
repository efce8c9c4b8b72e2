"""Walks through the site in a real browser: registering, joining a workshop
without JavaScript, the four levels by links, and phone and desktop layouts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from peixun.accounts.service import find_user
from peixun.spaces import service as spaces
from peixun.spaces.models import WORKSHOP
from peixun.spaces.queries import space_by_slug
from tests.e2e.conftest import DESKTOP, PHONE_DEVICE, World, log_in, release_session


def h1(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def section(page: Page, heading: str) -> Locator:
    """The <section> whose heading reads exactly `heading`."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="主导航")


def test_teacher_registers_sees_her_four_levels_and_edits_her_profile(world: World, page: Page) -> None:
    page.goto("/")
    main_nav(page).get_by_role("link", name="注册", exact=True).click()
    expect(h1(page)).to_have_text("注册账号")
    page.get_by_label("用户名").fill("liuxia")
    page.get_by_label("姓名").fill("刘霞")
    page.get_by_label("密码", exact=True).fill("jiaoyan2026")
    page.get_by_label("再次输入密码").fill("jiaoyan2026")
    page.get_by_label("任职学校").select_option(label=world.school)
    page.get_by_role("button", name="注册", exact=True).click()

    expect(page).to_have_url("/")
    expect(flash(page, "注册成功")).to_be_visible()
    expect(h1(page)).to_have_text("刘霞，您好")
    expect(section(page, "我的空间").get_by_role("link", name="刘霞的个人空间")).to_be_visible()
    expect(section(page, "我的工作坊")).to_contain_text("还没有加入工作坊。")
    expect(section(page, "我的学校").get_by_role("link", name=world.school)).to_be_visible()
    regions = section(page, "我的区域").get_by_role("link")
    expect(regions).to_have_text([world.prefecture, world.region])

    section(page, "我的空间").get_by_role("link", name="刘霞的个人空间").click()
    expect(page).to_have_url("/u/liuxia")
    expect(h1(page)).to_have_text("刘霞")
    page.get_by_role("main").get_by_role("link", name="编辑个人资料").click()
    expect(h1(page)).to_have_text("个人资料")
    expect(page.get_by_label("任职学校")).to_have_value(str(_option_value(page, world.school)))
    page.get_by_label("任教学科").select_option("语文")
    page.get_by_label("任教学段").select_option("初中")
    page.get_by_label("个人简介").fill("初中语文教师，关注整本书阅读。\n正在研修“大单元教学”。")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url("/u/liuxia")
    expect(flash(page, "个人资料已保存。")).to_be_visible()
    expect(page.locator(".space-head")).to_contain_text("liuxia · 初中语文")
    bio = section(page, "个人简介")
    expect(bio).to_contain_text("初中语文教师，关注整本书阅读。")
    expect(bio).to_contain_text("正在研修“大单元教学”。")


def _option_value(page: Page, label: str) -> str:
    return page.get_by_label("任职学校").locator("option", has_text=label).get_attribute("value") or ""


def test_join_request_is_approved_without_javascript(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    teacher = new_context(java_script_enabled=False).new_page()
    log_in(teacher, world.teacher)
    teacher.goto(f"/w/{world.workshop_slug}")
    expect(h1(teacher)).to_have_text(world.workshop)
    teacher.get_by_role("button", name="申请加入").click()
    expect(flash(teacher, "已提交加入申请，等待坊主审核。")).to_be_visible()
    expect(teacher.get_by_role("button", name="申请加入")).to_have_count(0)
    teacher.goto("/")
    expect(section(teacher, "我的工作坊")).to_contain_text(f"等待审核：{world.workshop}")

    host = new_context(java_script_enabled=False).new_page()
    log_in(host, world.host)
    host.goto(f"/w/{world.workshop_slug}")
    host.get_by_role("link", name="管理成员").click()
    expect(h1(host)).to_have_text(f"{world.workshop} · 管理成员")
    expect(host.get_by_role("heading", name="加入申请（1）")).to_be_visible()
    request = host.locator("li").filter(has=host.get_by_role("link", name=world.teacher_name))
    request.get_by_role("button", name="批准").click()
    expect(flash(host, "已批准加入。")).to_be_visible()
    expect(host.get_by_role("heading", name="加入申请（0）")).to_be_visible()

    teacher.goto("/")
    expect(section(teacher, "我的工作坊").get_by_role("link", name=world.workshop)).to_be_visible()
    expect(section(teacher, "我的工作坊")).not_to_contain_text("等待审核")
    main_nav(teacher).get_by_role("button", name="退出登录").click()
    expect(flash(teacher, "您已退出登录")).to_be_visible()
    expect(main_nav(teacher).get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(main_nav(teacher).get_by_role("button", name="退出登录")).to_have_count(0)
    expect(h1(teacher)).to_have_text("研修社区")


def test_walk_the_four_levels_by_links(world: World, page: Page) -> None:
    log_in(page, world.member)
    expect(h1(page)).to_have_text(f"{world.member_name}，您好")

    section(page, "我的区域").get_by_role("link", name=world.region, exact=True).click()
    expect(page).to_have_url(f"/r/{world.region_slug}")
    expect(h1(page)).to_have_text(world.region)

    schools = section(page, "学校社区（2）")
    expect(schools.get_by_role("link", name=world.school)).to_be_visible()
    schools.get_by_role("link", name=world.other_school).click()
    expect(h1(page)).to_have_text(world.other_school)
    expect(page.get_by_role("navigation", name="位置")).to_contain_text(
        f"{world.prefecture} › {world.region}"
    )

    page.go_back()
    expect(h1(page)).to_have_text(world.region)
    section(page, "工作坊（1）").get_by_role("link", name=world.workshop).click()
    expect(page).to_have_url(f"/w/{world.workshop_slug}")
    expect(h1(page)).to_have_text(world.workshop)

    page.get_by_role("navigation", name="空间栏目").get_by_role("link", name="成员").click()
    expect(h1(page)).to_have_text(f"{world.workshop} · 成员")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text=world.host_name)).to_contain_text("坊主")
    table.get_by_role("link", name=world.host_name).click()
    expect(page).to_have_url(f"/u/{world.host}")
    expect(h1(page)).to_have_text(world.host_name)


# Under mobile emulation Chromium widens window.innerWidth along with overflowing
# content, so `scrollWidth <= innerWidth` alone passes a page that overflows; the
# root's clientWidth stays at the device width.
MEASURE_WIDTH = """() => {
  const root = document.scrollingElement;
  const limit = root.clientWidth;
  const wide = [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
  return {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, clientWidth: limit, wide};
}"""


def assert_no_horizontal_overflow(page: Page, where: str) -> None:
    found = page.evaluate(MEASURE_WIDTH)
    assert found["scrollWidth"] <= found["innerWidth"], f"{where} overflows: {found}"
    assert found["scrollWidth"] <= found["clientWidth"], f"{where} overflows: {found}"


@pytest.mark.parametrize(
    ("size", "options"),
    [
        ("phone", PHONE_DEVICE),
        ("desktop", {"viewport": DESKTOP}),
    ],
)
def test_layout_fits_phone_and_desktop(
    world: World,
    new_context: Callable[..., BrowserContext],
    tmp_path: Path,
    size: str,
    options: dict[str, object],
) -> None:
    page = new_context(java_script_enabled=True, **options).new_page()
    log_in(page, world.member)
    copies = os.environ.get("PEIXUN_E2E_SHOTS", "").strip()
    for name, url, heading in [
        ("home", "/", f"{world.member_name}，您好"),
        ("workshop", f"/w/{world.workshop_slug}", world.workshop),
    ]:
        page.goto(url)
        expect(h1(page)).to_have_text(heading)
        shot = tmp_path / f"{name}-{size}.png"
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 0
        if copies:
            Path(copies).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, Path(copies) / shot.name)
        assert_no_horizontal_overflow(page, f"{url} at {size} width")


def test_a_long_link_in_a_description_wraps_at_phone_width(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    host = find_user(world.host)
    workshop = space_by_slug(WORKSHOP, world.workshop_slug)
    assert host is not None and workshop is not None
    link = "https://www.example.edu.cn/peixun/2026/chuzhong-yuwen/zhengbenshu-yuedu/dadanyuan-sheji.pdf"
    spaces.edit_info(host, workshop, description=f"方案下载：{link} 请在研讨前阅读。", is_open=True)
    release_session()
    page = new_context(**PHONE_DEVICE).new_page()
    page.goto(f"/w/{world.workshop_slug}")
    expect(section(page, "简介")).to_contain_text(link)
    assert_no_horizontal_overflow(page, "a workshop with a long link at phone width")
