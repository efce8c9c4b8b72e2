"""Learning statistics and the roster import in a real browser (issue 8): a region admin
follows 导入学员名单 from the region's 学情 tab, downloads the template, uploads a roster
with a bad phone number and sees the error by row and column, uploads it corrected,
imports it and downloads the new logins; a new teacher signs in with her initial password
and must choose her own first. A workshop host reads her 学情 table on a phone (the page
does not scroll sideways), then on a desktop changes the period, sorts by a column, sees
the chart, urges the idle members (once a day) and posts the weekly 学情通报 drafted from
the figures; an urged member finds the reminder among her notifications. On a phone the
table keeps its columns and scrolls in its own box."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.core.policy import REGION_ADMIN
from peixun.extensions import db
from peixun.spaces import queries as space_queries
from peixun.spaces.models import REGION, SCHOOL, WORKSHOP
from peixun.stats.models import ActiveDay, Enrolment
from peixun.stats.queries import china_today
from peixun.stats.report import PLACEHOLDER
from peixun.threads import service as threads
from peixun.threads.models import TOPIC
from tests import factories
from tests.e2e.conftest import PHONE, World, log_in, release_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_PHONE, GOOD_PHONE = "1381234567", "13812345680"
NEW_PASSWORD = "chunfeng2025"
URGE_MESSAGE = "本周请完成《背影》整本书阅读研讨的回帖。"
HOST_WORDS = "下周三晚上七点线上研讨《朝花夕拾》，请大家提前读完前五篇。"
MEMBERS = (("liuyang", "刘洋"), ("chenjing", "陈静"), ("sunlei", "孙磊"))
# 应参训 已报到 报到率 活跃 学习率 研修日志 发帖 回帖 分享资源 资源被遴选 课例研究 简报
TOTALS = ["4", "3", "75.00%", "3", "100.00%", "0", "1", "3", "0", "0", "0", "0"]


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def cells(row: Locator) -> Locator:
    return row.locator("td")


def summary(page: Page) -> Locator:
    return page.locator(".panel > p", has_text="天）：")


def stats_row(page: Page, name: str) -> Locator:
    table = page.locator("table.stats")
    return table.locator("tbody tr", has=page.get_by_role("rowheader", name=name, exact=True))


# Roster import --------------------------------------------------------------------


def roster(template: bytes, phone: str, workshop: str) -> dict:
    """The downloaded template filled in: three new teachers and 赵丽, already a user."""
    rows = [
        ["张丽", "女", "13812345678", "兴义市", "兴义市第八中学", "语文", "初中", workshop, ""],
        ["刘芳", "女", "138 1234 5679", "兴义市", "兴义市第一中学", "语文", "初中", "", ""],
        ["黄磊", "男", phone, "兴义市", "兴义市第一中学", "数学", "初中", "", ""],
        ["赵丽", "女", "13812345681", "兴义市", "兴义市第一中学", "语文", "初中", "", "zhaoteacher"],
    ]
    book = load_workbook(io.BytesIO(template))
    for row in rows:
        book.worksheets[0].append(row)
    out = io.BytesIO()
    book.save(out)
    return {"name": "兴义市参训学员信息表.xlsx", "mimeType": XLSX, "buffer": out.getvalue()}


def upload(page: Page, file: dict) -> None:
    expect(page.get_by_role("heading", level=2, name="上传学员信息表")).to_be_visible()
    page.get_by_label("学员信息表", exact=True).set_input_files(file)
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url(re.compile(r"/roster/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"名单预览：{file['name']}")


def test_region_admin_imports_a_roster_and_a_new_teacher_sets_her_password(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    region = space_queries.space_by_slug(REGION, world.region_slug)
    assert region is not None
    factories.appoint(factories.make_user("xuadmin", "徐敏"), region, REGION_ADMIN)
    release_session()

    # 1. The admin follows 导入学员名单 from the region's 学情 tab.
    admin = new_context().new_page()
    log_in(admin, "xuadmin")
    admin.goto(f"/r/{world.region_slug}")
    admin.get_by_role("navigation", name="空间栏目").get_by_role("link", name="学情").click()
    admin.wait_for_url(f"**/r/{world.region_slug}/stats")
    expect(admin.locator("#unregistered h2")).to_have_text("未报到（0）")
    admin.get_by_role("link", name="导入学员名单").click()
    admin.wait_for_url(f"**/r/{world.region_slug}/roster")
    expect(admin.get_by_role("heading", level=1)).to_have_text("导入学员名单")
    expect(admin.get_by_text("还没有导入过名单。")).to_be_visible()

    # 2. She downloads the template: an .xlsx with the columns to fill in.
    with admin.expect_download() as info:
        admin.get_by_role("link", name="学员信息表模板").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    template = Path(download.path()).read_bytes()
    header = [c.value for c in load_workbook(io.BytesIO(template)).worksheets[0][1]]
    assert header[:3] == ["姓名*", "性别*", "手机*"] and header[-1] == "用户名"

    # 3. A roster with a ten-digit phone number: the error by row and column, no import.
    upload(admin, roster(template, BAD_PHONE, world.workshop))
    expect(admin.locator("#summary h2")).to_have_text("有 1 处错误，不能导入")
    errors = admin.locator("#errors table tbody tr")
    expect(errors).to_have_count(1)
    expect(cells(errors.first)).to_have_text(["第 4 行", "手机", "手机号须为 11 位数字"])
    expect(admin.locator("#rows tbody tr", has_text="黄磊")).to_contain_text("有错误：手机")
    expect(admin.get_by_role("button", name="确认导入")).to_have_count(0)

    # 4. She uploads the corrected file: every row can be imported.
    admin.locator("#summary").get_by_role("link", name="重新上传").click()
    upload(admin, roster(template, GOOD_PHONE, world.workshop))
    expect(admin.locator("#summary h2")).to_have_text("可以导入")
    expect(admin.locator("#summary")).to_contain_text("共 4 行：新建 3 个账号，更新 1 人，0 人无变化。")
    expect(admin.locator("#errors")).to_have_count(0)
    outcomes = admin.locator("#rows tbody tr")
    expect(outcomes).to_have_count(4)
    expect(cells(outcomes.first)).to_have_text(["2", "张丽", "zhangli", "兴义市第八中学", "新建"])
    expect(outcomes.nth(3)).to_contain_text("更新：性别、手机、学科、学段、列入名单")
    admin.get_by_role("button", name="确认导入").click()
    expect(
        flash(admin, "已导入 4 行：新建 3 个账号，更新 1 人，0 人无变化。请下载新账号清单，把账号告知老师。")
    ).to_be_visible()
    expect(admin.locator("#summary h2")).to_have_text("已导入")
    expect(admin.get_by_role("button", name="确认导入")).to_have_count(0)

    # 5. She downloads the new logins: the usernames and initial passwords.
    with admin.expect_download() as info:
        admin.get_by_role("link", name="下载新账号清单（含初始密码）").click()
    logins = info.value
    assert re.fullmatch(r"新账号清单-\d+\.xlsx", logins.suggested_filename)
    sheet = load_workbook(io.BytesIO(Path(logins.path()).read_bytes())).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0]]
    assert rows[0] == ("姓名", "用户名", "初始密码", "学校")
    accounts = {r[1]: (r[0], r[2], r[3]) for r in rows[1:4]}
    assert set(accounts) == {"zhangli", "liufang", "huanglei"}
    assert accounts["zhangli"][0::2] == ("张丽", "兴义市第八中学")
    initial = accounts["zhangli"][1]
    assert re.fullmatch(r"[a-z2-9]{10}", initial)

    # The region's 学情 now expects the four teachers, none of whom has signed in yet.
    admin.goto(f"/r/{world.region_slug}/stats")
    expect(admin.locator("#unregistered h2")).to_have_text("未报到（4）")
    expect(cells(admin.locator("table.stats tfoot tr")).first).to_have_text("4")
    expect(cells(stats_row(admin, "兴义市第一中学")).first).to_have_text("3")

    # 6. 张丽 signs in with her initial password and must choose her own before anything else.
    teacher = new_context().new_page()
    log_in(teacher, "zhangli", initial)
    teacher.wait_for_url("**/account/password")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("修改密码")
    expect(teacher.get_by_text("您的账号由管理员创建，请先设置自己的密码再继续使用。")).to_be_visible()
    teacher.goto(f"/w/{world.workshop_slug}")
    teacher.wait_for_url("**/account/password")
    teacher.get_by_label("当前密码").fill(initial)
    teacher.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    teacher.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    teacher.get_by_role("button", name="保存新密码").click()
    expect(flash(teacher, "密码已修改，其他设备上的登录已全部结束。")).to_be_visible()
    teacher.wait_for_url(re.compile(r"/$"))
    header_nav = teacher.get_by_role("navigation", name="主导航")
    expect(header_nav.get_by_role("link", name="张丽")).to_be_visible()
    # She stays signed in, and the roster put her in the workshop.
    teacher.goto(f"/w/{world.workshop_slug}")
    expect(teacher.get_by_role("heading", level=1)).to_have_text(world.workshop)
    expect(teacher.get_by_role("button", name="退出工作坊")).to_be_visible()


# A workshop's 学情 ----------------------------------------------------------------


def enrol(person: User, school_id: int, workshop_id: int, *, seen: bool, days: tuple[int, ...]) -> None:
    """On the roster of the school and workshop; signed in once if `seen`; studied
    `days` days ago."""
    db.session.add(Enrolment(user_id=person.id, school_id=school_id, workshop_id=workshop_id))
    if seen:
        person.last_login_at = utcnow() - timedelta(days=1)
    for ago in days:
        db.session.add(ActiveDay(user_id=person.id, day=china_today() - timedelta(days=ago)))


def members_who_study(world: World) -> None:
    """Four enrolled members: 王晓燕 studied yesterday and ten days ago and replied twice;
    刘洋 studied two days ago, started a discussion and replied once; 陈静 last studied
    twenty days ago; 孙磊 has never signed in."""
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    school = space_queries.space_by_slug(SCHOOL, world.school_slug)
    assert workshop is not None and school is not None
    member = user(world.member)
    people = {u: factories.make_user(u, n, subject="语文", stage="初中") for u, n in MEMBERS}
    for person in people.values():
        factories.add_member(person, workshop)
        factories.add_member(person, school)
    enrol(member, school.id, workshop.id, seen=True, days=(1, 10))
    enrol(people["liuyang"], school.id, workshop.id, seen=True, days=(2,))
    enrol(people["chenjing"], school.id, workshop.id, seen=True, days=(20,))
    enrol(people["sunlei"], school.id, workshop.id, seen=False, days=())
    thread = threads.start_thread(
        people["liuyang"], workshop, kind=TOPIC, title="整本书阅读怎样布置任务", body="请大家说说做法。"
    )
    threads.post_reply(member, thread, "我先让学生做阅读计划。")
    threads.post_reply(member, thread, "再每周交一次读书笔记。")
    threads.post_reply(people["liuyang"], thread, "谢谢，很实用。")
    release_session()


def test_host_reads_sorts_urges_and_reports_the_workshop_learning(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    members_who_study(world)
    stats_path = f"/w/{world.workshop_slug}/stats"

    # 1. On her phone the host opens the workshop's 学情 tab: members and totals, and the
    #    page does not scroll sideways (for the table's own box, see the test below).
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, world.host)
    phone.goto(f"/w/{world.workshop_slug}")
    phone.get_by_role("navigation", name="空间栏目").get_by_role("link", name="学情").click()
    phone.wait_for_url(f"**{stats_path}")
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{world.workshop} · 学情统计")
    expect(phone.get_by_role("heading", level=2, name="按成员")).to_be_visible()
    expect(phone.locator("table.stats tbody tr")).to_have_count(5)  # the host is a member too
    expect(cells(phone.locator("table.stats tfoot tr"))).to_have_text(TOTALS)
    expect(cells(stats_row(phone, world.member_name))).to_have_text(
        ["1", "1", "100.00%", "1", "100.00%", "0", "0", "2", "0", "0", "0", "0"]
    )
    expect(cells(stats_row(phone, "孙磊")).nth(2)).to_have_text("0.00%")
    expect(summary(phone)).to_contain_text(
        re.compile(r"（28 天）：\s*应参训 4 人，已报到 3 人（报到率 75\.00%）")
    )
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # 2. On her desktop she narrows the period to the last seven days: 陈静 was not active.
    host = new_context().new_page()
    log_in(host, world.host)
    host.goto(stats_path)
    today = china_today()
    period = host.get_by_role("form", name="统计时段")
    period.get_by_label("从", exact=True).fill((today - timedelta(days=6)).isoformat())
    period.get_by_role("button", name="统计").click()
    host.wait_for_url(re.compile(r"from=\d{4}-\d\d-\d\d"))
    expect(period.get_by_label("从", exact=True)).to_have_value((today - timedelta(days=6)).isoformat())
    expect(summary(host)).to_contain_text(re.compile(r"（7 天）：\s*应参训 4 人，已报到 3 人"))
    expect(summary(host)).to_contain_text("活跃 2 人（学习率 66.67%）")
    expect(cells(host.locator("table.stats tfoot tr")).nth(4)).to_have_text("66.67%")
    expect(cells(stats_row(host, "陈静")).nth(3)).to_have_text("0")

    # 3. She sorts by 发帖, then the other way round; the chart follows the column.
    head = host.locator("table.stats thead")
    head.get_by_role("link", name="发帖", exact=True).click()
    host.wait_for_url(re.compile(r"sort=threads&dir=desc"))
    assert "from=" in host.url  # the period is kept
    expect(head.locator("th[aria-sort]")).to_have_text("发帖")
    expect(head.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(host.locator("table.stats tbody tr").first.get_by_role("rowheader")).to_have_text("刘洋")
    chart = host.get_by_role("img", name="发帖，按成员")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(5)
    expect(chart.locator("text.bar-label").first).to_have_text("刘洋")
    expect(chart.locator("text.bar-value").first).to_have_text("1")
    head.get_by_role("link", name="发帖", exact=True).click()
    host.wait_for_url(re.compile(r"sort=threads&dir=asc"))
    expect(head.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(host.locator("table.stats tbody tr").last.get_by_role("rowheader")).to_have_text("刘洋")

    # 4. 督促: the members idle for seven days, the one who never came first.
    idle = host.locator("#idle")
    expect(idle.get_by_role("heading", level=2)).to_have_text("督促：7 天以上没有学习的成员（2）")
    items = idle.get_by_role("listitem")
    expect(items).to_have_count(2)
    last_seen = today - timedelta(days=20)
    expect(items).to_have_text(["孙磊 从未登录学习", f"陈静 最后学习：{last_seen.month}月{last_seen.day}日"])
    idle.get_by_label("提醒的话").fill(URGE_MESSAGE)
    idle.get_by_role("button", name="一键督促（2 人）").click()
    expect(flash(host, "已提醒 2 人。")).to_be_visible()
    host.wait_for_url(re.compile(r"idle=7#idle$"))
    # Urging again the same day sends nothing twice.
    host.locator("#idle").get_by_role("button", name="一键督促（2 人）").click()
    expect(flash(host, "已提醒 0 人。2 人今天已提醒过，未重复发送。")).to_be_visible()

    # 5. The weekly 学情通报, drafted from this week's and last week's figures.
    host.get_by_role("link", name="生成本周学情通报").click()
    host.wait_for_url(f"**{stats_path}/report")
    expect(host.get_by_role("heading", level=1)).to_have_text("本周学情通报")
    first = today - timedelta(days=6)
    title = f"{world.workshop}学情通报（{first.month}月{first.day}日—{today.month}月{today.day}日）"
    expect(host.get_by_label("标题")).to_have_value(title)
    body = host.get_by_label("通报内容")
    draft = body.input_value()
    for line in (
        "| 项目 | 本周 | 上周 | 变化 |",
        "| 应参训 | 4 | 4 | 持平 |",
        "| 报到率 | 75.0% | 75.0% | 持平 |",
        "| 活跃 | 2 | 1 | +1 |",
        "| 学习率 | 66.7% | 33.3% | +33.3 个百分点 |",
        "| 发帖 | 1 | 0 | +1 |",
        "| 回帖 | 3 | 0 | +3 |",
        "以下 2 位老师已有 7 天以上没有登录学习，请尽快完成本阶段的任务：孙磊、陈静。",
        f"## 坊主寄语\n\n{PLACEHOLDER}",
    ):
        assert line in draft, line
    assert f"{world.member_name}（发帖回帖 2，日志 0）" in draft
    body.fill(draft.replace(PLACEHOLDER, HOST_WORDS))
    host.get_by_role("button", name="发布到工作坊研讨").click()

    # 6. She lands on the posted discussion, the figures as a table.
    expect(flash(host, "学情通报已发布。")).to_be_visible()
    host.wait_for_url(re.compile(r"/t/\d+$"))
    expect(host.get_by_role("heading", level=1)).to_have_text(title)
    posted = host.locator(".post-body").first
    figures = posted.get_by_role("table")
    expect(figures.get_by_role("row", name=re.compile(r"^学习率"))).to_have_text(
        re.compile(r"学习率\s*66\.7%\s*33\.3%\s*\+33\.3 个百分点")
    )
    expect(posted.get_by_role("heading", name="坊主寄语")).to_be_visible()
    expect(posted).to_contain_text(HOST_WORDS)
    expect(posted).not_to_contain_text(PLACEHOLDER)

    # 7. 陈静 signs in and finds the reminder among her notifications.
    urged = new_context().new_page()
    log_in(urged, "chenjing")
    urged.goto("/notifications")
    reminder = urged.get_by_role("listitem").filter(has_text="提醒您参加研修")
    expect(reminder).to_have_count(1)
    expect(reminder).to_contain_text(world.host_name)
    expect(reminder.get_by_role("link", name=world.workshop)).to_be_visible()
    expect(reminder).to_contain_text(f"（{URGE_MESSAGE}）")
    expect(reminder.locator(".tag.new")).to_have_text("未读")


def test_stats_table_keeps_its_columns_and_scrolls_in_its_box_on_a_phone(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    members_who_study(world)
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, world.host)
    phone.goto(f"/w/{world.workshop_slug}/stats")
    expect(phone.locator("table.stats tfoot tr td")).to_have_text(TOTALS)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    head = phone.locator("table.stats thead")
    expect(head.get_by_role("link", name="学习率", exact=True)).to_be_visible(timeout=1_000)
    scroller = phone.locator(".table-scroll").filter(has=phone.locator("table.stats"))
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    assert scroller.evaluate("el => { el.scrollLeft = 200; return el.scrollLeft; }") > 0
