"""Lesson-study appraisals in a real browser (seed 003): two study groups of a workshop have
finished their studies (built with service calls); the first group's leader writes the 自评
by the rubric; the 坊主 opens a 组互评; the leader 自荐s her study and the 坊主 selects the
other group's; the allocation refuses a reviewer from the entry's own group, then gives each
entry a reviewer of the other group; a reviewer scores on a phone; the 坊主 publishes the
awards; the leader sees the award and the anonymous comment; an outsider is refused the review."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from peixun.accounts.models import User
from peixun.extensions import db
from peixun.lessons import appraisals, queries, service
from peixun.lessons.models import DIMENSIONS, LESSON_ROUNDS, PREPARATION_STEPS, RUBRIC, STEPS, LessonStudy
from peixun.spaces import queries as space_queries
from peixun.spaces.models import WORKSHOP, Space
from tests import factories
from tests.e2e.conftest import PHONE, World, log_in, release_session

THEME = "小组合作学习的有效性"
TITLE, OTHER_TITLE, OTHER_GROUP = "《背影》第一课时", "《春》第二课时", "初一语文研修小组"
APPRAISAL = "2025学年第一学期课例组互评"
SELF_SCORES = {"topic": 13, "design": 22, "observation": 18, "effect": 17, "reflection": 16}
SELF_REVIEW = "三次备课都有观课依据，二备后小组讨论前留出了独立思考的时间。"
REVIEW_SCORES = {"topic": 12, "design": 20, "observation": 17, "effect": 16, "reflection": 15}
COMMENT = "改进有观课依据，第二次上课的小组讨论明显更聚焦；建议补充学生习作样例。"
# The app has no clock of its own: deadlines are days from today (China time at the end of the day).
ENTRY_DEADLINE = date.today() + timedelta(days=7)
REVIEW_DEADLINE = date.today() + timedelta(days=14)


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def label(code: str) -> str:
    name, points, _ = RUBRIC[code]
    return f"{name}（0–{points} 分）"


def finished_study(leader: User, group: Space, teacher: User, observer: User, title: str) -> int:
    """Walk a study through the service up to 自评与推荐: three designs, two observed
    lessons, the summary, and the published case."""
    study = service.create_study(
        leader,
        group,
        service.StudyData(title=title, theme=THEME, teacher=teacher, subject="语文", stage="初中"),
    )
    while study.step != "summary":
        if study.step in PREPARATION_STEPS:
            service.add_version(
                teacher, study, f"# {title}教学设计\n\n{STEPS[study.step]}：先独立思考，再小组讨论。"
            )
        elif study.step in LESSON_ROUNDS:
            ratings = dict.fromkeys(DIMENSIONS, 4)
            service.observe(observer, study, service.ObservationData(ratings=ratings, notes={}))
        service.advance(leader, study, study.step)
    service.save_summary(leader, study, "独立思考后再讨论，小组汇报的质量明显提高。")
    service.finish(leader, study, queries.case_markdown(study))
    assert study.step == "review" and study.resource_id is not None
    return study.id


def study_group(
    workshop: Space, leader: User, name: str, people: tuple[tuple[str, str], ...], title: str
) -> int:
    """A group of the workshop with a teacher and an observer, and its finished study."""
    group = factories.make_group(workshop, leader, name=name)
    teacher, observer = (factories.make_user(u, n, subject="语文", stage="初中") for u, n in people)
    for colleague in (teacher, observer):
        factories.add_member(colleague, workshop)
        factories.add_member(colleague, group)
    return finished_study(leader, group, teacher, observer, title)


def two_groups(world: World) -> int:
    """初二 led by the member (陈静 teaches, 孙磊 observes) and 初一 led by 刘洋 (黄敏
    teaches, 周杰 observes), everyone a member of the workshop. Only 初一 has its 自评:
    returns 初二's study."""
    workshop = space_queries.space_by_slug(WORKSHOP, world.workshop_slug)
    assert workshop is not None
    study = study_group(
        workshop, user(world.member), "初二语文研修小组", (("chenjing", "陈静"), ("sunlei", "孙磊")), TITLE
    )
    leader = factories.make_user("liuyang", "刘洋", subject="语文", stage="初中")
    other = study_group(
        workshop, leader, OTHER_GROUP, (("huangmin", "黄敏"), ("zhoujie", "周杰")), OTHER_TITLE
    )
    appraisals.save_self_review(leader, db.session.get(LessonStudy, other), SELF_SCORES, "春景描写品读充分。")
    release_session()
    return study


def entry_row(page: Page, title: str) -> Locator:
    return page.locator("table.list tbody tr", has=page.get_by_role("link", name=title, exact=True))


