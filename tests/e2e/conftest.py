"""Browser tests: a live server in a thread and Playwright driving Debian's Chromium.

Every test in this folder is marked `e2e` (select or skip them with `-m e2e` /
`-m "not e2e"`).  Without /usr/bin/chromium they are skipped, except under CI
(the `CI` environment variable), where a missing browser is a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from peixun.extensions import db
from peixun.spaces import service as spaces
from tests import factories
from tests.node_tools import unavailable

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
# STACK_NOTES: the flags that work on these machines; never `playwright install`.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PHONE_DEVICE = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item, not only this folder's.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole run; each test gets its own contexts."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# The live application ------------------------------------------------------


@pytest.fixture
def live_app(app: Flask) -> Flask:
    """The app on a fresh database: tests/conftest.py's `app`.

    Its app context stays open for the test, so factories work in the test body;
    the server threads each run requests in their own app context and session.
    """
    return app


def release_session() -> None:
    """Commit what the test built and drop its session, so the server threads read
    committed rows and the test holds no transaction (or SQLite lock) while they run.
    ORM objects are detached afterwards: keep plain values, not models."""
    db.session.commit()
    db.session.remove()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    release_session()
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# Browser contexts --------------------------------------------------------------


@dataclass
class Problems:
    """What a page did wrong besides failing an assertion: server errors and
    console errors (a CSP violation, a missing stylesheet)."""

    items: list[str]

    def check(self) -> None:
        assert not self.items, "browser saw problems:\n" + "\n".join(self.items)


@pytest.fixture
def new_context(browser: Browser, live_server: str) -> Iterator[Callable[..., BrowserContext]]:
    """`new_context(java_script_enabled=False, viewport=PHONE, …)` opens a fresh
    context (own cookies) on the live server; each is closed and checked at the end."""
    contexts: list[BrowserContext] = []
    problems = Problems([])

    def watch(page: Page) -> None:
        def on_response(response: Any) -> None:
            if response.status >= 500 or (response.status >= 400 and "/static/" in response.url):
                problems.items.append(f"{response.status} {response.request.method} {response.url}")

        def on_console(message: Any) -> None:
            # Failed loads are judged by on_response: a refused action (4xx) logs this too.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.items.append(f"console error on {page.url}: {message.text}")

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.items.append(f"page error on {page.url}: {error}"))

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    problems.check()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh context with JavaScript enabled."""
    return new_context().new_page()


# Data and helpers shared by the walks -----------------------------------------


@dataclass(frozen=True)
class World:
    """Plain values (no ORM objects) of a small four-level tree built for a test."""

    prefecture: str
    region: str
    region_slug: str
    school: str
    school_slug: str
    other_school: str
    workshop: str
    workshop_slug: str
    host: str
    host_name: str
    member: str
    member_name: str
    teacher: str
    teacher_name: str
    password: str = factories.PASSWORD


@pytest.fixture
def world(live_app: Flask) -> World:
    """黔西南州 › 兴义市 with two schools and a workshop; a host, a member who
    teaches at a school, and a teacher at that school who is not in the workshop."""
    prefecture = factories.make_region("黔西南州", level="city")
    region = factories.make_region("兴义市", parent=prefecture)
    school = factories.make_school(region, "兴义市第一中学")
    factories.make_school(region, "兴义市第八中学")
    host = factories.make_user("lihost", "李坊主", subject="语文", stage="初中")
    workshop = factories.make_workshop(region, hosts=[host], name="初中语文名师工作坊")
    spaces.edit_info(
        host,
        workshop,
        description="本工作坊聚焦初中语文整本书阅读与大单元教学，每月开展一次线上研讨和一次课例研究。",
        is_open=True,
    )
    member = factories.make_user("wangmember", "王晓燕", school_id=school.id, subject="语文", stage="初中")
    factories.add_member(member, workshop)
    factories.make_user("zhaoteacher", "赵丽", school_id=school.id)
    built = World(
        prefecture=prefecture.name,
        region=region.name,
        region_slug=region.slug,
        school=school.name,
        school_slug=school.slug,
        other_school="兴义市第八中学",
        workshop=workshop.name,
        workshop_slug=workshop.slug,
        host="lihost",
        host_name="李坊主",
        member="wangmember",
        member_name="王晓燕",
        teacher="zhaoteacher",
        teacher_name="赵丽",
    )
    release_session()
    return built


def log_in(page: Page, username: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the login form and wait for the home page."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="欢迎回来")).to_be_visible()
