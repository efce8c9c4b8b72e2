"""The weekly 学情通报 of a workshop (seed 002: 每周在教师工作坊中进行学情通报): this week's
rates and counts beside last week's, the members to praise and those to urge, drafted
from the figures for the host to finish and post as a discussion or put in a brief."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from peixun.accounts.models import User
from peixun.briefs import service as briefs
from peixun.briefs.models import DRAFT, Brief
from peixun.extensions import db
from peixun.spaces.models import Space
from peixun.spaces.service import record
from peixun.stats import queries, service
from peixun.stats.queries import COLUMNS, Period, Row, china_today
from peixun.threads import service as threads
from peixun.threads.models import TOPIC, Thread

IDLE_DAYS = 7
PRAISED = 3
PLACEHOLDER = "（请在此写下本周的点评和下周的学习安排。）"
FIGURES = (
    "enrolled",
    "registered",
    "report_rate",
    "active",
    "learn_rate",
    "journals",
    "threads",
    "replies",
    "resources",
)


def week_ending(day: date | None = None) -> Period:
    """The seven days ending `day` (today by default)."""
    last = day or china_today()
    return Period(last - timedelta(days=6), last)


def _figure(row: Row, column: str) -> str:
    value = row.value(column)
    if value is None:
        return "—"
    return f"{value:.1f}%" if column in queries.RATES else str(value)


def _change(now: Row, before: Row, column: str) -> str:
    a, b = now.value(column), before.value(column)
    if a is None or b is None:
        return ""
    delta = round(a - b, 1)
    if delta == 0:
        return "持平"
    return f"{delta:+.1f} 个百分点" if column in queries.RATES else f"{int(delta):+d}"


def draft(workshop: Space, period: Period) -> tuple[str, str]:
    """(title, Markdown body) of the 学情通报 for the week `period`."""
    this_week = queries.table(workshop, period)
    last_week = queries.table(
        workshop, Period(period.first - timedelta(days=7), period.last - timedelta(days=7))
    )
    now, before = this_week.total, last_week.total
    dates = f"{period.first.month}月{period.first.day}日—{period.last.month}月{period.last.day}日"
    lines = [
        f"各位老师：本周（{dates}）{workshop.name}的学情如下。",
        "",
        "## 本周概况",
        "",
        "| 项目 | 本周 | 上周 | 变化 |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {COLUMNS[c]} | {_figure(now, c)} | {_figure(before, c)} | {_change(now, before, c)} |"
        for c in FIGURES
    ]
    busy = sorted(
        (r for r in this_week.rows if r.counts["threads"] + r.counts["replies"] + r.counts["journals"]),
        key=lambda r: (-(r.counts["threads"] + r.counts["replies"] + r.counts["journals"]), r.key),
    )[:PRAISED]
    lines += ["", "## 表扬", ""]
    if busy:
        names = "、".join(
            f"{r.name}（发帖回帖 {r.counts['threads'] + r.counts['replies']}，日志 {r.counts['journals']}）"
            for r in busy
        )
        lines.append(f"本周研修最积极的是：{names}。谢谢你们带动大家！")
    else:
        lines.append("本周还没有老师发帖或写研修日志。")
    idle = service.idle_members(workshop, IDLE_DAYS)
    lines += ["", "## 请抓紧学习", ""]
    if idle:
        lines.append(
            f"以下 {len(idle)} 位老师已有 {IDLE_DAYS} 天以上没有登录学习，请尽快完成本阶段的任务："
            + "、".join(u.display_name for u, _ in idle[:60])
            + ("等" if len(idle) > 60 else "")
            + "。"
        )
    else:
        lines.append(f"本周所有老师都在 {IDLE_DAYS} 天内登录学习过，继续保持！")
    lines += ["", "## 坊主寄语", "", PLACEHOLDER]
    return f"{workshop.name}学情通报（{dates}）", "\n".join(lines)


def post(actor: User, workshop: Space, title: str, body: str, form_key: str | None = None) -> Thread:
    """Post the 通报 as a discussion of the workshop; the workload page counts these."""
    done = threads.already_posted(form_key)
    if done is not None:  # the same form twice: posted once
        return done.thread
    thread = threads.start_thread(actor, workshop, kind=TOPIC, title=title, body=body, form_key=form_key)
    record(workshop, actor, "report.posted", thread.title, thread.id)
    db.session.commit()
    return thread


def into_brief(actor: User, workshop: Space, title: str, body: str, form_key: str | None = None) -> Brief:
    """Put the 通报 into the host's 工作坊简报 draft in progress (at its end, under its own
    heading), or start a draft with it when she has none."""
    current = db.session.execute(
        select(Brief)
        .where(
            Brief.space_id == workshop.id,
            Brief.author_id == actor.id,
            Brief.state == DRAFT,
            Brief.series == "workshop",
        )
        .order_by(Brief.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if current is None:
        return briefs.save_draft(
            actor, workshop, series="workshop", title=title, body=body, form_key=form_key
        )
    if title in current.body:  # the same 通报 twice (a double submit): once is enough
        return current
    briefs.edit(
        actor,
        current,
        series=current.series,
        title=current.title,
        body=f"{current.body}\n\n## {title}\n\n{body}",
    )
    return current
