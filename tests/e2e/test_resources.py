"""Resources in a real browser (issue 4): a member shares a Word file in her personal
space and recommends it to her workshop, the host selects it into the workshop library,
and another member finds it there (through the filter), sees where it came from and
downloads the very same file.  A refused upload says why next to the file field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect

from peixun.demo.files import make_docx
from peixun.spaces import queries as space_queries
from peixun.spaces.models import WORKSHOP
from tests import factories
from tests.e2e.conftest import World, log_in, release_session

TITLE = "《背影》教学设计"
FILENAME = f"{TITLE}.docx"
PREVIEW = "体会父爱"


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def second_member_and_other_resource(world: World) -> str:
    """Another member of the workshop (her username), and a 数学 resource already in its
    library that the 学科 filter must hide."""
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    assert workshop is not None
    reader = factories.make_user("sunreader", "孙静", subject="语文", stage="初中")
    factories.add_member(reader, workshop)
    colleague = factories.make_user("qianshuxue", "钱数学", subject="数学", stage="初中")
    factories.add_member(colleague, workshop)
    factories.make_resource(colleague, workshop, "一次函数的图像", subject="数学", stage="初中")
    release_session()
    return "sunreader"


def test_share_recommend_select_then_another_member_downloads(
    world: World, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    reader = second_member_and_other_resource(world)
    document = make_docx(
        TITLE,
        [
            ("教学目标", ["体会父爱的深沉与含蓄，品味朴实语言中的真挚情感。"]),
            ("教学重点", ["抓住望父买橘的背影描写，体会细节中的情感。"]),
        ],
    )
    upload = tmp_path / FILENAME
    upload.write_bytes(document)

    # 1. The member shares the file in her personal space.
    teacher = new_context().new_page()
    log_in(teacher, world.member)
    teacher.goto(f"/u/{world.member}/resources")
    expect(teacher.get_by_role("heading", level=2)).to_contain_text("我的资源")
    teacher.get_by_role("link", name="分享资源").click()
    teacher.get_by_label("文件", exact=True).set_input_files(upload)
    teacher.get_by_label("标题", exact=True).fill(TITLE)
    teacher.get_by_label("资源类型").select_option("教案")
    teacher.get_by_label("学科").select_option("语文")
    teacher.get_by_label("学段").select_option("初中")
    teacher.get_by_label("标签").fill("朱自清 散文")
    teacher.get_by_role("button", name="分享", exact=True).click()

    expect(flash(teacher, "资源已分享。")).to_be_visible()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert "/res/" in teacher.url
    preview = teacher.get_by_role("region", name="预览")
    expect(preview).to_contain_text(PREVIEW)
    expect(teacher.locator(".resource-page")).to_contain_text(FILENAME)
    resource_url = teacher.url.split("#")[0]

    # 2. She recommends it to the workshop.
    flow = teacher.get_by_role("region", name="所在资源库")
    flow.get_by_label("推荐到").select_option(label=f"工作坊 · {world.workshop}")
    flow.get_by_role("button", name="推荐", exact=True).click()
    expect(flash(teacher, f"已推荐，等待遴选：{world.workshop}。")).to_be_visible()
    flow = teacher.get_by_role("region", name="所在资源库")
    expect(flow.locator("li", has_text=world.workshop)).to_contain_text("待遴选")

    # 3. The host selects it from the review queue.
    host = new_context().new_page()
    log_in(host, world.host)
    host.goto(f"/w/{world.workshop_slug}/resources")
    host.get_by_role("link", name="待遴选 1").click()
    expect(host.get_by_role("heading", level=2)).to_contain_text("待遴选（1）")
    entry = host.locator("li.resource", has_text=TITLE)
    expect(entry).to_contain_text(world.member_name)
    entry.get_by_role("button", name="遴选入库").click()
    expect(flash(host, "已入选本空间资源库。")).to_be_visible()
    expect(host.get_by_text("没有待遴选的资源。")).to_be_visible()

    # 4. Another member finds it in the workshop library and downloads it.
    page = new_context().new_page()
    log_in(page, reader)
    page.goto(f"/w/{world.workshop_slug}/resources")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.get_by_role("link", name="一次函数的图像")).to_be_visible()
    page.get_by_label("学科").select_option("语文")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**subject=**")
    expect(page.get_by_label("学科")).to_have_value("语文")
    expect(page.get_by_role("link", name="一次函数的图像")).to_have_count(0)
    row = page.locator("li.resource", has_text=TITLE)
    expect(row).to_contain_text(f"来自 {world.member_name}的个人空间 · {world.member_name}")
    row.get_by_role("link", name=TITLE).click()

    page.wait_for_url(resource_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    about = page.locator(".resource-page")
    expect(about).to_contain_text(f"来自 {world.member_name}的个人空间 · {world.member_name}")
    expect(about.get_by_role("link", name=f"{world.member_name}的个人空间")).to_have_attribute(
        "href", f"/u/{world.member}"
    )
    expect(about.get_by_role("link", name=world.member_name, exact=True)).to_have_attribute(
        "href", f"/u/{world.member}"
    )
    expect(about).to_contain_text("下载 0")
    expect(page.get_by_role("region", name="预览")).to_contain_text(PREVIEW)

    with page.expect_download() as info:
        about.get_by_role("link", name="下载", exact=True).click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == FILENAME
    assert Path(download.path()).read_bytes() == document

    page.reload()
    expect(page.locator(".resource-page")).to_contain_text("下载 1")


def test_refused_upload_explains_next_to_the_file_field(
    world: World, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    evil = tmp_path / "evil.pdf"
    evil.write_text("<!doctype html><html><body><script>alert(1)</script>课件</body></html>", "utf-8")

    page = new_context().new_page()
    log_in(page, world.member)
    page.goto(f"/u/{world.member}/resources")
    page.get_by_role("link", name="分享资源").click()
    share_url = page.url
    page.get_by_label("文件", exact=True).set_input_files(evil)
    page.get_by_label("标题", exact=True).fill("第一单元课件")
    page.get_by_label("资源类型").select_option("课件")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="分享", exact=True).click()
    response = navigation.value
    assert response is not None and response.status == 400

    assert page.url == share_url
    file_field = page.get_by_label("文件", exact=True)
    expect(file_field).to_have_attribute("aria-invalid", "true")
    error = page.locator(".field.has-error", has=file_field).locator("p.error")
    expect(error).to_contain_text("文件内容与扩展名不符")
    expect(error).to_contain_text(".pdf")
    expect(page.get_by_label("标题", exact=True)).to_have_value("第一单元课件")
    expect(page.get_by_label("资源类型")).to_have_value("课件")
    expect(page.get_by_text("已上传：")).to_have_count(0)
