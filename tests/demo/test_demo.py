"""The demo community: its shape, its named logins and their roles, its discussions and
resource libraries, and loading only once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from peixun.accounts.models import User
from peixun.accounts.service import find_user
from peixun.briefs.models import DRAFT, PUBLISHED, Brief, BriefRead
from peixun.core.db import utcnow
from peixun.core.policy import EXPERT, GROUP_LEADER, HOST, REGION_ADMIN, SCHOOL_ADMIN, load_actor
from peixun.core.policy import can as policy_can
from peixun.demo import data
from peixun.demo.builder import load_demo
from peixun.demo.texts import briefs as brief_texts
from peixun.demo.texts import chinese, journals
from peixun.extensions import db
from peixun.resources.models import (
    DECLINED,
    OFFERED,
    SELECTED,
    Blob,
    Call,
    LibraryEntry,
    Resource,
    ResourceVote,
)
from peixun.spaces.models import (
    ACTIVE,
    GROUP,
    INVITED,
    REGION,
    REQUESTED,
    SCHOOL,
    WORKSHOP,
    Membership,
    RoleAssignment,
    Space,
)
from peixun.threads.models import COMMENTS, JOURNAL, QUESTION, Notification, Post, Thread

# The one role each demo login holds (the site admin holds none: is_admin is her role).
ROLES = {
    "admin": None,
    "region": REGION_ADMIN,
    "school": SCHOOL_ADMIN,
    "host": HOST,
    "leader": GROUP_LEADER,
    "expert": EXPERT,
    "teacher": None,
}


def _space(kind: str, slug: str) -> Space:
    return db.session.execute(select(Space).where(Space.kind == kind, Space.slug == slug)).scalar_one()


def _count(statement) -> int:
    return db.session.execute(statement).scalar_one()


def _row_counts() -> dict[str, int]:
    return {
        table.name: _count(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def _members(space: Space, state: str = ACTIVE) -> int:
    return _count(
        select(func.count())
        .select_from(Membership)
        .where(Membership.space_id == space.id, Membership.state == state)
    )


def test_load_builds_the_programme_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "workshops): 10" in first.output

    city = _space(REGION, "qianxinan")
    assert city.parent is not None and city.parent.slug == "guizhou"
    districts = db.session.execute(select(Space).where(Space.parent_id == city.id)).scalars().all()
    assert {d.name for d in districts} == {d.region.name for d in data.DISTRICTS}
    assert len(districts) == 9 and all(d.region_level == "county" and d.description for d in districts)
    schools = db.session.execute(select(Space).where(Space.kind == SCHOOL)).scalars().all()
    assert len(schools) >= 27 and all(s.parent_id in {d.id for d in districts} for s in schools)

    workshops = db.session.execute(select(Space).where(Space.kind == WORKSHOP)).scalars().all()
    assert len(workshops) == 10
    assert {w.subject for w in workshops} == {"语文", "数学", "英语"}
    for workshop in workshops:
        hosts = _count(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.space_id == workshop.id, RoleAssignment.role == HOST)
        )
        groups = db.session.execute(
            select(Space).where(Space.parent_id == workshop.id, Space.kind == GROUP)
        ).scalars()
        assert 1 <= hosts <= 2 and 45 <= _members(workshop) <= 60, workshop.name
        for group in groups:
            assert 6 <= _members(group) <= 9, group.name

    users = _count(select(func.count()).select_from(User))
    assert 500 <= users <= 520
    teachers = db.session.execute(select(User).where(User.username.like("teacher%"))).scalars().all()
    in_school = set(
        db.session.execute(
            select(Membership.user_id)
            .join(Space, Membership.space_id == Space.id)
            .where(Space.kind == SCHOOL)
        ).scalars()
    )
    assert all(t.id in in_school and t.subject and t.stage for t in teachers)
    assert len({t.real_name for t in teachers}) == len(teachers)

    workshop = _space(WORKSHOP, data.FIRST_WORKSHOP.slug)
    assert _members(workshop, REQUESTED) >= 2 and _members(workshop, INVITED) >= 1
    assert _members(_space(WORKSHOP, data.SECOND_WORKSHOP.slug), INVITED) == 1

    before = _row_counts()
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "already has data" in again.output
    assert load_demo(app.config["DEMO_PASSWORD"]) is None
    assert _row_counts() == before


def test_each_demo_login_signs_in_and_holds_its_role(app, client, login_as, get_page):
    assert load_demo(app.config["DEMO_PASSWORD"]) is not None
    users = {login.username: find_user(login.username) for login in data.DEMO_LOGINS}
    assert set(users) == {"admin", "region", "school", "host", "leader", "expert", "teacher"}
    for login in data.DEMO_LOGINS:
        user = users[login.username]
        assert user is not None and not user.must_change_password
        login_as(user, password=app.config["DEMO_PASSWORD"])
        client.delete_cookie("peixun_session")

    city = _space(REGION, "qianxinan")
    school = _space(SCHOOL, data.ADMIN_SCHOOL)
    other_school = _space(SCHOOL, data.TEACHER_SCHOOL)
    workshop = _space(WORKSHOP, data.FIRST_WORKSHOP.slug)
    other_workshop = _space(WORKSHOP, data.SECOND_WORKSHOP.slug)
    group = db.session.execute(
        select(Space).where(Space.parent_id == workshop.id, Space.name == data.FIRST_WORKSHOP.groups[0])
    ).scalar_one()

    def can(username: str, action: str, target: object) -> bool:
        return policy_can(load_actor(users[username]), action, target)

    assert can("admin", "admin.access", None) and not can("region", "admin.access", None)
    assert can("region", "space.edit", city) and can("region", "space.manage_members", workshop)
    assert can("school", "space.edit", school) and not can("school", "space.edit", other_school)
    assert can("host", "space.manage_members", workshop) and can("host", "group.create", workshop)
    assert not can("host", "space.manage_members", other_workshop)
    assert can("leader", "space.manage_members", group) and not can(
        "leader", "space.manage_members", workshop
    )
    assert EXPERT in load_actor(users["expert"]).roles_over(workshop)
    assert can("teacher", "space.leave", workshop) and can("teacher", "space.leave", group)
    assert not can("teacher", "space.manage_members", workshop)
    for username, role in ROLES.items():
        held = set().union(*load_actor(users[username]).roles.values())
        assert held == ({role} if role else set()), username
    assert users["admin"].is_admin and not any(u.is_admin for name, u in users.items() if name != "admin")
    invited = db.session.execute(
        select(Membership).where(Membership.user_id == users["teacher"].id, Membership.state == INVITED)
    ).scalar_one()
    assert invited.space_id == other_workshop.id and can("teacher", "membership.respond", invited)

    assert "黔西南州" in get_page(f"/r/{city.slug}").get_text()
    assert data.FIRST_WORKSHOP.name in get_page(f"/w/{workshop.slug}").get_text()
    assert school.name in get_page(f"/s/{school.slug}").get_text()
    login_as(users["host"], password=app.config["DEMO_PASSWORD"])
    manage = get_page(f"/w/{workshop.slug}/members/manage").get_text()
    assert "暂无待审核的申请" not in manage and "待接受的邀请" in manage


def _threads(space: Space) -> list[Thread]:
    """The space's discussions (not the comments under its resources)."""
    return list(
        db.session.execute(
            select(Thread).where(Thread.space_id == space.id, Thread.kind != COMMENTS)
        ).scalars()
    )


