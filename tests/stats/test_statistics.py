"""The 学情 tables: seed 000's table 1 rebuilt (nine districts, their teachers and what they
wrote) and checked cell by cell; rates, the period's edges, deleted and outside posts; who
may see which table; sorting, exports, bad dates; a bounded number of queries; and the
days each person used the site."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from peixun.briefs.models import Brief
from peixun.core.db import utcnow
from peixun.core.policy import HOST, REGION_ADMIN, SCHOOL_ADMIN
from peixun.extensions import db
from peixun.spaces.models import Activity
from peixun.spaces.queries import personal_space_of
from peixun.stats import queries
from peixun.stats.models import ActiveDay, Enrolment
from peixun.stats.queries import Period, china_today
from peixun.threads.models import COMMENTS, JOURNAL, TOPIC, Notification, Post, Thread
from tests.factories import (
    add_member,
    appoint,
    make_group,
    make_region,
    make_school,
    make_user,
    make_workshop,
)

# Seed 000, table 1 (各参训区县学情统计): district, 研修日志数, 发帖数; every 报到率 and 学习率 100 %.
TABLE_1 = (
    ("兴义市", 124, 512),
    ("兴仁县", 76, 318),
    ("普安县", 70, 284),
    ("晴隆县", 76, 299),
    ("贞丰县", 66, 292),
    ("望谟县", 72, 263),
    ("册亨县", 69, 264),
    ("安龙县", 76, 334),
    ("义龙新区", 93, 401),
)
TEACHERS = 3  # per district


def _post(thread: Thread, author_id: int, when, *, opening: bool = False) -> Post:
    return Post(
        thread=thread,
        author_id=author_id,
        is_opening=opening,
        body="研讨",
        body_html="<p>研讨</p>",
        created_at=when,
    )


def _thread(space_id: int, author_id: int, kind: str, when) -> Thread:
    thread = Thread(
        space_id=space_id,
        author_id=author_id,
        kind=kind,
        title="研讨",
        created_at=when,
        last_activity_at=when,
    )
    db.session.add(thread)
    db.session.add(_post(thread, author_id, when, opening=True))
    return thread


def _enrol(user, school, *, registered: bool = True, active_days=()) -> None:
    db.session.add(Enrolment(user_id=user.id, school_id=school.id))
    if registered:
        user.last_login_at = utcnow()
    for day in active_days:
        db.session.add(ActiveDay(user_id=user.id, day=day))


@pytest.fixture
def programme(app):
    """黔西南州 as in seed 000: nine districts, a school each, three enrolled teachers each
    who all signed in and studied this week, and table 1's journals and posts."""
    city = make_region("黔西南州", level="city")
    workshop = make_workshop(city, name="黔西南州初中语文工作坊")
    now = utcnow() - timedelta(hours=1)
    today = china_today()
    districts = {}
    for name, journals, posts in TABLE_1:
        district = make_region(name, parent=city)
        school = make_school(district, f"{name}第一中学")
        teachers = [make_user(f"t{len(districts)}x{n}", f"{name}教师{n}") for n in range(TEACHERS)]
        for teacher in teachers:
            add_member(teacher, school)
            _enrol(teacher, school, active_days=[today])
        for n in range(journals):
            author = teachers[n % TEACHERS]
            _thread(personal_space_of(author.username).id, author.id, JOURNAL, now)
        topics = posts // 4  # a quarter start threads; the rest reply
        opened = [_thread(workshop.id, teachers[n % TEACHERS].id, TOPIC, now) for n in range(topics)]
        for n in range(posts - topics):
            db.session.add(_post(opened[n % topics], teachers[(n + 1) % TEACHERS].id, now))
        districts[name] = (district, school, teachers)
    db.session.commit()
    return {"city": city, "workshop": workshop, "districts": districts}


def _week() -> Period:
    today = china_today()
    return Period(today - timedelta(days=6), today)


