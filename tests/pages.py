"""Checks every page a test fetches must pass (house rules for HTML)."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

PAGE_BUDGET = 60 * 1024
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def check_html(html: str, url: str = "") -> BeautifulSoup:
    assert len(html.encode()) < PAGE_BUDGET, f"{url}: {len(html.encode())} bytes is over budget"
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html is not None and soup.html.get("lang") == "zh-CN", f"{url}: no <html lang>"
    title = soup.find("title")
    assert title is not None and title.get_text(strip=True), f"{url}: no <title>"
    assert len(soup.find_all("h1")) == 1, f"{url}: expected exactly one <h1>"
    for script in soup.find_all("script"):
        assert script.get("src") and not script.get_text(strip=True), f"{url}: inline script"
    for tag in soup.find_all(True):
        bad = [a for a in tag.attrs if a.lower().startswith("on")]
        assert not bad, f"{url}: inline event handler {bad} on <{tag.name}>"
    labelled = {label.get("for") for label in soup.find_all("label")}
    for field in soup.find_all(["input", "select", "textarea"]):
        if field.name == "input" and field.get("type", "text") in UNLABELLED_TYPES:
            continue
        ok = (
            field.get("id") in labelled
            or field.get("aria-label")
            or field.get("aria-labelledby")
            or field.find_parent("label") is not None
        )
        assert ok, f"{url}: unlabelled field {field}"
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), f"{url}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}"
    for form in soup.find_all("form"):
        if form.get("method", "get").lower() == "post":
            assert form.find("input", {"name": "csrf_token"}), f"{url}: POST form without CSRF token"
    return soup


class PageChecker:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def __call__(self, url: str, status: int = 200) -> BeautifulSoup:
        response = self.client.get(url)
        assert response.status_code == status, f"{url}: {response.status_code} != {status}"
        assert response.mimetype == "text/html"
        return check_html(response.get_data(as_text=True), url)