def _posts(thread: Thread) -> list[Post]:
    return list(
        db.session.execute(select(Post).where(Post.thread_id == thread.id).order_by(Post.id)).scalars()
    )


def test_discussions_fill_every_workshop(app, client, login_as, get_page):
    password = app.config["DEMO_PASSWORD"]
    assert load_demo(password) is not None
    now = utcnow()
    users = {name: find_user(name) for name in ("host", "teacher", "expert", "leader", "region")}
    workshops = db.session.execute(select(Space).where(Space.kind == WORKSHOP)).scalars().all()
    for workshop in workshops:
        threads = _threads(workshop)
        assert 6 <= len(threads) <= 10, workshop.name
        assert sum(t.is_pinned for t in threads) == 1 and 1 <= sum(t.is_featured for t in threads) <= 2
        answered = [t for t in threads if t.accepted_post_id is not None]
        assert 1 <= len(answered) <= 2 and all(t.kind == QUESTION for t in answered)
        for thread in answered:
            answer = db.session.get(Post, thread.accepted_post_id)
            assert answer.thread_id == thread.id and not answer.is_opening
            assert load_actor(answer.author).roles_over(workshop) & {HOST, EXPERT}
        for thread in threads:
            posts = _posts(thread)
            assert len(posts) <= 13 and posts[0].is_opening
            # Dated in the programme's ten weeks, replies after the opening, in order.
            dates = [p.created_at for p in posts]
            assert dates == sorted(dates) and thread.created_at == dates[0]
            assert thread.last_activity_at == dates[-1] <= now
            assert dates[0] >= now - timedelta(weeks=10, days=1)

    posts = db.session.execute(select(Post)).scalars().all()
    assert not any(p.is_held for p in posts)  # every demo post passes the network-safety screen
    bodies = "\n".join(p.body for p in posts)
    html = "".join(p.body_html for p in posts)
    assert "\n\n@" in bodies and any(p.body.startswith("> ") for p in posts)
    assert all(tag in html for tag in ("<table>", "<strong>", "<ol>", "<ul>", "<blockquote>"))
    created = sorted(
        t.created_at for t in db.session.execute(select(Thread).where(Thread.kind != COMMENTS)).scalars()
    )
    assert created[0] < now - timedelta(weeks=8) and created[-1] > now - timedelta(weeks=2)

    notices = _threads(_space(REGION, data.CITY.slug))
    assert len(notices) == 2 and all(t.author_id == users["region"].id for t in notices)
    assert all(len(_posts(t)) >= 4 for t in notices)

    journal_list = db.session.execute(select(Thread).where(Thread.kind == JOURNAL)).scalars().all()
    per_writer: dict[int, list[Thread]] = {}
    for journal in journal_list:
        per_writer.setdefault(journal.author_id, []).append(journal)
        assert journal.space.kind == "personal" and journal.space.owner_id == journal.author_id
    assert 20 <= len(per_writer) <= 40 and all(1 <= len(j) <= 3 for j in per_writer.values())
    private = [j for j in journal_list if not j.is_public and j.author_id != users["teacher"].id]
    assert private

    # The named logins take part in the first workshop.
    first = _space(WORKSHOP, data.FIRST_WORKSHOP.slug)
    first_threads = _threads(first)
    for name in ("host", "teacher", "expert", "leader"):
        assert any(p.author_id == users[name].id for t in first_threads for p in _posts(t)), name
    question = next(t for t in first_threads if t.title == chinese.TEACHER_QUESTION.title)
    assert question.author_id == users["teacher"].id
    assert db.session.get(Post, question.accepted_post_id).author_id == users["expert"].id
    mine = {j.title: j.is_public for j in per_writer[users["teacher"].id]}
    assert mine == {title: public for title, _, public in journals.TEACHER_JOURNALS}
    public_title, private_title = (title for title, _, _ in journals.TEACHER_JOURNALS)

    login_as(users["teacher"], password=password)
    listing = get_page(f"/w/{first.slug}/threads").get_text()
    assert question.title in listing and "置顶" in listing and "精华" in listing
    accepted = get_page(f"/t/{question.id}").find("section", class_="accepted")
    assert accepted is not None and "用阅读任务单代替读书笔记" in accepted.get_text()
    own = get_page("/u/teacher/threads").get_text()
    assert public_title in own and private_title in own
    # Private journals are hidden from everyone else's view of the journal list.
    journal = private[0]
    others = get_page(f"/u/{journal.author.username}/threads").get_text()
    assert journal.title not in others
    assert all(j.title in others for j in per_writer[journal.author_id] if j.is_public)
    client.delete_cookie("peixun_session")
    login_as(users["host"], password=password)
    theirs = get_page("/u/teacher/threads").get_text()
    assert public_title in theirs and private_title not in theirs


