"""`flask demo load`: build the demo community once."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from peixun.demo import builder, data

demo_cli = AppGroup("demo", help="演示数据 (demo data).")

LABELS = {
    "regions": "区域",
    "schools": "学校",
    "workshops": "工作坊",
    "groups": "研修小组",
    "users": "用户",
    "memberships": "成员关系",
    "pending": "待处理的申请和邀请",
    "threads": "研讨帖（主题研讨和问答）",
    "replies": "回帖",
    "journals": "研修日志",
    "resources": "资源",
    "files": "资源文件（不同内容）",
    "library_entries": "资源库中的资源（各库合计）",
    "calls": "定向征集",
    "comments": "资源评论",
    "briefs": "已发布的简报（工作坊简报、研修快讯、工作简报）",
    "brief_drafts": "简报草稿",
    "brief_reads": "简报阅读记录",
    "brief_comments": "简报评论",
    "lesson_studies": "课例研究（计划研讨到已完成的各个阶段）",
    "appraisals": "课例评价（组互评、优秀课例评选）",
    "enrolments": "名单中的学员（应参训）",
    "active_days": "学员登录学习的天数（各人合计）",
}


@demo_cli.command("load")
def load() -> None:
    """Build the 黔西南州 demo community; does nothing when the site already has regions."""
    started = time.perf_counter()
    counts = builder.load_demo(current_app.config["DEMO_PASSWORD"])
    if counts is None:
        click.echo("数据库中已有区域数据，未载入演示数据。 (The database already has data; demo not loaded.)")
        return
    seconds = time.perf_counter() - started
    click.echo(f"演示数据已载入，用时 {seconds:.1f} 秒。 (Demo data loaded in {seconds:.1f} s.)")
    for key, label in LABELS.items():
        click.echo(f"  {label} ({key}): {counts[key]}")
    click.echo("演示账号 (demo logins), 密码 (password) = DEMO_PASSWORD:")
    for login in data.DEMO_LOGINS:
        click.echo(f"  {login.username:<8} {login.role}")
