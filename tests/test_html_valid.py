"""Every page type, on the demo community and as the people who use it, is within the page
budget (tests/pages.py) and valid HTML by the Nu HTML Checker (all pages in one JVM)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from peixun.core.errors import render_error
from tests.conftest import csrf_token
from tests.node_tools import vnu
from tests.page_tour import Stop, demo_tour, prepare_demo, uncovered_routes
from tests.pages import STATIC, check_html

# Error pages that no request of the tour reaches, rendered as the error handlers do.
RENDERED_ERRORS = (400, 429, 500)


def _client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        data = {"username": username, "password": app.config["DEMO_PASSWORD"]}
        response = client.post("/login", data={**data, "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 302, f"{username} cannot sign in"
    return client


def _visit(app: Flask, stops: list[Stop]) -> dict[str, str]:
    """Fetch (or send the form of) every stop as its user; its HTML by a label of the stop."""
    clients: dict[str | None, FlaskClient] = {}
    pages = {}
    for stop in stops:
        client = clients.get(stop.who) or clients.setdefault(stop.who, _client(app, stop.who))
        if stop.submit:
            response = client.post(stop.url, data={"csrf_token": csrf_token(client, stop.url)})
        else:
            response = client.get(stop.url)
        label = f"{stop.url} as {stop.who or 'a guest'}" + (
            f", {stop.submit} sent empty" if stop.submit else ""
        )
        assert response.status_code == stop.status, f"{label}: {response.status_code}"
        assert response.mimetype == "text/html", label
        pages[label] = response.get_data(as_text=True)
    with app.test_request_context("/"):
        for code in RENDERED_ERRORS:
            pages[f"the {code} page"] = render_error(code)[0]
    return pages


def _describe(message: dict, labels: dict[str, str]) -> str:
    where = labels.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url", ""))
    extract = " ".join(message.get("extract", "").split())
    return f"{where} (line {message.get('lastLine')}): {message['message']}  «{extract}»"


def test_every_page_type_is_within_budget_and_valid_html(app: Flask, tmp_path: Path) -> None:
    prepare_demo(app)
    stops = demo_tour()
    assert uncovered_routes(app, stops) == [], "add these page types to tests/page_tour.py"
    pages = _visit(app, stops)
    labels = {}
    for number, (label, html) in enumerate(pages.items()):
        check_html(html, label)
        path = tmp_path / f"page{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        labels[path.name] = label

    messages = vnu([*sorted(tmp_path.glob("*.html")), STATIC / "css" / "site.css"])
    errors = [_describe(m, labels) for m in messages if m["type"] != "info"]
    assert not errors, f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors)
    warnings = Counter(m["message"] for m in messages if m.get("subType") == "warning")
    print(
        f"{len(pages)} pages valid; warnings:",
        *(f"{n} × {text}" for text, n in warnings.most_common()),
        sep="\n",
    )