def _entries(space: Space, state: str = SELECTED) -> list[LibraryEntry]:
    return list(
        db.session.execute(
            select(LibraryEntry).where(LibraryEntry.space_id == space.id, LibraryEntry.state == state)
        ).scalars()
    )


def test_resource_libraries_fill_every_workshop_and_the_region(app, client, login_as, get_page):
    password = app.config["DEMO_PASSWORD"]
    assert load_demo(password) is not None
    now = utcnow()
    users = {name: find_user(name) for name in ("host", "teacher", "region")}
    workshops = db.session.execute(select(Space).where(Space.kind == WORKSHOP)).scalars().all()
    for workshop in workshops:
        entries = _entries(workshop)
        assert 6 <= len(entries) <= 12, workshop.name
        resources = [e.resource for e in entries]
        assert {r.subject for r in resources} == {workshop.subject}
        assert len({r.author_id for r in resources}) >= len(resources) - 1  # a spread of teachers
        blobs = [r.blob for r in resources if r.blob is not None]
        assert len({b.kind for b in blobs}) >= 3
        assert all(b.text_status == "ok" and b.text.strip() for b in blobs), workshop.name
        assert all((r.blob is None) == bool(r.link_url) for r in resources)
        assert sum(e.is_excellent for e in entries) == 1
        assert len(_entries(workshop, OFFERED)) == 1  # waiting in the host's queue
    # Every distinct document was stored (and read) once.
    assert _count(select(func.count()).select_from(Blob)) == _count(
        select(func.count(func.distinct(Resource.blob_sha256)))
    )
    first = _space(WORKSHOP, data.FIRST_WORKSHOP.slug)
    waiting = _entries(first, OFFERED)[0]
    assert waiting.resource.author_id == users["teacher"].id and waiting.from_space.kind == "personal"
    declined = db.session.execute(select(LibraryEntry).where(LibraryEntry.state == DECLINED)).scalars().all()
    assert declined and all(e.reason and e.decided_by_id for e in declined)

    city = _space(REGION, data.CITY.slug)
    region_entries = _entries(city)
    titles = [e.resource.title for e in region_entries]
    assert len(titles) == len(set(titles)) >= 25
    own = [e for e in region_entries if e.from_space_id is None]
    assert len(own) >= 6 and all(e.resource.author_id == users["region"].id for e in own)
    # Provenance: the workshop it was shared in, for each workshop's best.
    upward = [e for e in region_entries if e.resource.space.kind == WORKSHOP]
    assert {e.resource.space_id for e in upward} == {w.id for w in workshops}
    assert all(e.from_space_id == e.resource.space_id and e.decided_by_id for e in upward)
    assert any(e.is_excellent for e in upward)
    assert _entries(city, OFFERED)  # the 教研员's queue too

    calls = db.session.execute(select(Call).where(Call.space_id == city.id)).scalars().all()
    assert len(calls) == 3 and all(c.is_open for c in calls)
    for call in calls:
        answers = (
            db.session.execute(select(LibraryEntry).where(LibraryEntry.call_id == call.id)).scalars().all()
        )
        assert len(answers) >= 2 and any(a.state == SELECTED for a in answers), call.title
        assert all(a.resource.author_id == a.recommended_by_id for a in answers)

    resources = db.session.execute(select(Resource)).scalars().all()
    assert not any(r.is_held for r in resources)  # the catalogue passes the network-safety screen
    for resource in resources:
        votes = _count(
            select(func.count()).select_from(ResourceVote).where(ResourceVote.resource_id == resource.id)
        )
        assert resource.vote_count == votes
        assert now - timedelta(weeks=10, days=1) <= resource.created_at <= now
        for entry in resource.entries:
            assert resource.created_at <= entry.created_at <= entry.placed_at <= now
    assert len({r.download_count for r in resources}) > 20 and max(r.vote_count for r in resources) >= 8
    comments = db.session.execute(select(Thread).where(Thread.kind == COMMENTS)).scalars().all()
    assert sum(len(_posts(t)) for t in comments) >= 10

    login_as(users["host"], password=password)
    library = get_page(f"/w/{first.slug}/resources?sort=downloads").get_text()
    assert "精品" in library
    assert waiting.resource.title in get_page(f"/w/{first.slug}/resources/review").get_text()
    get_page(f"/w/{first.slug}/resources?sort=votes")
    get_page(f"/r/{city.slug}/resources")
    get_page(f"/r/{city.slug}/calls")
    get_page(f"/calls/{calls[0].id}")
    shown = get_page(f"/res/{upward[0].resource_id}").get_text()
    assert upward[0].resource.space.name in shown and upward[0].resource.author.real_name in shown
    get_page("/u/teacher/resources")
    client.delete_cookie("peixun_session")
    login_as(users["region"], password=password)
    queue = get_page(f"/r/{city.slug}/resources/review").get_text()
    assert any(e.resource.title in queue for e in _entries(city, OFFERED))


