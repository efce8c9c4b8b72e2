"""Downloads and 推荐 counters stay exact under concurrent requests; media support Range."""

from __future__ import annotations

import io
import threading

import pytest

from peixun.extensions import db
from peixun.resources import service
from peixun.resources.models import Resource, ResourceVote
from tests.factories import add_member, make_region, make_resource, make_user, make_workshop, mp4_bytes

WORKERS = 8


def _at_once(app, work, count: int = WORKERS) -> list[BaseException]:
    """Run work(i) in `count` threads released together, each in its own app context."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                work(i)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def resource(app):
    workshop = make_workshop(make_region())
    author = make_user("authorx")
    add_member(author, workshop)
    return make_resource(author, workshop)


def test_concurrent_downloads_all_count(app, resource):
    resource_id = resource.id

    def download(_i: int) -> None:
        for _ in range(5):
            service.count_download(db.session.get(Resource, resource_id))

    assert _at_once(app, download) == []
    db.session.expire_all()
    assert db.session.get(Resource, resource_id).download_count == WORKERS * 5


def test_concurrent_votes_count_once_per_person(app, resource):
    voters = [make_user(f"voter{i}x").id for i in range(WORKERS)]
    resource_id = resource.id

    def vote(i: int) -> None:
        from peixun.accounts.models import User

        user = db.session.get(User, voters[i % (WORKERS // 2)])  # each voter twice at once
        service.vote(user, db.session.get(Resource, resource_id))

    assert _at_once(app, vote) == []
    db.session.expire_all()
    count = db.session.get(Resource, resource_id).vote_count
    assert count == ResourceVote.query.filter_by(resource_id=resource_id).count() == WORKERS // 2


def test_vote_and_take_back(app, resource, login_as, post, client):
    reader = make_user("readerx")
    add_member(reader, resource.space)
    login_as(reader)
    post(f"/res/{resource.id}/vote", {"on": "1"}, form_url=f"/res/{resource.id}")
    post(f"/res/{resource.id}/vote", {"on": "1"}, form_url=f"/res/{resource.id}")
    assert db.session.get(Resource, resource.id).vote_count == 1
    assert "取消推荐" in client.get(f"/res/{resource.id}").get_data(as_text=True)
    post(f"/res/{resource.id}/vote", {"on": "0"}, form_url=f"/res/{resource.id}")
    assert db.session.get(Resource, resource.id).vote_count == 0
    login_as(resource.author)  # never one's own
    assert post(f"/res/{resource.id}/vote", {"on": "1"}, form_url=f"/res/{resource.id}").status_code == 403


def test_video_plays_inline_and_seeks_with_range_requests(app, resource, login_as, client):
    upload = service.store_upload(io.BytesIO(mp4_bytes()), "微课 春.mp4")
    video = service.share(
        resource.author, resource.space, service.ResourceData(title="微课：春", type="微课"), upload=upload
    )
    login_as(resource.author)
    page = client.get(f"/res/{video.id}").get_data(as_text=True)
    assert f'<video controls preload="metadata" src="/res/{video.id}/file"' in page
    whole = client.get(f"/res/{video.id}/file")
    whole.close()
    assert whole.status_code == 200 and whole.mimetype == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Disposition"].startswith("inline")
    part = client.get(f"/res/{video.id}/file", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(mp4_bytes())}"
    assert part.get_data() == mp4_bytes()[1000:2000]
    part.close()
    # Playing does not count as downloading; a resumed download counts once.
    resumed = client.get(f"/res/{video.id}/download", headers={"Range": "bytes=5000-"})
    resumed.close()
    assert resumed.status_code == 206
    assert db.session.get(Resource, video.id).download_count == 0


def test_a_link_resource_redirects_and_counts(app, resource, login_as, client):
    link = service.share(
        resource.author,
        resource.space,
        service.ResourceData(
            title="国家中小学智慧教育平台", type="网站", link_url="https://basic.smartedu.cn/"
        ),
    )
    login_as(resource.author)
    response = client.get(f"/res/{link.id}/download")
    assert response.status_code == 302 and response.headers["Location"] == "https://basic.smartedu.cn/"
    assert db.session.get(Resource, link.id).download_count == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.example/a", "http://"])
def test_links_must_be_web_addresses(app, resource, url):
    with pytest.raises(Exception, match="http"):
        service.share(
            resource.author, resource.space, service.ResourceData(title="x", type="网站", link_url=url)
        )


def test_wrong_ids_are_404(app, resource, login_as, client):
    login_as(resource.author)
    for url in (
        "/res/999999",
        "/res/999999/download",
        "/res/999999/file",
        "/entries/999999/excellent",
        "/calls/999999",
    ):
        method = client.post if "excellent" in url else client.get
        assert method(url).status_code in (404, 400), url
    response = client.get(f"/res/{resource.id}/thumbnail")  # a text file has no thumbnail
    assert response.status_code == 404