def test_seed_000_table_1_cell_by_cell(programme):
    table = queries.table(programme["city"], _week())
    assert table.by == "区域" and [r.name for r in table.rows] == sorted(name for name, _, _ in TABLE_1)
    rows = {r.name: r for r in table.rows}
    for name, journals, posts in TABLE_1:
        row = rows[name]
        assert (row.rate("report_rate"), row.rate("learn_rate")) == (100.0, 100.0), name
        assert row.counts["journals"] == journals, name
        assert row.counts["threads"] + row.counts["replies"] == posts, name
        assert row.counts["threads"] == posts // 4 and row.counts["enrolled"] == TEACHERS
    total = table.total
    assert total.counts["journals"] == sum(j for _, j, _ in TABLE_1) == 722
    assert total.counts["threads"] + total.counts["replies"] == sum(p for _, _, p in TABLE_1) == 2967
    for column in queries.COUNTS:
        assert total.counts[column] == sum(r.counts[column] for r in table.rows)
    # A district's own page: one row per school, the same figures.
    district, school, _ = programme["districts"]["兴义市"]
    inner = queries.table(district, _week())
    assert inner.by == "学校" and [r.name for r in inner.rows] == [school.name]
    assert inner.total.counts == rows["兴义市"].counts
    # A school's page: one row per teacher, adding up to the school.
    people = queries.table(school, _week())
    assert people.by == "成员" and len(people.rows) == TEACHERS
    assert people.total.counts == rows["兴义市"].counts


def test_rates_edges_and_what_does_not_count(programme):
    district, school, teachers = programme["districts"]["普安县"]
    late = make_user("latecomer", "未报到")
    add_member(late, school)
    _enrol(late, school, registered=False)
    idle = make_user("idleone", "没来学习")
    add_member(idle, school)
    _enrol(idle, school, active_days=[china_today() - timedelta(days=30)])
    week = _week()
    before = queries.table(district, week).total.counts.copy()
    author = teachers[0].id
    thread = _thread(
        programme["workshop"].id, author, TOPIC, week.start - timedelta(seconds=1)
    )  # just before
    db.session.add(_post(thread, author, week.end))  # just after (the next day, China time)
    gone = _post(thread, author, week.start)
    gone.deleted_at = utcnow()
    db.session.add(gone)
    comments = _thread(programme["workshop"].id, author, COMMENTS, week.start)  # opening: not a thread
    db.session.add(_post(comments, teachers[1].id, week.start))  # a comment is a reply
    db.session.commit()
    row = queries.table(district, week).total
    assert (row.counts["enrolled"], row.counts["registered"], row.counts["active"]) == (5, 4, 3)
    assert (row.rate("report_rate"), row.rate("learn_rate")) == (80.0, 75.0)
    assert row.counts["threads"] == before["threads"] and row.counts["replies"] == before["replies"] + 1
    month = Period(china_today() - timedelta(days=40), china_today())
    assert queries.table(district, month).total.counts["active"] == 4


def test_who_sees_which_table(programme, login_as, client, get_page):
    city, workshop = programme["city"], programme["workshop"]
    district, school, teachers = programme["districts"]["兴仁县"]
    region_admin, school_admin, host, leader = (
        make_user(n, n) for n in ("regadm", "schadm", "hostx", "leadx")
    )
    appoint(region_admin, district, REGION_ADMIN)
    appoint(school_admin, school, SCHOOL_ADMIN)
    appoint(host, workshop, HOST)
    add_member(teachers[0], workshop)
    group = make_group(workshop, leader)  # she leads it
    cases = {
        teachers[0]: set(),
        school_admin: {f"/s/{school.slug}/stats"},
        region_admin: {f"/r/{district.slug}/stats", f"/s/{school.slug}/stats"},
        host: {f"/w/{workshop.slug}/stats", f"/g/{group.slug}/stats"},
        leader: {f"/g/{group.slug}/stats"},
    }
    urls = {url for allowed in cases.values() for url in allowed} | {f"/r/{city.slug}/stats"}
    for user, allowed in cases.items():
        login_as(user)
        for url in urls:
            assert client.get(url).status_code == (200 if url in allowed else 403), (user.username, url)
    client.delete_cookie("peixun_session")
    assert client.get(f"/r/{city.slug}/stats").status_code == 302  # guests sign in first
    login_as(region_admin)
    page = get_page(f"/r/{district.slug}/stats")
    assert page.find("a", string="学情") and page.find("svg", class_="bar-chart")