def _issues(space: Space, series: str) -> list[Brief]:
    return list(
        db.session.execute(
            select(Brief)
            .where(Brief.space_id == space.id, Brief.series == series, Brief.state == PUBLISHED)
            .order_by(Brief.number)
        ).scalars()
    )


def _reads(brief: Brief) -> int:
    return _count(select(func.count()).select_from(BriefRead).where(BriefRead.brief_id == brief.id))


def test_briefs_sum_up_each_stage_and_the_region(app, client, login_as, get_page):
    password = app.config["DEMO_PASSWORD"]
    assert load_demo(password) is not None
    now = utcnow()
    users = {name: find_user(name) for name in ("host", "teacher", "region")}
    workshops = db.session.execute(select(Space).where(Space.kind == WORKSHOP)).scalars().all()
    for workshop in workshops:
        issues = _issues(workshop, "workshop")
        assert len(issues) >= 2, workshop.name
        assert [b.number for b in issues] == list(range(1, len(issues) + 1))
        published = [b.published_at for b in issues]
        assert published == sorted(published) and len(set(published)) == len(published)
        assert now - timedelta(weeks=10) < published[0] and published[-1] < now - timedelta(weeks=1)
        for brief in issues:
            assert workshop.created_at < brief.created_at <= brief.published_at == brief.updated_at
            assert brief_texts.PLACEHOLDER not in brief.body and "## 下阶段安排" in brief.body
            assert "## 本期概况" in brief.body and "## 答疑" in brief.body and "——" in brief.body
            assert 0 < _reads(brief) < _members(workshop)  # the readers page shows both
            assert brief.thread is not None and brief.thread.created_at == brief.published_at
        # Each issue counts since the previous one: its numbers are the workshop's own.
        start, end = issues[0].published_at, issues[1].published_at
        kinds = dict(
            db.session.execute(
                select(Post.is_opening, func.count())
                .join(Thread, Post.thread_id == Thread.id)
                .where(
                    Thread.space_id == workshop.id,
                    Thread.kind != COMMENTS,
                    Post.deleted_at.is_(None),
                    Post.created_at >= start,
                    Post.created_at < end,
                )
                .group_by(Post.is_opening)
            ).all()
        )
        assert f"发起研讨 {kinds.get(True, 0)} 个，回帖 {kinds.get(False, 0)} 条" in issues[1].body
    notified = db.session.execute(select(Notification).where(Notification.kind == "brief")).scalars().all()
    dates = {b.thread_id: b.published_at for b in db.session.execute(select(Brief)).scalars()}
    assert notified and all(n.created_at == dates[n.thread_id] for n in notified)

    first = _space(WORKSHOP, data.FIRST_WORKSHOP.slug)
    assert len(_issues(first, "workshop")) == 3 and len(_issues(first, "news")) == 1
    draft = db.session.execute(select(Brief).where(Brief.state == DRAFT)).scalar_one()
    assert draft.space_id == first.id and draft.author_id == users["host"].id and draft.number is None
    assert brief_texts.PLACEHOLDER in draft.body  # the host has only begun it
    comments = [p for b in _issues(first, "workshop")[:2] for p in _posts(b.thread)]
    assert len(comments) >= 5 and not any(p.is_held for p in comments)
    assert any(p.author_id == users["host"].id for p in comments)

    city = _space(REGION, data.CITY.slug)
    (work,) = _issues(city, "work")
    assert work.author_id == users["region"].id and work.number == 1
    assert all(w.name in work.body for w in workshops) and brief_texts.PLACEHOLDER not in work.body
    assert work.published_at > max(b.published_at for w in workshops for b in _issues(w, "workshop"))

    login_as(users["teacher"], password=password)
    listing = get_page(f"/w/{first.slug}/briefs").get_text()
    assert draft.title not in listing and all(b.title in listing for b in _issues(first, "workshop"))
    client.delete_cookie("peixun_session")
    login_as(users["host"], password=password)
    assert draft.title in get_page(f"/w/{first.slug}/briefs").get_text()
    issue = _issues(first, "workshop")[0]
    shown = get_page(f"/b/{issue.id}").get_text()
    assert issue.title in shown and brief_texts.FIRST_COMMENTS[0] in shown
    readers = get_page(f"/b/{issue.id}/readers").get_text()
    assert "未读" in readers and users["teacher"].real_name in readers
    get_page(f"/r/{city.slug}/briefs")
    get_page(f"/b/{work.id}")
