"""Turn a space's activity into the Markdown of a draft brief, for the host to edit."""

from __future__ import annotations

from datetime import timedelta

from peixun.briefs.activity import Activity
from peixun.core.text import date_cn
from peixun.spaces.models import Space

NAMES_SHOWN = 30


def _names(users: list, limit: int = NAMES_SHOWN, total: int | None = None) -> str:
    shown = "、".join(user.display_name for user in users[:limit])
    return shown + (" 等" if (total or len(users)) > limit else "")


def compose(space: Space, series_label: str, facts: Activity) -> tuple[str, str]:
    """(title, Markdown body). Links are site-relative, so they work in any deployment."""
    last_day = facts.end - timedelta(seconds=1)
    span = f"{date_cn(facts.start)} — {date_cn(last_day)}"
    title = f"{space.name} · {series_label}（{span}）"
    lines = [
        "## 本期概况",
        "",
        f"统计时段：{span}。",
        "",
        f"- 新加入成员 {facts.new_member_count} 人"
        + (f"：{_names(facts.new_members, total=facts.new_member_count)}" if facts.new_members else ""),
        f"- 发起研讨 {facts.threads} 个，回帖 {facts.replies} 条",
        f"- 成员撰写研修日志 {facts.journals} 篇，分享资源 {facts.resources} 份",
        "",
    ]
    if facts.busiest:
        lines += ["## 热门研讨", ""]
        lines += [
            f"{n}. [{thread.title}](/t/{thread.id})（{thread.author.display_name} 发起，本期 {count} 帖）"
            for n, (thread, count) in enumerate(facts.busiest, start=1)
        ]
        lines.append("")
    if facts.featured:
        lines += ["## 精华推荐", ""]
        lines += [f"- [{t.title}](/t/{t.id})（{t.author.display_name}）" for t in facts.featured]
        lines.append("")
    if facts.selected:
        lines += ["## 新入选资源", ""]
        lines += [
            f"- [{e.resource.title}](/res/{e.resource_id})（{e.resource.author.display_name}，"
            f"来自{e.resource.space.name}）"
            for e in facts.selected
        ]
        lines.append("")
    if facts.lessons:
        lines += ["## 课例研究进展", ""]
        lines += [
            f"- [{study.title}](/l/{study.id})：{study.step_label}"
            + (f"（本期新增教学设计 {versions} 稿、观课记录 {observed} 份）" if versions or observed else "")
            for study, versions, observed in facts.lessons
        ]
        lines.append("")
    if facts.table:
        lines += [
            "## 学情统计",
            "",
            f"| {facts.table_by} | 成员 | 本期活跃 | 发帖 | 研修日志 | 资源 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r.name} | {r.members} | {r.active} | {r.posts} | {r.journals} | {r.resources} |"
            for r in facts.table
        ]
        lines.append("")
    if facts.idle_count:
        lines += [
            "## 温馨提醒",
            "",
            f"以下 {facts.idle_count} 位老师还没有参与研修活动，请尽快登录平台，"
            f"参与研讨、撰写研修日志：{_names(facts.idle, total=facts.idle_count)}。",
            "",
        ]
    lines += ["## 下阶段安排", "", "（请在此补充下一阶段的研修任务和要求。）", ""]
    return title[:120], "\n".join(lines)
