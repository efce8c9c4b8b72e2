"""Search in a real browser (issue 5): a word inside an uploaded Word file is found by
another member through the header search box moments after the upload; a space's own
search box narrows the results to that space and the link under it widens them again;
a query of stray operators shows a page that offers other searches instead of an error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from peixun.demo.files import make_docx
from peixun.search import service as search
from peixun.spaces import queries as space_queries
from peixun.spaces.models import REGION, WORKSHOP
from peixun.threads import service as threads
from tests import factories
from tests.e2e.conftest import World, log_in, release_session

TITLE = "《背影》教学设计"
WORD = "橘子月台"  # only ever in the file's 教学反思 section
SHARED = "跨学科主题学习"  # in a county thread and in a workshop thread
COUNTY_THREAD = f"全市{SHARED}推进会的安排"
WORKSHOP_THREAD = f"{SHARED}：语文课例研讨"
JUNK = '"未闭合 -- ** OR'


@pytest.fixture
def settings() -> dict[str, object]:
    """The live server indexes what a request changed as soon as the request ends, as in
    production (TestConfig leaves the search outbox alone)."""
    return {"SEARCH_APPLY_AFTER_REQUEST": True}


def header_search(page: Page, query: str) -> None:
    """Type into the header's box and press Enter, as a teacher would."""
    box = page.get_by_role("search").get_by_label("搜索全站")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/search?**")


def results(page: Page) -> Locator:
    return page.get_by_role("region", name="搜索结果")


def hits(page: Page) -> Locator:
    return results(page).locator("ol.hits > li")


def second_member(world: World) -> str:
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    assert workshop is not None
    factories.add_member(factories.make_user("sunreader", "孙静", subject="语文", stage="初中"), workshop)
    release_session()
    return "sunreader"


