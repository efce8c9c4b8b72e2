"""Roster import (学员信息表): the template, reading .xlsx and .csv, a preview that writes
nothing and names every error by row and column, all rows or none, re-imports that change
nothing or update the same person, new logins that must change their password, the
admin's scope, the web pages and `flask roster import`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.accounts.service import authenticate
from peixun.core.errors import ServiceError
from peixun.core.policy import REGION_ADMIN, SCHOOL_ADMIN
from peixun.extensions import db
from peixun.spaces import service as spaces
from peixun.spaces.models import ACTIVE, Membership, RoleAssignment
from peixun.stats import importer
from peixun.stats.models import Enrolment, RosterImport
from peixun.stats.roster import COLUMNS, normalise_phone, read_roster, template
from tests.factories import appoint, make_admin, make_region, make_school, make_user, make_workshop

HEADER = list(COLUMNS)


def _row(name: str, phone: str, school: str = "兴义市第八中学", **more: str) -> list[str]:
    values = {"姓名": name, "性别": "女", "手机": phone, "区县": "兴义市", "学校": school}
    values |= {"学科": "语文", "学段": "初中", **more}
    return [values.get(c, "") for c in COLUMNS]


def _xlsx(rows: list[list], title: str | None = "黔西南州参训学员信息表") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def world(app):
    city = make_region("黔西南州", level="city")
    xingyi = make_region("兴义市", parent=city)
    xingren = make_region("兴仁县", parent=city)
    bazhong = make_school(xingyi, "兴义市第八中学")
    yizhong = make_school(xingyi, "兴义市第一中学")
    minzu = make_school(xingren, "兴仁县民族中学")
    workshop = make_workshop(xingyi, name="兴义市初中语文工作坊")
    region_admin, school_admin = make_user("regionadm", "区管理员"), make_user("schooladm", "校管理员")
    appoint(region_admin, xingyi, REGION_ADMIN)
    appoint(school_admin, bazhong, SCHOOL_ADMIN)
    return {
        "city": city,
        "xingyi": xingyi,
        "bazhong": bazhong,
        "yizhong": yizhong,
        "minzu": minzu,
        "workshop": workshop,
        "admin": make_admin("siteadm"),
        "region_admin": region_admin,
        "school_admin": school_admin,
    }


def _start(world, data: bytes, name: str = "名单.xlsx", actor: str = "admin", scope: str | None = "city"):
    return importer.start(world[actor], world[scope] if scope else None, io.BytesIO(data), name)


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
        # Every confirmed import is audited, even one that changes nothing.
        if table.name not in ("roster_imports", "search_outbox", "audit_entries")
    }


def test_the_template_reads_back_and_phones_are_normalised(tmp_path):
    path = tmp_path / "模板.xlsx"
    path.write_bytes(template())
    book = load_workbook(path)
    assert [c.value for c in book["学员信息表"][1]][:3] == ["姓名*", "性别*", "手机*"]
    assert "身份证" in " ".join(str(c.value) for row in book["填写说明"] for c in row if c.value)
    sheet = book["学员信息表"]
    sheet.append(_row("张丽", "138 1234 5678"))
    book.save(path)
    rows, layout = read_roster(path, "模板.xlsx")
    assert layout == [] and [(r.row, r["姓名"], r["手机"]) for r in rows] == [(2, "张丽", "138 1234 5678")]
    assert normalise_phone("+86 138-1234-5678") == normalise_phone("１３８１２３４５６７８") == "13812345678"
    assert normalise_phone("1381234567") is None and normalise_phone("23812345678") is None
    # Excel on Chinese Windows saves CSV as GB18030; the header may sit under a title line.
    text = io.StringIO()
    csv.writer(text).writerows([["学员信息表"], HEADER, _row("李明", "13900001111")])
    path = tmp_path / "名单.csv"
    path.write_bytes(text.getvalue().encode("gb18030"))
    rows, _ = read_roster(path, "名单.csv")
    assert rows[0].row == 3 and rows[0]["姓名"] == "李明"
    missing = tmp_path / "缺列.csv"
    missing.write_text("姓名,手机\n王五,13900002222\n", encoding="utf-8")
    _, layout = read_roster(missing, "缺列.csv")
    assert {(e.row, e.column) for e in layout} >= {(1, "性别"), (1, "学校")}


def test_preview_names_every_error_and_writes_nothing(world):
    rows = [
        _row("张丽", "13812345678"),
        _row("", "1381234"),  # no name, short phone
        _row("李明", "13812345678"),  # the same phone as row 3
        _row("王芳", "13900000001", school="不存在中学"),
        _row("赵强", "13900000002", 学科="体操", 学段="大学"),
        _row("孙红", "13900000003", 工作坊="没有的工作坊", 性别="未知"),
        _row("钱伟", "13900000004", 区县="火星县"),
    ]
    before = _counts()
    plan = importer.load_plan(_start(world, _xlsx(rows)))
    errors = {(e.row, e.column) for e in plan.errors}
    assert errors == {
        (4, "姓名"),
        (4, "手机"),
        (5, "手机"),
        (6, "学校"),
        (7, "学科"),
        (7, "学段"),
        (8, "工作坊"),
        (8, "性别"),
        (9, "区县"),
    }
    assert "第 3 行" in next(e.message for e in plan.errors if e.row == 5)
    assert plan.outcomes[0].action == "create" and plan.outcomes[0].username == "zhangli"
    assert _counts() == before
    with pytest.raises(ServiceError):
        importer.import_roster(world["admin"], db.session.get(RosterImport, 1), plan)
    assert _counts() == before


def test_import_all_then_again_then_changed(world, tmp_path):
    make_user("zhangli", "张丽（另一位）")  # the pinyin name is taken: the new one is zhangli2
    rows = [
        _row("张丽", "13812345678", 工作坊="兴义市初中语文工作坊"),
        _row("李明", "13900001111", school="兴义市第一中学", 用户名="liming_yw"),
        _row("欧阳", "13900002222", 区县="兴仁县", 学校="兴仁县民族中学"),
    ]
    record = _start(world, _xlsx(rows))
    plan = importer.load_plan(record)
    assert [o.action for o in plan.outcomes] == ["create"] * 3
    assert importer.import_roster(world["admin"], record, plan) == 3
    zhang = db.session.execute(select(User).where(User.phone == "13812345678")).scalar_one()
    assert (zhang.username, zhang.gender, zhang.must_change_password) == ("zhangli2", "女", True)
    assert spaces.is_member(zhang, world["workshop"]) and spaces.is_member(zhang, world["bazhong"])
    enrolment = db.session.execute(select(Enrolment).where(Enrolment.user_id == zhang.id)).scalar_one()
    assert (enrolment.school_id, enrolment.workshop_id) == (world["bazhong"].id, world["workshop"].id)
    sheet = load_workbook(importer.logins_path(record)).active
    logins = {row[1]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[1]}
    assert set(logins) == {"zhangli2", "liming_yw", "ouyang"}
    assert authenticate("liming_yw", logins["liming_yw"]) is not None
    assert authenticate("liming_yw", "password123") is None

    before = _counts()
    again = _start(world, _xlsx(rows))  # the same file: nothing changes
    plan = importer.load_plan(again)
    assert [o.action for o in plan.outcomes] == ["same"] * 3
    assert importer.import_roster(world["admin"], again, plan) == 0
    assert _counts() == before and not importer.logins_path(again).exists()

    rows[1] = _row("李明", "13900001111", school="兴义市第八中学", 学科="数学")  # moved school, new subject
    rows[0] = _row("张丽", "13812340000", 用户名="zhangli2", 工作坊="兴义市初中语文工作坊")  # a new phone
    changed = _start(world, _xlsx(rows, title=None))
    plan = importer.load_plan(changed)
    assert [(o.action, o.changes) for o in plan.outcomes[:2]] == [
        ("update", ["手机"]),
        ("update", ["学科", "学校"]),
    ]
    importer.import_roster(world["admin"], changed, plan)
    li = db.session.execute(select(User).where(User.username == "liming_yw")).scalar_one()
    assert li.subject == "数学" and spaces.is_member(li, world["bazhong"])
    assert not spaces.is_member(li, world["yizhong"])
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == before["users"]
    assert zhang.phone == "13812340000"


def test_the_admins_scope(world):
    rows = [_row("张丽", "13812345678"), _row("欧阳", "13900002222", 区县="兴仁县", 学校="兴仁县民族中学")]
    plan = importer.load_plan(_start(world, _xlsx(rows), actor="region_admin", scope="xingyi"))
    assert [(e.row, e.column) for e in plan.errors] == [(4, "学校")]  # 兴仁县 is not hers
    plan = importer.load_plan(_start(world, _xlsx(rows[:1]), actor="school_admin", scope="bazhong"))
    assert plan.errors == []
    rows = [_row("李明", "13900001111", school="兴义市第一中学")]
    plan = importer.load_plan(_start(world, _xlsx(rows), actor="school_admin", scope="bazhong"))
    assert [(e.row, e.column) for e in plan.errors] == [(3, "学校")]


def test_a_5000_row_roster_with_errors_on_rows_17_and_4003_is_refused_whole(world):
    rows = [_row(f"教师{n}", f"139{n:08d}") for n in range(5000)]
    rows[17 - 3] = _row("错误甲", "12345")  # spreadsheet row 17 (title and header above)
    rows[4003 - 3] = _row("错误乙", "13700004003", 学段="幼儿园")
    plan = importer.load_plan(_start(world, _xlsx(rows)))
    assert [(e.row, e.column) for e in plan.errors] == [(17, "手机"), (4003, "学段")]
    assert db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0


def test_the_pages(world, login_as, post, client, get_page):
    region = world["xingyi"]
    url = f"/r/{region.slug}/roster"
    login_as(make_user("plainteacher", "老师"))
    assert client.get(url).status_code == 403
    login_as(world["region_admin"])
    page = get_page(url)
    assert page.find("a", href="/roster/template.xlsx")
    with client.get("/roster/template.xlsx") as response:
        assert response.status_code == 200 and response.data[:2] == b"PK"
    bad = post(
        url, {"file": (io.BytesIO(b"x"), "名单.docx")}, form_url=url, content_type="multipart/form-data"
    )
    assert bad.status_code == 400 and "xlsx" in bad.get_data(as_text=True)
    data = _xlsx([_row("张丽", "13812345678"), _row("李明", "13900001111")])
    response = post(
        url, {"file": (io.BytesIO(data), "名单.xlsx")}, form_url=url, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    text = get_page(preview_url).get_text()
    assert "可以导入" in text and "新建 2 个账号" in text and "zhangli" in text
    assert db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0
    response = post(f"{preview_url}/confirm", {}, form_url=preview_url)
    assert response.status_code == 302
    text = get_page(preview_url).get_text()
    assert "已导入 2 行" in text and "下载新账号清单" in text
    with client.get(f"{preview_url}/logins") as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert post(f"{preview_url}/confirm", {}, form_url=preview_url).status_code == 302  # twice: refused
    assert db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 2
    login_as(world["school_admin"])  # another admin: not her import
    assert client.get(preview_url).status_code == 403
    assert client.get(f"{preview_url}/logins").status_code == 403
    assert client.get("/roster/999999").status_code == 404
    login_as(world["region_admin"])
    post(f"{preview_url}/logins/delete", {}, form_url=preview_url)
    assert client.get(f"{preview_url}/logins").status_code == 404
    members = db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.state == ACTIVE)
    ).scalar_one()
    assert members >= 2


def test_flask_roster_import(app, world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(_xlsx([_row("张丽", "13812345678"), _row("李明", "13900001111")]))
    runner = app.test_cli_runner()
    logins = tmp_path / "logins.xlsx"
    result = runner.invoke(args=["roster", "import", str(path), "--as", "siteadm", "--dry-run"])
    assert result.exit_code == 0 and "新建 2" in result.output
    assert db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0
    result = runner.invoke(args=["roster", "import", str(path), "--as", "siteadm", "--logins", str(logins)])
    assert result.exit_code == 0, result.output
    assert (
        Path(logins).exists()
        and db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 2
    )
    result = runner.invoke(
        args=["roster", "import", str(path), "--as", "regionadm", "--scope", world["minzu"].slug]
    )
    assert result.exit_code != 0 and "may not" in result.output


def test_a_roster_cannot_reach_people_outside_the_scope(world, login_as, post, client, get_page):
    outsider = make_user("farteacher", "外校老师")
    outsider.phone = "13900009999"
    from tests.factories import add_member

    add_member(outsider, world["minzu"])  # 兴仁县, not hers
    db.session.commit()
    rows = [
        _row("改名", "13900009999"),  # the other county's teacher, by phone
        _row("改名二", "13900008888", 用户名="siteadm"),  # the site admin, by username
        _row("张丽", "13812345678"),
        _row("张丽二", "13812345679", 用户名="zhangli"),  # the name row 5 is about to get
    ]
    plan = importer.load_plan(_start(world, _xlsx(rows), actor="school_admin", scope="bazhong"))
    assert [(e.row, e.column) for e in plan.errors] == [(3, "手机"), (4, "用户名"), (6, "用户名")]
    assert db.session.get(User, outsider.id).real_name == "外校老师"
    # Confirming needs the right to import there still.
    record = _start(world, _xlsx(rows[2:3]), actor="school_admin", scope="bazhong")
    url = f"/roster/{record.id}"
    login_as(world["school_admin"])
    get_page(url)
    db.session.execute(
        RoleAssignment.__table__.delete().where(RoleAssignment.user_id == world["school_admin"].id)
    )
    db.session.commit()
    assert post(f"{url}/confirm", {}, form_url="/").status_code == 403
    assert db.session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0


def test_a_damaged_xlsx_is_refused_politely(world, login_as, get_page):
    data = _xlsx([_row("张丽", "13812345678")])
    record = _start(world, data[: len(data) // 2] + b"\0" * 10)
    login_as(world["admin"])
    assert "无法读取" in get_page(f"/roster/{record.id}").get_text()
