"""Checks every page a test fetches must pass (house rules for HTML)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

# A page with its stylesheets and scripts (not its pictures) stays under this.
PAGE_BUDGET = 60 * 1024
STATIC = Path(__file__).resolve().parent.parent / "static"
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def page_weight(html: str, soup: BeautifulSoup, url: str = "") -> dict[str, int]:
    """Bytes of the HTML and of each stylesheet and script the page links, read from static/."""
    weight = {"HTML": len(html.encode())}
    for tag in soup.select("link[rel~=stylesheet], script[src]"):
        linked = str(tag.get("href") or tag.get("src") or "")
        path = urlsplit(linked).path
        assert path.startswith("/static/") and ".." not in path, f"{url}: links {linked!r}, not a static file"
        weight[path] = (STATIC / path.removeprefix("/static/")).stat().st_size
    return weight


def check_html(html: str, url: str = "") -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    weight = page_weight(html, soup, url)
    assert sum(weight.values()) < PAGE_BUDGET, f"{url}: {sum(weight.values())} bytes is over budget: {weight}"
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
