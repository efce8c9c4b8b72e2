"""黔西南州's 工作简报 for the demo: `region` drafts it from the activity of every space in
the 州 and adds her 卷首语, a table of each workshop's progress (counted, like the draft),
and the arrangements of the last stage."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.briefs.models import DRAFT, Brief
from peixun.demo import data
from peixun.demo.clock import CHINA
from peixun.demo.editor import Editor
from peixun.demo.texts import briefs as texts
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.spaces.models import ACTIVE, PERSONAL, Membership, Space
from peixun.threads.models import COMMENTS, Post, Thread

WEEK = 8  # published the morning after the end of the programme's eighth week
NEW_MEMBERS = re.compile(r"^- 新加入成员 .*$", re.MULTILINE)


def publish(editor: Editor, admin: User, city: Space, tree: dict[str, Space]) -> Brief:
    rng = editor.clock.rng
    day = editor.clock.start + timedelta(weeks=WEEK, days=1)
    when = (day + CHINA).replace(hour=rng.randint(9, 11), minute=rng.randrange(60), second=0) - CHINA
    workshops = [tree[item.slug] for item in data.WORKSHOPS]

    def finish(brief: Brief, start: datetime, end: datetime) -> tuple[str, str]:
        rows = progress(workshops, start, end)
        busiest = sorted(rows, key=lambda row: -(row[2] + row[3]))[:2]
        praise = texts.REGION_PRAISE.format(names="、".join(row[0] for row in busiest))
        foreword = texts.REGION_FOREWORD.strip().format(
            praise=praise, author=admin.display_name, region=city.name
        )
        table = [
            texts.REGION_TABLE_HEADING,
            "",
            "| 工作坊 | 成员 | 发起研讨 | 回帖 | 分享资源 | 已发布简报 |",
            "|---|---:|---:|---:|---:|---:|",
            *(
                f"| {name} | {members} | {started} | {replies} | {shared} | {issues} 期 |"
                for name, members, started, replies, shared, issues in rows
            ),
            "",
            texts.NEXT_HEADING,
        ]
        body = brief.body.replace(texts.NEXT_HEADING, "\n".join(table))
        body = body.replace(texts.PLACEHOLDER, texts.REGION_NEXT.strip().format(dates=editor.dates(9, 10)))
        # The draft names at most a few dozen newcomers and counts only those (MAX_NAMES
        # in briefs.activity); for the whole 州 she gives the count alone.
        joined = newcomers(city, start, end)
        body = NEW_MEMBERS.sub(f"- 新加入成员 {joined} 人（各坊名单见本坊工作坊简报）", body, count=1)
        title = f"{texts.REGION_THEME}{brief.title[brief.title.rfind('（') :]}"
        return title, f"{foreword}\n\n{body}"

    return editor.issue(admin, city, "work", when, finish)


def progress(
    workshops: list[Space], start: datetime, end: datetime
) -> list[tuple[str, int, int, int, int, int]]:
    """(name, members, threads started, replies, resources shared, issues published) per
    workshop: members now, the rest in the period (issues: all published by its end)."""
    ids = [w.id for w in workshops]
    members = dict(
        db.session.execute(
            select(Membership.space_id, func.count())
            .where(Membership.space_id.in_(ids), Membership.state == ACTIVE)
            .group_by(Membership.space_id)
        ).all()
    )
    posts: dict[tuple[int, bool], int] = {
        (space_id, opening): n
        for space_id, opening, n in db.session.execute(
            select(Thread.space_id, Post.is_opening, func.count())
            .join(Thread, Post.thread_id == Thread.id)
            .where(
                Thread.space_id.in_(ids),
                Thread.kind != COMMENTS,
                Post.deleted_at.is_(None),
                Post.created_at >= start,
                Post.created_at < end,
            )
            .group_by(Thread.space_id, Post.is_opening)
        ).all()
    }
    shared = dict(
        db.session.execute(
            select(Resource.space_id, func.count())
            .where(
                Resource.space_id.in_(ids),
                Resource.deleted_at.is_(None),
                Resource.created_at >= start,
                Resource.created_at < end,
            )
            .group_by(Resource.space_id)
        ).all()
    )
    issues = dict(
        db.session.execute(
            select(Brief.space_id, func.count())
            .where(Brief.space_id.in_(ids), Brief.state != DRAFT, Brief.published_at < end)
            .group_by(Brief.space_id)
        ).all()
    )
    return [
        (
            w.name,
            members.get(w.id, 0),
            posts.get((w.id, True), 0),
            posts.get((w.id, False), 0),
            shared.get(w.id, 0),
            issues.get(w.id, 0),
        )
        for w in workshops
    ]


def newcomers(region: Space, start: datetime, end: datetime) -> int:
    """Everyone who joined a school, workshop or group of the region in the period."""
    return db.session.execute(
        select(func.count(func.distinct(Membership.user_id)))
        .join(Space, Membership.space_id == Space.id)
        .where(
            Space.path.startswith(region.path),
            Space.kind != PERSONAL,
            Membership.state == ACTIVE,
            Membership.created_at >= start,
            Membership.created_at < end,
        )
    ).scalar_one()