def test_a_word_inside_an_uploaded_file_is_found_by_another_member(
    world: World, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    reader = second_member(world)
    upload = tmp_path / f"{TITLE}.docx"
    upload.write_bytes(
        make_docx(
            TITLE,
            [
                ("教学目标", ["体会父爱的深沉与含蓄，品味朴实语言中的真挚情感。"]),
                ("教学反思", [f"学生对父亲攀上{WORD}的那段描写体会最深，朗读时不少人红了眼眶。"]),
            ],
        )
    )

    # 1. The member shares the file in her workshop's library.
    teacher = new_context().new_page()
    log_in(teacher, world.member)
    teacher.goto(f"/w/{world.workshop_slug}/resources")
    teacher.get_by_role("link", name="分享资源").click()
    teacher.get_by_label("文件", exact=True).set_input_files(upload)
    teacher.get_by_label("标题", exact=True).fill(TITLE)
    teacher.get_by_label("资源类型").select_option("教案")
    teacher.get_by_label("学科").select_option("语文")
    teacher.get_by_label("学段").select_option("初中")
    teacher.get_by_role("button", name="分享", exact=True).click()
    expect(teacher.get_by_role("status").filter(has_text="资源已分享。")).to_be_visible()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(TITLE)
    resource_url = teacher.url.split("#")[0]
    assert "/res/" in resource_url

    # 2. Another member searches for the word from the header of any page.
    page = new_context().new_page()
    log_in(page, reader)
    header_search(page, WORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("搜索")
    expect(page.get_by_label("搜索词")).to_have_value(WORD)
    expect(results(page).get_by_role("heading", level=2)).to_have_text("1 条结果")
    hit = hits(page)
    expect(hit).to_have_count(1)
    expect(hit.locator(".tag")).to_contain_text("资源")
    expect(hit.locator(".hit-title a")).to_have_text(TITLE)
    snippet = hit.locator(".snippet")
    expect(snippet).to_contain_text(WORD)
    marks = snippet.locator("mark")
    expect(marks.first).to_be_visible()
    # The analyzer may mark the word as one piece or as its parts, side by side.
    assert "".join(marks.all_text_contents()) == WORD
    expect(hit).to_contain_text(world.workshop)
    expect(hit).to_contain_text(world.member_name)

    # 3. The hit leads to the resource.
    hit.get_by_role("link", name=TITLE).click()
    page.wait_for_url(resource_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("region", name="预览")).to_contain_text(WORD)


def county_and_workshop_threads(world: World) -> None:
    """A thread in the county and one in the workshop below it, both with SHARED,
    indexed as the request that posted them would have done."""
    county = space_queries.space_by_slug(REGION, world.region_slug)
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    host = factories.make_user("xianjiaoyan", "周教研")
    assert county is not None and workshop is not None
    threads.start_thread(host, county, kind="topic", title=COUNTY_THREAD, body="请各校推荐一节课例。")
    poster = factories.make_user("hexuan", "何萱")
    factories.add_member(poster, workshop)
    threads.start_thread(poster, workshop, kind="topic", title=WORKSHOP_THREAD, body="本周在坊内交流设计。")
    search.sync()
    release_session()


def test_the_space_search_box_narrows_and_the_link_widens(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    county_and_workshop_threads(world)
    page = new_context().new_page()
    log_in(page, world.member)

    # Everywhere: both threads.
    header_search(page, SHARED)
    expect(hits(page)).to_have_count(2)
    expect(results(page).get_by_role("link", name=COUNTY_THREAD)).to_be_visible()
    expect(results(page).get_by_role("link", name=WORKSHOP_THREAD)).to_be_visible()

    # Within the workshop: only its own thread.
    page.goto(f"/w/{world.workshop_slug}")
    box = page.get_by_label(f"在{world.workshop}中搜索")
    box.fill(SHARED)
    box.press("Enter")
    page.wait_for_url("**/search?**")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"搜索 · {world.workshop}")
    expect(page.get_by_text(f"只搜索 {world.workshop} 及下级空间。")).to_be_visible()
    expect(hits(page)).to_have_count(1)
    expect(results(page).get_by_role("link", name=WORKSHOP_THREAD)).to_be_visible()
    expect(results(page).get_by_role("link", name=COUNTY_THREAD)).to_have_count(0)

    # The link under the box searches every space again, with the same words.
    page.get_by_role("link", name="在全部空间中搜索").click()
    page.wait_for_url(lambda url: "in=" not in url)
    expect(page.get_by_role("heading", level=1)).to_have_text("搜索")
    expect(page.get_by_label("搜索词")).to_have_value(SHARED)
    expect(hits(page)).to_have_count(2)
    expect(results(page).get_by_role("link", name=COUNTY_THREAD)).to_be_visible()


def test_a_junk_query_shows_a_page_that_offers_other_searches(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    county_and_workshop_threads(world)
    page = new_context().new_page()
    log_in(page, world.member)
    header_search(page, SHARED)  # found something: it becomes a popular search
    expect(hits(page)).to_have_count(2)

    page.goto(f"/w/{world.workshop_slug}")
    box = page.get_by_label(f"在{world.workshop}中搜索")
    box.fill(JUNK)
    with page.expect_navigation() as navigation:
        box.press("Enter")
    response = navigation.value
    assert response is not None and response.status == 200

    expect(page.get_by_label("搜索词")).to_have_value(JUNK)
    expect(page.get_by_text("已忽略：")).to_contain_text("OR")
    expect(results(page).get_by_role("heading", level=2)).to_have_text("0 条结果")
    expect(hits(page)).to_have_count(0)
    empty = results(page).locator("p.empty")
    expect(empty).to_contain_text(f"没有找到与“{JUNK}”相关的内容。")
    expect(empty.get_by_role("link", name="在全部空间中搜索")).to_be_visible()
    offered = results(page).locator("p", has_text="大家在搜：")
    popular = offered.get_by_role("link", name=SHARED)
    expect(popular).to_be_visible()

    popular.click()
    page.wait_for_url("**/search?**")
    expect(page.get_by_label("搜索词")).to_have_value(SHARED)
    expect(hits(page)).to_have_count(2)
