"""axe-core in Chromium on every page type of the demo community (tests/page_tour.py), as
the people who use them: no serious or critical violation, at desktop width and, for the
main pages, at phone width too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page

from tests.e2e.conftest import DESKTOP, PHONE_DEVICE, log_in, release_session
from tests.node_tools import AXE_JS, require
from tests.page_tour import Stop, demo_tour, prepare_demo

SIZES = {"desktop": {"viewport": DESKTOP}, "phone": PHONE_DEVICE}
BLOCKING = ("serious", "critical")
# axe's findings, cut down to what a failure message needs.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }));
}"""


@pytest.fixture
def tour(live_app: Flask) -> list[Stop]:
    prepare_demo(live_app)
    stops = demo_tour()
    release_session()
    return stops


def _open(stop: Stop, page: Page) -> None:
    response = page.goto(stop.url)
    if stop.submit:
        with page.expect_navigation() as sent:
            page.get_by_role("main").get_by_role("button", name=stop.submit, exact=True).click()
        response = sent.value
    assert response is not None and response.status == stop.status, f"{stop}: {response and response.status}"


def test_no_serious_or_critical_violation_on_any_page_type(
    tour: list[Stop], new_context: Callable[..., BrowserContext], live_app: Flask
) -> None:
    axe = require(AXE_JS)
    pages: dict[tuple[str | None, str], Page] = {}
    found, checked = [], 0
    for stop in tour:
        for size in ("desktop", "phone") if stop.main else ("desktop",):
            page = pages.get((stop.who, size))
            if page is None:
                # bypass_csp: axe is injected as an inline script, which the site's CSP refuses.
                page = pages[(stop.who, size)] = new_context(bypass_csp=True, **SIZES[size]).new_page()
                if stop.who:
                    log_in(page, stop.who, live_app.config["DEMO_PASSWORD"])
            _open(stop, page)
            page.add_script_tag(path=axe)
            checked += 1
            for v in page.evaluate(RUN_AXE):
                if v["impact"] in BLOCKING:
                    who = stop.who or "a guest"
                    found.append(
                        f"{stop.url} as {who} at {size}: {v['id']} ({v['impact']}) {v['help']} {v['nodes']}"
                    )
    assert not found, f"{len(found)} violations on {checked} pages:\n" + "\n".join(found)