def test_self_review_peer_appraisal_allocation_scoring_and_published_awards(
    world: World, new_context: Callable[..., BrowserContext]
) -> None:
    study_path = f"/l/{two_groups(world)}"

    # 1. The leader writes the group's 自评 on the study page.
    leader = new_context().new_page()
    log_in(leader, world.member)
    leader.goto(study_path)
    expect(leader.get_by_role("list", name="研究步骤").locator("li.current")).to_have_text("自评与推荐")
    review = leader.locator("#review")
    expect(review.get_by_role("heading", level=2)).to_have_text("自评与推荐")
    expect(review.get_by_text("还没有参加评价或评选。")).to_be_visible()
    expect(review.get_by_role("button", name="报送")).to_have_count(0)  # no appraisal is open yet
    form = review.locator("form", has=leader.get_by_role("button", name="保存自评"))
    expect(form.get_by_role("heading", level=3)).to_have_text("填写自评（满分 100）")
    for code, points in SELF_SCORES.items():
        form.get_by_label(label(code)).fill(str(points))
    form.get_by_label("自评意见").fill(SELF_REVIEW)
    form.get_by_role("button", name="保存自评").click()
    expect(flash(leader, "自评已保存。")).to_be_visible()
    leader.wait_for_url(re.compile(rf"{study_path}#review$"))
    review = leader.locator("#review")
    expect(review.get_by_role("heading", name="自评：86 / 100 分")).to_be_visible()
    expect(review.locator("tr", has_text="教学设计改进")).to_contain_text("22 / 25")
    expect(review.locator(".post-body")).to_have_text(SELF_REVIEW)
    expect(review.get_by_role("heading", name="修改自评（满分 100）")).to_be_visible()

    # 2. The 坊主 opens a 组互评 from the workshop's 课例 tab.
    host = new_context().new_page()
    log_in(host, world.host)
    host.goto(f"/w/{world.workshop_slug}")
    host.get_by_role("navigation", name="空间栏目").get_by_role("link", name="课例").click()
    host.get_by_role("link", name="组互评与评选").click()
    host.wait_for_url(f"**/w/{world.workshop_slug}/appraisals")
    expect(host.get_by_role("heading", level=2)).to_have_text("组互评与优秀课例评选（0）")
    host.get_by_role("link", name="发起评价或评选").click()
    host.get_by_label("评价方式").select_option(label="组互评")
    host.get_by_label("名称").fill(APPRAISAL)
    host.get_by_label("说明").fill("各研修组自荐一节课例，由其他组的老师按评分标准评审。")
    host.get_by_label("报送截止日期").fill(ENTRY_DEADLINE.isoformat())
    host.get_by_label("评审截止日期").fill(REVIEW_DEADLINE.isoformat())
    host.get_by_label("每个课例的评审人数").fill("1")
    host.get_by_role("button", name="发起").click()
    expect(flash(host, "已发起组互评。")).to_be_visible()
    host.wait_for_url(re.compile(r"/a/\d+$"))
    appraisal_url = host.url
    expect(host.get_by_role("heading", level=1)).to_have_text(APPRAISAL)
    expect(host.get_by_text("报送中", exact=True)).to_be_visible()
    expect(host.get_by_text("每个课例 1 位评审人", exact=False)).to_be_visible()
    expect(host.get_by_text("还没有报送的课例。", exact=False)).to_be_visible()

    # 3. The leader 自荐s her study; the 坊主 selects the other group's.
    leader.goto(study_path)
    review = leader.locator("#review")
    review.get_by_label("报送到").select_option(label=f"{APPRAISAL}（{world.workshop} · 组互评）")
    review.get_by_label("推荐理由").fill("三备两打磨完整，观课分工明确。")
    review.get_by_role("button", name="报送").click()
    expect(flash(leader, f"已报送到“{APPRAISAL}”。")).to_be_visible()
    entry = leader.locator("#review li", has=leader.get_by_role("link", name=APPRAISAL))
    expect(entry).to_contain_text("评审中")
    expect(leader.locator("#review").get_by_role("button", name="报送")).to_have_count(0)

    host.reload()
    expect(host.get_by_role("heading", level=2, name="报送的课例（1）")).to_be_visible()
    expect(entry_row(host, TITLE).locator("td").nth(1)).to_have_text("自荐")
    choices = host.locator("#allocate").get_by_label("选送的课例")
    expect(choices.locator("option")).to_have_text([f"{OTHER_TITLE}（{OTHER_GROUP}）"])
    choices.select_option(label=f"{OTHER_TITLE}（{OTHER_GROUP}）")
    host.locator("#allocate").get_by_label("推荐理由").fill("春景描写品读扎实。")
    host.get_by_role("button", name="选送课例").click()
    expect(flash(host, "已加入评选。")).to_be_visible()
    expect(host.get_by_role("heading", level=2, name="报送的课例（2）")).to_be_visible()
    expect(entry_row(host, OTHER_TITLE).locator("td").nth(1)).to_have_text("组织者选送")
    expect(host.get_by_text("本空间及下级空间暂无可选送的课例", exact=False)).to_be_visible()

    # 4. Allocation refuses 孙磊 alone (he is in the first entry's group); with 周杰 it works.
    reviewers = host.get_by_label("评审人（用户名，逗号分隔）")
    reviewers.fill("sunlei")
    host.get_by_role("button", name="分配评审").click()
    expect(flash(host, f"评审人不够：{TITLE} 还需要更多评审人（评审人不能评本组的课例）。")).to_be_visible()
    expect(entry_row(host, TITLE).locator("td").nth(3)).to_have_text("未分配")
    expect(entry_row(host, OTHER_TITLE).locator("td").nth(3)).to_have_text("未分配")
    reviewers.fill("sunlei，zhoujie")
    host.get_by_role("button", name="分配评审").click()
    expect(flash(host, "已分配 2 份评审任务。")).to_be_visible()
    expect(entry_row(host, TITLE).locator("td").nth(3)).to_have_text("周杰（未评）")
    expect(entry_row(host, OTHER_TITLE).locator("td").nth(3)).to_have_text("孙磊（未评）")

    # 5. 周杰 scores the first group's case on his phone.
    reviewer = new_context(viewport=PHONE).new_page()
    log_in(reviewer, "zhoujie")
    reviewer.goto("/")  # his home page lists the task
    reviewer.get_by_role("link", name="您有 1 份课例评审任务待评分").click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("我的评审任务（1）")
    task = reviewer.locator("tbody tr")
    expect(task).to_contain_text(f"{APPRAISAL}（组互评）")
    expect(task.locator("td").nth(3)).to_have_text("待评")
    task.get_by_role("link", name=TITLE).click()
    reviewer.wait_for_url(re.compile(r"/a/reviews/\d+$"))
    review_path = re.sub(r"^https?://[^/]+", "", reviewer.url)
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(f"评审：{TITLE}")
    expect(reviewer.get_by_text("自评 86 / 100 分", exact=False)).to_be_visible()
    reviewer.get_by_text("本组自评").click()
    expect(reviewer.get_by_text(SELF_REVIEW)).to_be_visible()
    case = reviewer.locator("#case")
    expect(case.get_by_role("heading", name="磨课总结")).to_be_attached()
    score = reviewer.locator("#score")
    expect(score.get_by_role("heading", level=2)).to_have_text("评分（满分 100）")
    for code, points in REVIEW_SCORES.items():
        score.get_by_label(label(code)).fill(str(points))
    score.get_by_label("评审意见").fill(COMMENT)
    # The case (with its observation table) and the form fit the phone: no sideways scrolling.
    assert reviewer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    submit = score.get_by_role("button", name="提交评分")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    submit.click()
    expect(flash(reviewer, "评分已提交，截止前可以修改。")).to_be_visible()
    expect(score.get_by_label(label("design"))).to_have_value("20")
    expect(score.get_by_role("button", name="修改评分")).to_be_visible()
    reviewer.goto("/a/reviews")
    expect(reviewer.locator("tbody tr td").nth(3)).to_have_text("已评 80 分")

    # 6. The 坊主 publishes the results with awards.
    host.goto(appraisal_url)
    first = entry_row(host, TITLE)
    expect(first.locator("td").nth(2)).to_have_text("80.0")
    expect(first.locator("td").nth(3)).to_have_text("周杰（80）")
    expect(first.locator("td").nth(4)).to_contain_text("1/1 已评")
    first.get_by_label("奖项").select_option(label="一等奖")
    entry_row(host, OTHER_TITLE).get_by_label("奖项").select_option(label="三等奖")
    host.get_by_role("button", name="公布评选结果").click()
    expect(flash(host, "评选结果已公布。")).to_be_visible()
    expect(host.get_by_role("heading", level=2)).to_have_text("评选结果（2）")
    expect(host.get_by_text("结果已公布", exact=True)).to_be_visible()
    expect(entry_row(host, TITLE).locator("td").last).to_have_text("一等奖")
    expect(entry_row(host, OTHER_TITLE).locator("td").last).to_have_text("三等奖")
    expect(host.get_by_role("button", name="分配评审")).to_have_count(0)

    # 7. The leader sees the award and the comment, not who wrote it.
    leader.goto(study_path)
    entry = leader.locator("#review li", has=leader.get_by_role("link", name=APPRAISAL))
    expect(entry.locator(".tag")).to_have_text("一等奖")
    expect(entry).to_contain_text(f"评审意见（80 分）：{COMMENT}")
    expect(entry).not_to_contain_text("评审中")
    for name in ("周杰", "zhoujie"):
        expect(entry).not_to_contain_text(name)
    entry.get_by_role("link", name=APPRAISAL).click()
    expect(entry_row(leader, TITLE)).to_contain_text("一等奖")
    expect(leader.get_by_text("周杰")).to_have_count(0)
    expect(leader.get_by_text("孙磊")).to_have_count(0)

    # The reviewer reads his scores back; the form is gone once the results are out.
    reviewer.goto(review_path)
    expect(reviewer.locator("#score tr", has_text="合计")).to_contain_text("80")
    expect(reviewer.locator("#score form")).to_have_count(0)

    # An outsider (a teacher at the school, not in the workshop) is refused the review.
    outsider = new_context().new_page()
    log_in(outsider, world.teacher)
    response = outsider.goto(review_path)
    assert response is not None and response.status == 403
    expect(outsider.get_by_role("heading", level=1)).to_have_text("没有权限")
    expect(outsider.get_by_text("错误代码 403")).to_be_visible()
    expect(outsider.get_by_text(COMMENT)).to_have_count(0)
