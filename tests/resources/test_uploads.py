"""Uploads through the share form: every supported type finds its text; hostile files
are refused or neutralised with a clear Chinese message, and nothing is half-written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from peixun.core.storage import uploads_root
from peixun.resources.models import Blob, Resource
from tests.factories import add_member, make_region, make_user, make_workshop
from tests.resources import test_files as samples

TEXT = "三备两打磨"


@pytest.fixture
def teacher(app, login_as):
    workshop = make_workshop(make_region())
    user = make_user("teacherx")
    add_member(user, workshop)
    login_as(user)
    return workshop


def _share(client, workshop, filename: str, data: bytes, title: str = "资源", **fields):
    url = f"/w/{workshop.slug}/resources/new"
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    form = {
        "csrf_token": soup.find("input", {"name": "csrf_token"})["value"],
        "form_key": soup.find("input", {"name": "form_key"})["value"],
        "title": title,
        "type": "教案",
        "subject": "",
        "stage": "",
        "file": (io.BytesIO(data), filename),
        **fields,
    }
    return client.post(url, data=form, content_type="multipart/form-data")


def _built(tmp_path: Path, build, name: str) -> bytes:
    path = tmp_path / name
    build(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("filename", "build"),
    [
        ("教案.docx", samples.make_docx),
        ("课件.pptx", samples.make_pptx),
        ("成绩.xlsx", samples.make_xlsx),
        ("论文.pdf", samples.make_pdf),
        ("反思.txt", lambda p: p.write_text(f"教学反思：{samples.CHINESE}", encoding="gb18030")),
        ("讲义.md", lambda p: p.write_text(f"# 讲义\n\n{samples.CHINESE}", encoding="utf-8")),
    ],
)
def test_each_document_type_is_shared_and_its_text_found(teacher, client, tmp_path, filename, build):
    response = _share(client, teacher, filename, _built(tmp_path, build, filename))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    resource = Resource.query.one()
    assert resource.filename == filename
    assert resource.blob.text_status == "ok"
    assert samples.CHINESE[:6] in resource.blob.text
    assert samples.CHINESE[:6] in client.get(f"/res/{resource.id}").get_data(as_text=True)


def test_an_image_gets_a_thumbnail(teacher, client, tmp_path):
    response = _share(
        client, teacher, "板书.png", _built(tmp_path, lambda p: samples.make_image(p, "PNG"), "a.png")
    )
    assert response.status_code == 302
    resource = Resource.query.one()
    assert resource.blob.has_thumbnail
    thumb = client.get(f"/res/{resource.id}/thumbnail")
    thumb.close()
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    shown = client.get(f"/res/{resource.id}/file")
    shown.close()
    assert shown.headers["Content-Disposition"].startswith("inline") and shown.mimetype == "image/png"


REFUSED = [
    ("evil.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "文件内容与扩展名不符"),
    ("evil.html", b"<html><script>alert(1)</script></html>", "不支持的文件类型"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "不支持的文件类型",
    ),
    ("空.txt", b"", "文件是空的"),
]


@pytest.mark.parametrize(("filename", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_uploads_are_refused_with_a_clear_message(teacher, client, filename, data, message):
    response = _share(client, teacher, filename, data, title="我的标题")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="我的标题"' in html  # what she typed is kept
    assert Resource.query.count() == 0 and Blob.query.count() == 0
    assert not [p for p in uploads_root().rglob("*") if p.is_file()]


def test_a_zip_bomb_inside_a_docx_is_refused(teacher, client, tmp_path):
    data = _built(tmp_path, samples.make_zip_bomb_docx, "bomb.docx")
    response = _share(client, teacher, "炸弹.docx", data)
    assert response.status_code == 400
    assert "解压后过大" in response.get_data(as_text=True)
    assert Resource.query.count() == 0


@pytest.mark.parametrize(
    "settings", [{"MAX_UPLOAD_BYTES": 1024, "MAX_CONTENT_LENGTH": 64 * 1024}], indirect=True
)
def test_an_oversized_file_is_refused(teacher, client):
    response = _share(client, teacher, "大.txt", ("很长的文字" * 1000).encode())
    assert response.status_code == 400
    assert "文件超过" in response.get_data(as_text=True)
    assert Blob.query.count() == 0


@pytest.mark.parametrize("settings", [{"MAX_UPLOAD_BYTES": 1024, "MAX_CONTENT_LENGTH": 4096}], indirect=True)
def test_a_request_over_the_limit_is_a_chinese_413(teacher, client):
    response = _share(client, teacher, "大.txt", b"x" * 10_000)
    assert response.status_code == 413
    assert "太大" in response.get_data(as_text=True) or "超过" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.txt", "..\\..\\boot.txt", "教案\u202etxt.exe.txt", "a\tb.txt"]
)
def test_file_names_never_reach_the_disk(teacher, client, name):
    response = _share(client, teacher, name, "正文".encode())
    assert response.status_code == 302
    resource = Resource.query.one()
    assert "/" not in resource.filename and "\\" not in resource.filename
    assert "\u202e" not in resource.filename and "\t" not in resource.filename
    stored = [p for p in uploads_root().rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [resource.blob_sha256]
    download = client.get(f"/res/{resource.id}/download")
    download.close()
    assert download.status_code == 200


def test_a_refused_form_keeps_the_uploaded_file(teacher, client):
    first = _share(client, teacher, "教案.txt", "第一稿".encode(), title="")
    assert first.status_code == 400
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(first.get_data(as_text=True), "html.parser")
    kept = soup.find("input", {"name": "kept_file"})["value"]
    assert kept and "已上传：教案.txt" in soup.get_text()
    second = client.post(
        f"/w/{teacher.slug}/resources/new",
        data={
            "csrf_token": soup.find("input", {"name": "csrf_token"})["value"],
            "form_key": soup.find("input", {"name": "form_key"})["value"],
            "kept_file": kept,
            "title": "《春》教案",
            "type": "教案",
            "subject": "",
            "stage": "",
        },
        content_type="multipart/form-data",
    )
    assert second.status_code == 302
    assert Resource.query.one().filename == "教案.txt"


def test_a_kept_file_token_is_bound_to_its_uploader(teacher, client):
    tampered = _share(client, teacher, "教案.txt", "第一稿".encode(), title="")
    assert tampered.status_code == 400
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(tampered.get_data(as_text=True), "html.parser")
    response = client.post(
        f"/w/{teacher.slug}/resources/new",
        data={
            "csrf_token": soup.find("input", {"name": "csrf_token"})["value"],
            "kept_file": soup.find("input", {"name": "kept_file"})["value"] + "x",
            "title": "标题",
            "type": "教案",
            "subject": "",
            "stage": "",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_the_same_file_twice_is_stored_once(teacher, client):
    assert _share(client, teacher, "一.txt", "相同内容".encode()).status_code == 302
    assert _share(client, teacher, "二.txt", "相同内容".encode()).status_code == 302
    assert Resource.query.count() == 2 and Blob.query.count() == 1
    assert len([p for p in uploads_root().rglob("*") if p.is_file()]) == 1


def test_an_unreadable_file_is_kept_and_marked(teacher, client):
    broken = b"%PDF-1.7\n" + bytes(range(256)) * 40
    response = _share(client, teacher, "扫描件.pdf", broken, title="扫描的教案")
    assert response.status_code == 302
    resource = Resource.query.one()
    assert resource.blob.text_status == "failed"
    page = client.get(f"/res/{resource.id}")
    assert page.status_code == 200
    assert "无法读取这份文件的内容" in page.get_data(as_text=True)
    download = client.get(f"/res/{resource.id}/download")
    assert download.get_data() == broken
    download.close()
