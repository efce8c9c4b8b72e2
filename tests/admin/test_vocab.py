"""Subjects, stages and resource types are lists an admin extends; forms follow at once."""

from __future__ import annotations

from peixun.core.vocab import RESOURCE_TYPES, SUBJECTS, terms


def test_an_admin_extends_the_resource_types(admin, client, post, get_page):
    page = get_page("/admin/vocab")
    assert (
        "资源类型" in page.get_text()
        and "课件" in page.find("textarea", {"name": "resource_types-terms"}).get_text()
    )
    text = "\n".join([*RESOURCE_TYPES.defaults, "学案", "  ", "思维导图"])
    response = post(
        "/admin/vocab",
        {"vocabulary": "resource_types", "resource_types-terms": text},
        form_url="/admin/vocab",
    )
    assert response.status_code == 302
    assert terms(RESOURCE_TYPES)[-2:] == ("学案", "思维导图")
    assert terms(SUBJECTS) == SUBJECTS.defaults  # the other lists are untouched


def test_bad_lists_are_refused_with_the_line(admin, client, post):
    for text, message in (
        ("语文\n语文", "第 2 行「语文」重复了"),
        ("", "至少要有一项"),
        ("x" * 21, "第 1 行太长"),
    ):
        response = post(
            "/admin/vocab", {"vocabulary": "subjects", "subjects-terms": text}, form_url="/admin/vocab"
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert terms(SUBJECTS) == SUBJECTS.defaults


def test_new_terms_appear_in_forms_and_old_values_survive(admin, client, post, login_as):
    from tests.factories import add_member, make_region, make_resource, make_user, make_workshop

    workshop = make_workshop(make_region())
    teacher = make_user("teacherx")
    add_member(teacher, workshop)
    old = make_resource(teacher, workshop, "老资源", type="讲义")
    post(
        "/admin/vocab",
        {"vocabulary": "resource_types", "resource_types-terms": "学案\n教案"},
        form_url="/admin/vocab",
    )
    login_as(teacher)
    html = client.get(f"/w/{workshop.slug}/resources/new").get_data(as_text=True)
    assert '<option value="学案">学案</option>' in html and '<option value="讲义">' not in html
    assert "讲义" in client.get(f"/res/{old.id}").get_data(as_text=True)


def test_only_site_admins(client, login_as, post):
    from tests.factories import make_user

    login_as(make_user("teacherx"))
    assert client.get("/admin/vocab").status_code == 403
    assert post("/admin/vocab", {"vocabulary": "subjects", "subjects-terms": "x"}).status_code == 403