def test_sorting_exports_and_bad_dates(programme, login_as, client, get_page):
    admin = make_user("cityadm", "州管理员")
    appoint(admin, programme["city"], REGION_ADMIN)
    login_as(admin)
    url = f"/r/{programme['city'].slug}/stats"
    page = get_page(f"{url}?sort=journals&dir=desc")
    names = [th.get_text(strip=True) for th in page.select("tbody th")]
    assert names[0] == "兴义市" and names[1] == "义龙新区"  # 124, then 93 journals
    assert page.select_one("tfoot td").get_text() == str(3 * len(TABLE_1))
    with client.get(f"{url}.csv?sort=journals") as response:
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert rows[1][0] == "区域" and rows[2][0] == "兴义市" and rows[-1][0] == "合计"
    assert rows[-1][6] == "722"
    with client.get(f"{url}.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=sheet.max_row, column=1).value == "合计"
    assert sheet.cell(row=sheet.max_row, column=7).value == 722
    for bad in (
        "?from=2026-13-01",
        "?from=明天",
        "?from=2026-12-05&to=2026-12-01",
        "?from=2000-01-01",
        "?to=9999-12-31",
        "?from=0001-01-01&to=0001-01-02",
    ):
        response = client.get(url + bad)
        assert (
            response.status_code == 400 and "日期" in response.get_data(as_text=True)
        ) or "时段" in response.get_data(as_text=True)
    assert client.get(f"{url}?sort=nonsense").status_code == 404


def test_the_region_page_costs_the_same_queries_with_more_data(programme, login_as, get_page, count_queries):
    admin = make_user("cityadm2", "州管理员")
    appoint(admin, programme["city"], REGION_ADMIN)
    login_as(admin)
    url = f"/r/{programme['city'].slug}/stats"
    get_page(url)
    with count_queries() as few:
        get_page(url)
    district = make_region("新区", parent=programme["city"])
    for n in range(3):
        school = make_school(district, f"新区第{n}中学")
        for k in range(4):
            teacher = make_user(f"more{n}x{k}", "教师")
            add_member(teacher, school)
            _enrol(teacher, school, active_days=[china_today()])
            _thread(programme["workshop"].id, teacher.id, TOPIC, utcnow())
    db.session.commit()
    with count_queries() as many:
        get_page(url)
    assert len(many.statements) == len(few.statements) <= 25


def test_active_days_are_recorded_once_a_day(app, login_as, client):
    user = make_user("activex", "活跃")
    login_as(user)
    client.get("/")
    client.get("/")
    days = db.session.execute(select(ActiveDay.day).where(ActiveDay.user_id == user.id)).scalars().all()
    assert days == [china_today()]
    assert db.session.execute(select(func.count()).select_from(ActiveDay)).scalar_one() == 1


def test_idle_members_are_listed_and_urged_once_a_day(app, login_as, post, client, get_page):
    host = make_user("urgehost", "坊主")
    workshop = make_workshop(make_region(), hosts=[host])
    school = make_school()
    today = china_today()
    people = {}
    for name, days_ago in (("daily", 0), ("lapsed", 10), ("never", None)):
        people[name] = make_user(f"{name}x", name)
        add_member(people[name], workshop)
        _enrol(
            people[name],
            school,
            registered=days_ago is not None,
            active_days=[] if days_ago is None else [today - timedelta(days=days_ago)],
        )
    db.session.commit()
    login_as(people["daily"])
    url = f"/w/{workshop.slug}/stats"
    assert post(f"{url}/urge", {"days": "7"}, form_url="/").status_code == 403
    login_as(host)
    page = get_page(f"{url}?idle=7")
    listed = [a.get_text() for a in page.select("#idle li a")]
    assert listed == ["never", "lapsed"]  # never signed in first; the host herself is not listed
    assert "一键督促（2 人）" in page.get_text()
    assert [a.get_text() for a in get_page(f"{url}?idle=14").select("#idle li a")] == ["never"]
    for bad in ("0", "²", "9" * 5000, "abc"):
        assert client.get(f"{url}?idle={bad}").status_code == 400
    response = post(f"{url}/urge", {"days": "7", "message": "请本周完成第二阶段的学习。"}, form_url=url)
    assert response.status_code == 302
    notes = db.session.execute(select(Notification).where(Notification.kind == "urge")).scalars().all()
    assert sorted(n.user_id for n in notes) == sorted([people["never"].id, people["lapsed"].id])
    assert {n.detail for n in notes} == {"请本周完成第二阶段的学习。"} and {n.space_id for n in notes} == {
        workshop.id
    }
    post(f"{url}/urge", {"days": "7"}, form_url=url)  # again the same day: nobody twice
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 2
    login_as(people["lapsed"])
    inbox = get_page("/notifications")
    assert "提醒您参加研修" in inbox.get_text() and workshop.name in inbox.get_text()
    note = next(n for n in notes if n.user_id == people["lapsed"].id)
    assert client.get(f"/n/{note.id}").headers["Location"] == f"/w/{workshop.slug}"


def test_who_has_not_registered_with_phones_masked_but_for_the_admins(app, login_as, get_page):
    region = make_region("晴隆县")
    school = make_school(region, "晴隆县三宝中学")
    host = make_user("qlhost", "坊主")
    workshop = make_workshop(region, hosts=[host])
    admin = make_user("qladmin", "县管理员")
    appoint(admin, region, REGION_ADMIN)
    for n, registered in enumerate((False, False, True)):
        teacher = make_user(f"ql{n}", f"教师{n}")
        teacher.phone = f"1381234{n:04d}"
        add_member(teacher, school)
        add_member(teacher, workshop)
        _enrol(teacher, school, registered=registered)
        db.session.execute(
            Enrolment.__table__.update()
            .where(Enrolment.user_id == teacher.id)
            .values(workshop_id=workshop.id)
        )
    db.session.commit()
    login_as(admin)
    section = get_page(f"/r/{region.slug}/stats").select_one("#unregistered")
    assert "未报到（2）" in section.get_text() and "13812340000" in section.get_text()
    login_as(host)
    section = get_page(f"/w/{workshop.slug}/stats").select_one("#unregistered")
    assert "未报到（2）" in section.get_text()
    assert "138****0000" in section.get_text() and "13812340000" not in section.get_text()


def test_a_members_own_page_shows_her_weeks(programme, login_as, client, get_page):
    *_, teachers = programme["districts"]["册亨县"]
    her, colleague = teachers[0], teachers[1]
    today = china_today()
    db.session.add_all(ActiveDay(user_id=her.id, day=today - timedelta(days=d)) for d in (7, 8, 9))
    db.session.commit()
    login_as(her)
    assert get_page(f"/u/{her.username}").find("a", string="我的学习情况")
    page = get_page(f"/u/{her.username}/stats")
    text = page.get_text()
    journals = sum(1 for n in range(69) if n % TEACHERS == 0)  # table 1's 69 journals, round robin
    assert "学习了 4 天" in text and f"研修日志 {journals} 篇" in text
    rows = page.select("tbody tr")
    assert sum(int(r.select("td")[0].get_text()) for r in rows) == 4
    login_as(colleague)
    assert client.get(f"/u/{her.username}/stats").status_code == 403
    host = make_user("cehost", "坊主")
    appoint(host, programme["workshop"], HOST)
    add_member(her, programme["workshop"])
    login_as(host)
    assert client.get(f"/u/{her.username}/stats").status_code == 200
    assert client.get("/u/nobody_here/stats").status_code == 404
    assert client.get(f"/u/{her.username}/stats?from=bad").status_code == 400


def test_the_weekly_report_is_drafted_from_the_figures_and_posted(app, login_as, post, client, get_page):
    host = make_user("rephost", "坊主")
    workshop = make_workshop(make_region(), hosts=[host], name="兴义市初中语文工作坊")
    school = make_school()
    today = china_today()
    keen, quiet = make_user("keen", "张丽"), make_user("quiet", "李明")
    for user in (keen, quiet):
        add_member(user, workshop)
        _enrol(user, school, active_days=[today - timedelta(days=9)])
    db.session.add(ActiveDay(user_id=keen.id, day=today))
    thread = _thread(workshop.id, keen.id, TOPIC, utcnow() - timedelta(hours=2))
    db.session.add(_post(thread, keen.id, utcnow() - timedelta(hours=1)))
    db.session.commit()
    login_as(keen)
    url = f"/w/{workshop.slug}/stats/report"
    assert client.get(url).status_code == 403
    login_as(host)
    page = get_page(url)
    body = page.find("textarea").get_text()
    assert "| 学习率 | 50.0% | 100.0% | -50.0 个百分点 |" in body
    assert "| 发帖 | 1 | 0 | +1 |" in body and "| 回帖 | 1 | 0 | +1 |" in body
    assert "本周研修最积极的是：张丽（发帖回帖 2，日志 0）" in body and "李明。" in body
    title = page.find("input", id="title")["value"]
    response = post(
        url,
        {"title": title, "body": body.replace("（请在此写下", "大家辛苦了。（"), "post": "1"},
        form_url=url,
    )
    assert response.status_code == 302
    posted = db.session.execute(select(Thread).where(Thread.title == title)).scalar_one()
    assert posted.space_id == workshop.id and posted.author_id == host.id
    lines = db.session.execute(select(Activity).where(Activity.verb == "report.posted")).scalars().all()
    assert [line.target_id for line in lines] == [posted.id]
    response = post(url, {"title": title, "body": body, "brief": "1"}, form_url=url)
    draft = db.session.execute(select(Brief)).scalar_one()
    assert response.headers["Location"] == f"/b/{draft.id}/edit" and draft.state == "draft"
    post(url, {"title": "下周的通报", "body": "第二份", "brief": "1"}, form_url=url)  # into the same draft
    draft = db.session.execute(select(Brief)).scalar_one()
    assert "## 下周的通报\n\n第二份" in draft.body and draft.body.strip().startswith("各位老师")
    assert post(url, {"title": "", "body": body, "post": "1"}, form_url=url).status_code == 400


def test_host_and_expert_workload(app, login_as, client, get_page):
    from peixun.lessons import service as lessons
    from peixun.resources.models import SELECTED, LibraryEntry
    from tests.factories import make_resource

    county = make_region("兴义市")
    host, expert, teacher = (
        make_user("wlhost", "王坊主"),
        make_user("wlexpert", "刘专家"),
        make_user("wlteach", "教师"),
    )
    workshop = make_workshop(county, hosts=[host])
    appoint(expert, county, "expert")
    add_member(teacher, workshop)
    now = utcnow()
    question = _thread(workshop.id, teacher.id, "question", now - timedelta(hours=5))
    db.session.add(_post(question, expert.id, now - timedelta(hours=2)))  # answered 3 hours later
    db.session.add(
        _post(question, expert.id, now - timedelta(hours=1))
    )  # a second answer: still one question
    db.session.add(
        Brief(
            space_id=workshop.id,
            author_id=host.id,
            series="workshop",
            number=1,
            title="简报",
            state="published",
            published_at=now,
        )
    )
    db.session.add(Activity(space_id=workshop.id, actor_id=host.id, verb="report.posted", detail="学情通报"))
    resource = make_resource(teacher, make_school(county))
    db.session.add(
        LibraryEntry(
            resource_id=resource.id,
            space_id=workshop.id,
            state=SELECTED,
            recommended_by_id=teacher.id,
            decided_by_id=host.id,
            decided_at=now,
        )
    )
    group = make_group(workshop, teacher)
    lessons.create_study(teacher, group, lessons.StudyData(title="《春》", theme="朗读", teacher=teacher))
    db.session.commit()
    admin = make_user("wladmin", "县管理员")
    appoint(admin, county, REGION_ADMIN)
    login_as(host)
    assert client.get(f"/r/{county.slug}/stats/workload").status_code == 403
    login_as(admin)
    page = get_page(f"/r/{county.slug}/stats/workload")
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("tbody tr")
    }
    # role, spaces, 简报, 学情通报, 答疑, 平均用时, 遴选, 课例
    assert rows["王坊主"][:1] == ["坊主"] and rows["王坊主"][2:] == ["1", "1", "0", "—", "1", "1"]
    assert rows["刘专家"][:1] == ["学科专家"] and rows["刘专家"][2:] == ["0", "0", "1", "3.0", "0", "1"]


def test_exports_never_carry_a_formula(programme):
    from peixun.stats import export

    _, school, teachers = programme["districts"]["望谟县"]
    teachers[0].real_name = '=HYPERLINK("http://evil","点我")'
    db.session.commit()
    table = queries.table(school, _week())
    sheet = load_workbook(io.BytesIO(export.to_xlsx(table, table.rows))).active
    names = [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)]
    assert '\'=HYPERLINK("http://evil","点我")' in names
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(3, sheet.max_row + 1))
    rows = list(csv.reader(io.StringIO(export.to_csv(table, table.rows).decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://evil","点我")' in [row[0] for row in rows]
