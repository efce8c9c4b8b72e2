"""A tour of every page type of the demo community: one or more URLs for each GET route
that answers HTML, with the user who sees it (tests/test_html_valid.py checks them with
the Nu HTML Checker, tests/e2e/test_accessibility.py with axe-core in Chromium)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.accounts.service import find_user
from peixun.briefs.models import DRAFT, PUBLISHED, Brief
from peixun.demo import data
from peixun.demo.builder import load_demo
from peixun.extensions import db
from peixun.lessons.models import Appraisal, AppraisalReview, DesignVersion, LessonStudy
from peixun.resources.models import Call, Resource
from peixun.search import service as search
from peixun.spaces.models import GROUP, Space
from peixun.stats import importer
from peixun.stats.models import RosterImport
from peixun.stats.roster import COLUMNS
from peixun.threads import service as threads
from peixun.threads.models import JOURNAL, QUESTION, TOPIC, Post, PostVersion, Thread

# GET routes that answer something other than an HTML page, and why.
NOT_HTML = {
    "static": "the stylesheet, script and icons (their size is counted with each page)",
    "briefs.booklet": "a .docx booklet",
    "health.healthz": "JSON for load balancers and monitors (tests/core/test_health.py)",
    "briefs.export": "a .docx brief",
    "briefs.feed": "an Atom feed",
    "files.download": "the uploaded file",
    "files.thumbnail": "a picture",
    "files.view_file": "the uploaded file, shown inline",
    "inbox.open_notification": "marks a notification read and redirects to what it is about",
    "roster.download_template": "an .xlsx template",
    "roster.logins": "a .csv of new logins",
    "stats.export_stats": "a .csv or .xlsx table",
    "threads.permalink": "redirects to the reply on its thread page",
}

WORKSHOP = data.FIRST_WORKSHOP.slug
CITY = data.CITY.slug
DISTRICT = data.DISTRICT_ADMIN_REGION
SCHOOL = data.ADMIN_SCHOOL


@dataclass(frozen=True)
class Stop:
    """One page: its URL, who looks at it (a username, None for a guest), the status it
    answers with, and whether it is a main page (also checked at phone width).  With
    `submit`, the page is what its form answers when sent empty by that button."""

    url: str
    who: str | None = None
    status: int = 200
    main: bool = False
    submit: str | None = None


def prepare_demo(app: Flask) -> None:
    """Load the demo community, index it, and upload a roster for its preview page."""
    assert load_demo(app.config["DEMO_PASSWORD"]) is not None
    teacher = find_user("teacher")
    reply = db.session.execute(
        select(Post)
        .where(Post.author_id == teacher.id, Post.is_opening.is_(False))
        .order_by(Post.id)
        .limit(1)
    ).scalar_one()
    threads.edit_post(teacher, reply, reply.body + "\n\n（补充：课后又读了一遍，改写了第二段。）")
    search.sync()
    school = data.school_name(SCHOOL)
    rows = [
        ["杨晓梅", "女", "13885901234", "兴义市", school, "语文", "初中", "", ""],
        ["罗建国", "男", "13985907788", "兴义市", school, "数学", "初中", "", ""],
        ["韦丽", "女", "1398590", "兴义市", "不存在的学校", "语文", "初中", "", ""],
    ]
    csv = "\n".join(",".join(row) for row in [list(COLUMNS), *rows])
    region = db.session.execute(select(Space).where(Space.slug == CITY)).scalar_one()
    importer.start(find_user("region"), region, io.BytesIO(csv.encode()), "学员名单.csv")


def _first(statement) -> int:
    found = db.session.execute(statement.limit(1)).scalar()
    assert found is not None, f"the demo has none of {statement}"
    return found


def _space_id(slug: str) -> int:
    return _first(select(Space.id).where(Space.slug == slug))


def _username(user_id: int) -> str:
    return db.session.get(User, user_id).username


def _spaces() -> list[Stop]:
    group = db.session.get(
        Space, _first(select(Space.id).where(Space.kind == GROUP, Space.parent_id == _space_id(WORKSHOP)))
    )
    w = f"/w/{WORKSHOP}"
    return [
        Stop("/", main=True),
        Stop("/", "teacher", main=True),
        Stop(f"/r/{CITY}", "region", main=True),
        Stop(f"/r/{DISTRICT}", "teacher"),
        Stop(f"/s/{SCHOOL}", "school", main=True),
        Stop(w, main=True),
        Stop(w, "host", main=True),
        Stop(f"/g/{group.slug}", "leader"),
        Stop("/u/teacher", "teacher", main=True),
        Stop(f"{w}/members", "teacher"),
        Stop(f"{w}/members/manage", "host"),
        Stop(f"{w}/edit", "host"),
        Stop(f"{w}/groups/new", "host"),
    ]


def _accounts_and_admin() -> list[Stop]:
    teacher_id = _first(select(User.id).where(User.username == "teacher"))
    space_id = _space_id(WORKSHOP)
    return [
        Stop("/login"),
        Stop("/register"),
        Stop("/account/profile", "teacher"),
        Stop("/account/password", "teacher"),
        Stop("/notifications", "teacher"),
        Stop("/admin/", "admin"),
        Stop("/admin/users", "admin"),
        Stop("/admin/users/new", "admin"),
        Stop(f"/admin/users/{teacher_id}/password", "admin"),
        Stop("/admin/spaces", "admin"),
        *(Stop(f"/admin/spaces/new/{kind}", "admin") for kind in ("region", "school", "workshop")),
        Stop(f"/admin/spaces/{space_id}/edit", "admin"),
        Stop("/admin/screen", "admin"),
        Stop("/admin/vocab", "admin"),
        Stop("/admin/search", "admin"),
        Stop("/admin/audit", "admin"),
        Stop("/admin/audit?group=members", "admin"),
    ]


def _threads() -> list[Stop]:
    space_id = _space_id(WORKSHOP)
    in_workshop = select(Thread.id).where(Thread.space_id == space_id)
    biggest = (
        select(Post.thread_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.space_id == space_id)
        .group_by(Post.thread_id)
        .order_by(func.count().desc(), Post.thread_id)
    )
    threads = {
        _first(biggest),
        _first(in_workshop.where(Thread.kind == TOPIC).order_by(Thread.id)),
        _first(in_workshop.where(Thread.kind == QUESTION).order_by(Thread.id)),
        _first(select(Thread.id).where(Thread.kind == JOURNAL).order_by(Thread.id)),
    }
    edited = db.session.get(Post, _first(select(PostVersion.post_id).order_by(PostVersion.id)))
    w = f"/w/{WORKSHOP}"
    return [
        *(Stop(f"/t/{thread_id}", "host", main=True) for thread_id in sorted(threads)),
        Stop(f"/p/{edited.id}/edit", _username(edited.author_id)),
        Stop(f"/p/{edited.id}/history", "host"),
        Stop(f"{w}/threads", "teacher", main=True),
        Stop(f"{w}/threads/new", "teacher"),
        Stop(f"{w}/threads/moderation", "host"),
        Stop(f"{w}/threads/questions", "expert"),
        Stop(f"{w}/threads/review", "host"),
        Stop("/u/teacher/threads", "teacher"),
        Stop("/u/teacher/threads/new", "teacher"),
    ]


def _resources() -> list[Stop]:
    space_id = _space_id(WORKSHOP)
    shown = _first(select(Resource.id).where(Resource.space_id == space_id).order_by(Resource.id))
    resource = db.session.get(Resource, shown)
    call_id = _first(select(Call.id).order_by(Call.id))
    w = f"/w/{WORKSHOP}"
    return [
        Stop(f"{w}/resources", "teacher", main=True),
        Stop(f"/r/{CITY}/resources", "region", main=True),
        Stop(f"{w}/resources/new", "teacher"),
        Stop(f"{w}/resources/review", "host"),
        Stop(f"/res/{shown}", "teacher", main=True),
        Stop(f"/res/{shown}/edit", _username(resource.author_id)),
        Stop("/u/teacher/resources", "teacher"),
        Stop("/u/teacher/resources/new", "teacher"),
        Stop(f"{w}/calls", "host"),
        Stop(f"{w}/calls/new", "host"),
        Stop(f"/calls/{call_id}", "host"),
    ]


def _briefs() -> list[Stop]:
    space_id = _space_id(WORKSHOP)
    published = _first(
        select(Brief.id).where(Brief.space_id == space_id, Brief.state == PUBLISHED).order_by(Brief.id)
    )
    draft = db.session.get(Brief, _first(select(Brief.id).where(Brief.state == DRAFT)))
    w = f"/w/{WORKSHOP}"
    return [
        Stop(f"{w}/briefs", "teacher", main=True),
        Stop(f"{w}/briefs/new", "host"),
        Stop(f"/b/{published}", "teacher", main=True),
        Stop(f"/b/{published}/readers", "host"),
        Stop(f"/b/{draft.id}/edit", _username(draft.author_id)),
    ]


def _lessons() -> list[Stop]:
    studies = db.session.execute(select(LessonStudy).order_by(LessonStudy.id)).scalars()
    diffed = _first(
        select(DesignVersion.study_id)
        .group_by(DesignVersion.study_id)
        .having(func.count() > 1)
        .order_by(DesignVersion.study_id)
    )
    appraisals = db.session.execute(select(Appraisal.id).order_by(Appraisal.id)).scalars()
    review = db.session.get(AppraisalReview, _first(select(AppraisalReview.id).order_by(AppraisalReview.id)))
    w = f"/w/{WORKSHOP}"
    return [
        # Every study: each stands at another step and shows other forms.
        *(Stop(f"/l/{study.id}", _username(study.author_id), main=study.id == 1) for study in studies),
        Stop(f"/l/{diffed}/diff?a=1&b=2", "host"),
        Stop(f"{w}/lessons", "teacher", main=True),
        Stop(f"{w}/lessons/new", "host"),
        Stop(f"{w}/appraisals", "host"),
        Stop(f"{w}/appraisals/new", "host"),
        *(Stop(f"/a/{appraisal_id}", "host") for appraisal_id in appraisals),
        Stop("/a/reviews", _username(review.reviewer_id)),
        Stop(f"/a/reviews/{review.id}", _username(review.reviewer_id)),
    ]


def _stats_and_search() -> list[Stop]:
    record = _first(select(RosterImport.id).order_by(RosterImport.id))
    w = f"/w/{WORKSHOP}"
    return [
        Stop(f"{w}/stats", "host", main=True),
        Stop(f"/r/{CITY}/stats/workload", "region"),
        Stop(f"{w}/stats/report", "host"),
        Stop(f"/r/{CITY}/stats", "region", main=True),
        Stop(f"/s/{SCHOOL}/stats", "school"),
        Stop("/u/teacher/stats", "teacher"),
        Stop(f"/r/{CITY}/roster", "region"),
        Stop(f"/roster/{record}", "region"),
        Stop("/search", "teacher"),
        Stop("/search?q=整本书阅读", "teacher", main=True),
        Stop("/search?q=整本书阅读&kind=resource"),
        Stop("/search?q=火星探测器", "teacher"),
    ]


def _errors() -> list[Stop]:
    w = f"/w/{WORKSHOP}"
    return [
        Stop("/login", submit="登录", status=400),
        Stop("/register", submit="注册", status=400),
        Stop("/account/password", "teacher", submit="保存新密码", status=400),
        Stop(f"{w}/threads/new", "teacher", submit="发布", status=400),
        Stop(f"{w}/resources/new", "teacher", submit="分享", status=400),
        Stop("/admin/", "teacher", status=403),
        Stop("/t/999999", status=404),
        Stop("/logout", "teacher", status=405),
        Stop(f"/roster/{_first(select(RosterImport.id))}?show=nonsense", "region", status=404),
    ]


def demo_tour() -> list[Stop]:
    """Every stop of the tour, on the demo community (loaded, with one roster preview)."""
    return [
        *_spaces(),
        *_accounts_and_admin(),
        *_threads(),
        *_resources(),
        *_briefs(),
        *_lessons(),
        *_stats_and_search(),
        *_errors(),
    ]


def uncovered_routes(app: Flask, stops: list[Stop]) -> list[str]:
    """The GET routes that answer HTML (not in NOT_HTML) that no stop of the tour visits."""
    adapter = app.url_map.bind("localhost")
    visited = set()
    for stop in stops:
        if stop.status == 200 and not stop.submit:
            rule, _ = adapter.match(urlsplit(stop.url).path, method="GET", return_rule=True)
            visited.add(rule.rule)
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NOT_HTML and rule.rule not in visited
    )
