"""The demo's briefs (简报), through the briefs services: each workshop's 工作坊简报 at
the ends of the programme's stages, drafted from the workshop's own activity (every number
is counted) and finished by its host (卷首语, 答疑, 下阶段安排); the first workshop's
研修快讯 and its host's next issue still in draft; 黔西南州's 工作简报 from `region`;
readers and a few comments. Dates go in at the end, in bulk, except each issue's
published_at: the next issue counts "since the previous one", so it is set at once."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.briefs import service
from peixun.briefs.models import Brief
from peixun.core.db import utcnow
from peixun.demo import data, region_brief
from peixun.demo.clock import CHINA
from peixun.demo.editor import Editor, Finish, apply_dates
from peixun.demo.texts import briefs as texts
from peixun.extensions import db
from peixun.spaces.models import ACTIVE, Membership, Space
from peixun.threads.models import COMMENTS, Post, Thread

# Which stages' ends each workshop's host writes an issue at (weeks of the programme);
# the first workshop writes at all three.
PLANS = ((2, 5, 8), (2, 5, 8), (2, 5), (5, 8), (2, 8))
STAGE_AT = {2: 0, 5: 1, 8: 2}
NEWS_WEEK = 7
READ_SHARE = (0.3, 0.75)  # of a workshop's members who have read an issue
REGION_READERS = 80  # teachers across the 州, besides the hosts


def build(users: dict[str, User], rosters: list[list[User]], tree: dict[str, Space]) -> None:
    rng = random.Random(f"{data.SEED}-briefs")
    editor = Editor(rng, utcnow().replace(microsecond=0))
    # As in discussions.build: nothing else writes meanwhile, so loaded objects stay true.
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        for k, (item, roster) in enumerate(zip(data.WORKSHOPS, rosters, strict=True)):
            workshop_briefs(editor, k, item, roster, tree[item.slug], users)
        work = region_brief.publish(editor, users["region"], tree[data.CITY.slug], tree)
        hosts = [
            u for item, roster in zip(data.WORKSHOPS, rosters, strict=True) for u in roster[: item.hosts]
        ]
        teachers = [
            u for item, roster in zip(data.WORKSHOPS, rosters, strict=True) for u in roster[item.hosts :]
        ]
        editor.read(work, hosts + rng.sample(teachers, REGION_READERS))
        editor.comment(work, list(zip(rng.sample(hosts, 2), rng.sample(texts.HOST_COMMENTS, 2), strict=True)))
        apply_dates(editor)
    finally:
        session.expire_on_commit = expiring
        session.expire_all()  # the dates were written in bulk, behind the loaded objects


def workshop_briefs(
    editor: Editor, k: int, item: data.Workshop, roster: list[User], space: Space, users: dict[str, User]
) -> list[Brief]:
    """2–3 published issues, each read by some members; in the first workshop also the
    研修快讯, comments, and the host's next issue in draft."""
    rng = editor.rng
    hosts, members = roster[: item.hosts], roster[item.hosts :]
    weeks = PLANS[0] if k == 0 else rng.choice(PLANS)
    news_due = k == 0
    issues: list[Brief] = []
    for n, week in enumerate(weeks):
        if news_due and week > NEWS_WEEK:
            news = news_issue(editor, hosts[0], space, item, users)
            editor.read(news, rng.sample(members, len(members) // 2))
            news_due = False
        author = hosts[0] if k == 0 else hosts[n % len(hosts)]
        stage = texts.STAGES[STAGE_AT[week]]
        fmt = _fmt(item, author)
        finish = _finisher(editor, stage, fmt, space, {h.id for h in hosts})
        brief = editor.issue(author, space, "workshop", editor.evening(week), finish)
        share = rng.uniform(*READ_SHARE) * (1.2 if k == 0 else 1.0) * (1 - 0.15 * n)
        editor.read(brief, rng.sample([m for m in roster if m is not author], round(share * len(members))))
        issues.append(brief)
    if k == 0:
        first, second = issues[0], issues[1]
        writers = [users["teacher"], users["leader"], members[-1]]
        editor.comment(first, list(zip(writers, texts.FIRST_COMMENTS, strict=True)))
        asking = rng.choice([m for m in members if m not in writers])
        talk = [(users["leader"], texts.SECOND_COMMENTS[0]), (asking, texts.SECOND_COMMENTS[1])]
        editor.comment(second, [*talk, (hosts[0], texts.HOST_REPLY)])
        draft_issue(editor, hosts[0], space)
    return issues


def _fmt(item: data.Workshop, author: User) -> dict[str, str]:
    return {
        "workshop": item.name,
        "subject": item.subject,
        "stage": item.stage,
        "author": author.display_name,
        "groups": "、".join(item.groups),
    }


def _span(title: str) -> str:
    """The period at the end of a drafted title: （3月2日 — 3月15日）."""
    return title[title.rfind("（") :] if "（" in title else ""


def _finisher(
    editor: Editor, stage: texts.Stage, fmt: dict[str, str], space: Space, hosts: set[int]
) -> Finish:
    def finish(brief: Brief, start: datetime, end: datetime) -> tuple[str, str]:
        best = top_writers(space, start, end, hosts)
        praise = ""
        if best:
            praise = texts.PRAISE.format(names="、".join(u.display_name for u in best))
        values = {**fmt, "praise": praise, "dates": editor.dates(*stage.next_weeks)}
        foreword = editor.rng.choice(stage.forewords).strip().format(**values)
        body = brief.body.replace(texts.PLACEHOLDER, stage.next_stage.strip().format(**values))
        body = body.replace(
            texts.NEXT_HEADING, stage.questions.strip().format(**values) + "\n\n" + texts.NEXT_HEADING
        )
        return f"{stage.theme}{_span(brief.title)}", f"{foreword}\n\n{body}"

    return finish


def top_writers(space: Space, start: datetime, end: datetime, hosts: set[int], limit: int = 3) -> list[User]:
    """The members (not hosts, nor the experts who answer there) who posted most in the
    space in the period."""
    count = func.count(Post.id)
    rows = db.session.execute(
        select(User, count)
        .join(Post, Post.author_id == User.id)
        .join(Thread, Post.thread_id == Thread.id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.space_id == space.id))
        .where(
            Membership.state == ACTIVE,
            Thread.space_id == space.id,
            Thread.kind != COMMENTS,
            Post.deleted_at.is_(None),
            Post.created_at >= start,
            Post.created_at < end,
            User.id.notin_(hosts),
        )
        .group_by(User.id)
        .order_by(count.desc(), User.id)
        .limit(limit)
    ).all()
    return [user for user, n in rows if n >= 2]


def news_issue(
    editor: Editor, host: User, space: Space, item: data.Workshop, users: dict[str, User]
) -> Brief:
    """The first workshop's 研修快讯 on its offline lesson-polishing day."""
    when = editor.evening(NEWS_WEEK)
    local = when + CHINA
    values = {
        **_fmt(item, host),
        "date": f"{local.month}月{local.day}日",
        "school": data.school_name(data.HOST_SCHOOL),
        "group": item.groups[0],
        "leader": users["leader"].display_name,
    }
    brief = service.save_draft(
        host,
        space,
        series="news",
        title=texts.NEWS_TITLE.format(**values),
        body=texts.NEWS_BODY.strip().format(**values),
    )
    editor.created[brief.id] = when - timedelta(minutes=editor.rng.randint(30, 90))
    editor.release(host, brief, when)
    return brief


def draft_issue(editor: Editor, host: User, space: Space) -> Brief:
    """The host's next issue, drafted from the activity up to now and just begun."""
    brief = service.draft_from_activity(host, space, "workshop")
    body = f"{texts.DRAFT_FOREWORD.strip()}\n\n{brief.body}"
    service.edit(host, brief, series="workshop", title=f"{texts.DRAFT_THEME}{_span(brief.title)}", body=body)
    now = editor.clock.now
    editor.created[brief.id] = now - timedelta(hours=editor.rng.randint(20, 30))
    editor.edited[brief.id] = now - timedelta(hours=editor.rng.randint(1, 3))
    return brief
