"""A lesson study in a real browser (issue 7): a group leader starts a 课例研究 from the
group's 课例 tab and discusses the plan; the teaching member submits the first design;
a member observes the first lesson; the teacher submits a second design; the diff of the
two drafts marks the inserted words side by side on a desktop and inline on a phone.
Someone outside the group and its workshop is refused the study."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from peixun.accounts.models import User
from peixun.extensions import db
from peixun.spaces import queries as space_queries
from peixun.spaces.models import WORKSHOP
from tests import factories
from tests.e2e.conftest import PHONE, World, log_in, release_session

TITLE = "《背影》第一课时"
THEME = "小组合作学习的有效性"
PLAN_COMMENT = "建议第一次上课重点观察小组讨论环节，大家按四个维度分工记录。"
OLD_LINE = "学生分组讨论课文的主要内容"
NEW_LINE = "学生先独立思考，再分组讨论课文的主要内容"
INSERTED = "先独立思考，再"
CLASSROOM_NOTES = "08:35 小组讨论，第三组偏题"

DESIGN = """# 《背影》第一课时教学设计

## 教学目标

1. 梳理课文的叙事线索，把握父亲的形象。
2. 体会朴实语言中蕴含的深情。

## 教学过程

1. 导入：出示朱自清的照片，简介写作背景。
2. {line}
3. 聚焦“望父买橘”一段，品读动作描写。
4. 小结与作业：写一段描写亲人背影的文字。
"""

RATINGS = {"教学目标": "4", "教学内容": "4", "教学方法与手段": "3", "教学评价": "4"}
OBSERVATION_NOTES = {
    "教学目标": "目标清楚，课堂基本落实。",
    "教学内容": "“望父买橘”一段品读充分。",
    "教学方法与手段": "小组讨论前缺少独立思考的时间，部分小组偏题。",
    "教学评价": "对小组汇报的评价可以更具体。",
}


@dataclass(frozen=True)
class Group:
    slug: str
    leader: str
    teacher: str
    teacher_name: str
    observer: str
    observer_name: str


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def study_group(world: World) -> Group:
    """A study group in the workshop led by the member, with a teacher who will teach the
    lesson and a colleague who observes it (both members of the workshop and the group)."""
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    assert workshop is not None
    leader = user(world.member)
    group = factories.make_group(workshop, leader, name="初二语文研修小组")
    teacher = factories.make_user("chenjing", "陈静", subject="语文", stage="初中")
    observer = factories.make_user("sunlei", "孙磊", subject="语文", stage="初中")
    for colleague in (teacher, observer):
        factories.add_member(colleague, workshop)
        factories.add_member(colleague, group)
    built = Group(
        slug=group.slug,
        leader=world.member,
        teacher="chenjing",
        teacher_name="陈静",
        observer="sunlei",
        observer_name="孙磊",
    )
    release_session()
    return built


def advance(page: Page, step: str) -> None:
    page.get_by_role("button", name=f"进入下一步：{step}").click()
    expect(flash(page, f"已进入：{step}。")).to_be_visible()
    expect(page.get_by_role("list", name="研究步骤").locator("[aria-current=step]")).to_have_text(step)


def submit_design(page: Page, study_url: str, step: str, body: str, note: str, label: str) -> None:
    page.goto(study_url)
    versions = page.locator("#versions")
    expect(versions.locator(":scope > form h3")).to_have_text(f"提交{step}的教学设计")
    versions.get_by_label("教学设计", exact=True).fill(body)
    versions.get_by_label("本稿修改了什么").fill(note)
    versions.get_by_role("button", name="提交本稿").click()
    expect(flash(page, f"已提交{label}。")).to_be_visible()


def test_leader_plans_teacher_prepares_member_observes_and_drafts_are_compared(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    group = study_group(world)

    # 1. The leader opens the group's 课例 tab and starts a study.
    leader = new_context().new_page()
    log_in(leader, group.leader)
    leader.goto(f"/g/{group.slug}")
    leader.get_by_role("navigation", name="空间栏目").get_by_role("link", name="课例").click()
    leader.wait_for_url(f"**/g/{group.slug}/lessons")
    expect(leader.get_by_role("heading", level=2)).to_have_text("课例研究（0）")
    leader.get_by_role("link", name="发起课例研究").click()
    leader.wait_for_url(f"**/g/{group.slug}/lessons/new")
    leader.get_by_label("课题").fill(TITLE)
    leader.get_by_label("研修主题").fill(THEME)
    leader.get_by_label("学科").select_option("语文")
    leader.get_by_label("学段").select_option("初中")
    leader.get_by_label("执教教师").select_option(label=group.teacher_name)
    leader.get_by_role("button", name="创建").click()

    # 2. She lands on the study page in 计划研讨.
    expect(flash(leader, "课例研究已创建，现在是“计划研讨”阶段。")).to_be_visible()
    leader.wait_for_url(re.compile(r"/l/\d+$"))
    study_url = leader.url
    study_path = re.sub(r"^https?://[^/]+", "", study_url)
    expect(leader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(leader.locator(".panel .muted").first).to_contain_text(f"研修主题：{THEME}")
    expect(leader.locator(".panel .muted").first).to_contain_text(f"执教 {group.teacher_name}")
    expect(leader.locator(".panel .muted").first).to_contain_text("初中语文")
    steps = leader.get_by_role("list", name="研究步骤")
    expect(steps.locator("[aria-current=step]")).to_have_text("计划研讨")
    expect(steps.locator("li.current")).to_have_text("计划研讨")
    discussion = leader.get_by_role("region", name="阶段研讨")
    expect(discussion.get_by_role("heading", level=2)).to_have_text("计划研讨 · 研讨（0）")

    # 3. She posts in the step's discussion, then moves on to 一备.
    discussion.get_by_label("内容").fill(PLAN_COMMENT)
    discussion.get_by_role("button", name="发言").click()
    leader.wait_for_url(re.compile(r"/l/\d+\?step=plan#p\d+$"))
    discussion = leader.get_by_role("region", name="阶段研讨")
    expect(discussion.get_by_role("heading", level=2)).to_have_text("计划研讨 · 研讨（1）")
    expect(discussion.locator(".post-body")).to_have_text(PLAN_COMMENT)
    leader.goto(study_url)
    expect(leader.locator("#versions .empty")).to_have_text("还没有教学设计。一备阶段由执教教师提交第一稿。")
    advance(leader, "一备（个人备课）")
    expect(leader.get_by_role("region", name="阶段研讨").get_by_role("heading", level=2)).to_have_text(
        "一备（个人备课） · 研讨（0）"
    )
    # The plan's discussion stays readable from its step.
    expect(leader.get_by_role("list", name="研究步骤").get_by_role("link", name="计划研讨")).to_be_visible()

    # 4. The teaching member submits the first design.
    teacher = new_context().new_page()
    log_in(teacher, group.teacher)
    submit_design(
        teacher,
        study_url,
        "一备（个人备课）",
        DESIGN.format(line=OLD_LINE),
        "第一稿：按课文顺序设计",
        "第1稿（一备）",
    )
    versions = teacher.locator("#versions")
    expect(versions.locator(":scope > h2")).to_have_text("教学设计（1 稿）")
    expect(versions.locator("details[open] summary")).to_contain_text("第1稿（一备）")
    expect(versions.locator("details[open] summary")).to_contain_text(group.teacher_name)
    first = versions.locator("details[open] .post-body")
    expect(first.get_by_role("heading", name="《背影》第一课时教学设计")).to_be_visible()
    expect(first.locator("ol li", has_text=OLD_LINE)).to_have_text(OLD_LINE)
    expect(versions.get_by_role("button", name="查看修改")).to_have_count(0)

    # 5. The leader moves on to the first lesson.
    leader.reload()
    advance(leader, "第一次上课与观课")
    expect(leader.locator("#versions form[enctype]")).to_have_count(0)

    # 6. A member observes it: four ratings, notes, and the classroom record.
    observer = new_context().new_page()
    log_in(observer, group.observer)
    observer.goto(study_url)
    form = observer.locator("form#observe")
    expect(form.get_by_role("heading", level=3)).to_have_text("填写观课记录（第1次上课）")
    for dimension, rating in RATINGS.items():
        form.get_by_label(f"{dimension}（1–5 分）").fill(rating)
        form.get_by_label(f"{dimension}：观察与建议").fill(OBSERVATION_NOTES[dimension])
    form.get_by_label("课堂实录").fill(CLASSROOM_NOTES)
    form.get_by_role("button", name="保存观课记录").click()
    expect(flash(observer, "观课记录已保存。")).to_be_visible()
    observer.wait_for_url(re.compile(r"/l/\d+#rounds$"))
    rounds = observer.locator("#rounds")
    expect(rounds.get_by_role("heading", level=3).first).to_have_text(
        "第1次上课（1 份观课记录，依据第1稿（一备））"
    )
    table = rounds.locator("table.list").first
    for dimension, rating in RATINGS.items():
        row = table.locator("tbody tr", has=observer.get_by_role("cell", name=dimension, exact=True))
        expect(row.locator("td").nth(1)).to_have_text(re.compile(rf"^{rating}(\.0+)?$"))
        expect(row.locator("td").nth(2)).to_contain_text(
            f"{group.observer_name}：{OBSERVATION_NOTES[dimension]}"
        )
    record = rounds.locator("details", has_text=f"{group.observer_name} 的课堂实录")
    record.locator("summary").click()
    expect(record.locator(".prewrap")).to_have_text(CLASSROOM_NOTES)

    # 7. The leader moves on to 二备, and the teacher submits the second design.
    leader.reload()
    advance(leader, "二备（协同备课）")
    submit_design(
        teacher,
        study_url,
        "二备（协同备课）",
        DESIGN.format(line=NEW_LINE),
        "讨论前留出独立思考的时间",
        "第2稿（二备）",
    )
    expect(teacher.locator("#versions > h2")).to_have_text("教学设计（2 稿）")

    # 8. Anyone in the group compares 第1稿 with 第2稿: side by side on a desktop.
    observer.goto(study_url)
    versions = observer.locator("#versions")
    versions.get_by_label("比较").select_option(label="第1稿（一备）")
    versions.get_by_label("与", exact=True).select_option(label="第2稿（二备）")
    versions.get_by_role("button", name="查看修改").click()
    observer.wait_for_url(re.compile(r"/l/\d+/diff\?a=1&b=2$"))
    diff_url = observer.url
    expect(observer.get_by_role("heading", level=1)).to_have_text(f"{TITLE} · 第1稿（一备） → 第2稿（二备）")
    expect(observer.locator(".diff-summary")).to_have_text("修改 1 行")
    side = observer.get_by_role("table", name="第1稿（一备）与第2稿（二备）对照")
    expect(side).to_be_visible()
    changed = side.locator("tr.d-changed")
    expect(changed).to_have_count(1)
    cells = changed.locator("td")
    expect(cells.nth(1)).to_have_text(f"2. {OLD_LINE}")
    expect(cells.nth(1).locator("del")).to_have_count(0)
    expect(cells.nth(3)).to_have_text(f"2. {NEW_LINE}")
    expect(cells.nth(3).locator("ins")).to_have_text(INSERTED)
    expect(cells.nth(3).locator("ins")).to_be_visible()
    expect(observer.locator("ul.diff-inline")).to_be_hidden()

    # ... and inline on a phone, where the table is hidden.
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, group.teacher)
    phone.goto(diff_url)
    inline = phone.get_by_role("list", name="第1稿（一备） → 第2稿（二备）")
    expect(inline).to_be_visible()
    expect(phone.locator("table.diff-side")).to_be_hidden()
    line = inline.locator("li.d-changed")
    expect(line).to_have_count(1)
    expect(line.locator("ins")).to_have_text(INSERTED)
    expect(line.locator("ins")).to_be_visible()
    expect(line).to_contain_text(NEW_LINE)

    # 9. Someone outside the group and the workshop is refused the study and its diff.
    outsider = new_context().new_page()
    log_in(outsider, world.teacher)
    for path in (study_path, study_path + "/diff?a=1&b=2"):
        response = outsider.goto(path)
        assert response is not None and response.status == 403
        expect(outsider.get_by_role("heading", level=1)).to_have_text("没有权限")
        expect(outsider.get_by_text("错误代码 403")).to_be_visible()
        expect(outsider.get_by_text(TITLE)).to_have_count(0)
