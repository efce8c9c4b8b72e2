"""Demo discussions written through the threads services: topics and Q&A in every
workshop (pinned, 精华, accepted answers), the region's notices and teachers'
research journals, dated over the programme's ten weeks."""

from __future__ import annotations

import random

from sqlalchemy import select

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.demo import data
from peixun.demo.texts import QUESTION, Discussion, chinese, common, english, journals, maths
from peixun.demo.writer import Writer, apply_dates
from peixun.extensions import db
from peixun.spaces import service as spaces
from peixun.spaces.models import SCHOOL, Membership, Space
from peixun.threads.models import JOURNAL, Thread

SUBJECTS = {"语文": chinese, "数学": maths, "英语": english}
EXPERTS = {"语文": "expert", "数学": "expert_math", "英语": "expert_english"}
JOURNAL_WRITERS = 29  # besides `teacher`
PRIVATE_SHARE = 0.15


def build(users: dict[str, User], rosters: list[list[User]], tree: dict[str, Space]) -> None:
    """Discussions in every workshop, notices in 黔西南州, journals; then the dates."""
    rng = random.Random(f"{data.SEED}-discussions")
    schools = dict(
        db.session.execute(
            select(Membership.user_id, Space.name)
            .join(Space, Membership.space_id == Space.id)
            .where(Space.kind == SCHOOL)
        ).all()
    )
    writer = Writer(rng, utcnow().replace(microsecond=0), schools)
    # Each service call commits once; expiring the ~2,000 loaded objects at every one of
    # those ~1,200 commits (and reloading them row by row) took most of the time.
    # Nothing else writes meanwhile, so the loaded objects stay true until the end.
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        for k, (item, roster) in enumerate(zip(data.WORKSHOPS, rosters, strict=True)):
            workshop_discussions(writer, k, item, roster, tree[item.slug], users)
        notices(writer, users, rosters, tree[data.CITY.slug])
        write_journals(writer, users, rosters)
        apply_dates(writer)
    finally:
        session.expire_on_commit = expiring
        session.expire_all()  # the dates were written in bulk, behind the loaded objects


def _choose(
    rng: random.Random, k: int, item: data.Workshop, roster: list[User], users: dict[str, User]
) -> list[tuple[Discussion, User]]:
    """6–10 discussions and who starts each: the host's arrangement first, at least two
    questions; in the first workshop the `teacher` asks and the `leader` opens a topic."""
    hosts, members = roster[: item.hosts], roster[item.hosts :]
    forced = [(common.ARRANGEMENT, hosts[0])]
    if k == 0:
        forced += [(chinese.TEACHER_QUESTION, users["teacher"]), (chinese.LEADER_TOPIC, users["leader"])]
    taken = [d for d, _ in forced]
    pool = [d for d in SUBJECTS[item.subject].SUBJECT if d.stage in ("", item.stage) and d not in taken]
    rng.shuffle(pool)
    general = rng.sample(common.GENERAL, rng.randint(2, 3))
    wanted = max(0, 2 - sum(d.kind == QUESTION for d in taken))
    subject = [d for d in pool if d.kind == QUESTION][:wanted]
    room = rng.randint(6, 10) - len(forced) - len(general) - len(subject)
    subject += [d for d in pool if d not in subject][: max(0, room)]
    starters = iter(rng.sample([m for m in members if m not in (users["teacher"], users["leader"])], 12))
    return forced + [(d, rng.choice(hosts) if d.by_host else next(starters)) for d in subject + general]


def workshop_discussions(
    writer: Writer, k: int, item: data.Workshop, roster: list[User], space: Space, users: dict[str, User]
) -> None:
    """Start the chosen discussions with their replies and likes; the host pins her
    arrangement and features one or two of the liveliest; askers accept answers."""
    rng, clock = writer.rng, writer.clock
    host = roster[0]
    expert = users[EXPERTS[item.subject]]
    people = list(roster)
    if k == 0:  # the named logins take part more than most
        people += [users["teacher"], users["leader"], host] * 3
    district = next(d.region.name for d in data.DISTRICTS if d.region.slug == item.district)
    fmt = {
        "subject": item.subject,
        "stage": item.stage,
        "workshop": item.name,
        "district": district,
        "host": host.username,
    }
    pool = SUBJECTS[item.subject].REPLIES + common.GENERIC
    accepting = rng.randint(1, 2)
    made: list[tuple[Thread, int]] = []
    for index, (discussion, author) in enumerate(_choose(rng, k, item, roster, users)):
        answerer = None
        if discussion.kind == QUESTION and accepting > 0:
            accepting -= 1
            asked_by_teacher = discussion is chinese.TEACHER_QUESTION
            answerer = expert if asked_by_teacher or rng.random() < 0.6 else host
        replies, answer_at = writer.plan(discussion, author, people, answerer, pool)
        if index == 0:
            when = clock.day(1, 1)
        elif discussion is chinese.TEACHER_QUESTION:
            when = clock.day(3, 3)
        else:
            when = clock.day(2)
        thread, posts = writer.discuss(space, author, discussion, replies, fmt, when, answer_at=answer_at)
        made.append((thread, len(posts)))
        writer.likes(writer.opening_id(thread), author.id, people, 6)
        for at, (post, (user, _)) in enumerate(zip(posts, replies, strict=True)):
            if at == answer_at:
                writer.likes(post.id, user.id, people, 6)
            elif rng.random() < 0.25:
                writer.likes(post.id, user.id, people, 2)
        if answer_at is not None:
            answer = posts[answer_at]
            writer.moderate(thread, author, "accept", writer.dates[answer.id], answer)
        if index == 0:
            writer.moderate(thread, host, "pin", when)
    ranked = sorted(made[1:], key=lambda pair: -pair[1])[:3]
    ranked = [pair for pair in ranked if pair[1] >= 4] or ranked[:1]
    for thread, _ in rng.sample(ranked, min(len(ranked), rng.randint(1, 2))):
        writer.moderate(thread, host, "feature", writer.thread_start(thread))
    db.session.commit()


def notices(writer: Writer, users: dict[str, User], rosters: list[list[User]], city: Space) -> None:
    """Two notices from the region admin, answered by hosts and teachers across the 州."""
    rng = writer.rng
    admin = users["region"]
    readers = [roster[0] for roster in rosters] + [user for roster in rosters for user in roster[5:8]]
    for index, (notice, week) in enumerate(zip(common.NOTICES, (5, 8), strict=True)):
        replies = list(zip(rng.sample(readers, len(notice.replies)), notice.replies, strict=True))
        replies.insert(1, (admin, notice.follow_up))
        replies += [(user, "收到。") for user in rng.sample(readers, rng.randint(1, 3))]
        when = writer.clock.day(week, week)
        fmt = {"subject": "", "stage": "", "workshop": "", "district": "", "host": ""}
        thread, _ = writer.discuss(city, admin, notice, replies, fmt, when)
        writer.likes(writer.opening_id(thread), admin.id, readers, 8)
        if index == 1:
            writer.moderate(thread, admin, "pin", when)
    db.session.commit()


def write_journals(writer: Writer, users: dict[str, User], rosters: list[list[User]]) -> None:
    """`teacher`'s two journals (one private) and 1–3 each for 29 other teachers; some
    public ones get a comment or two from the writer's workshop."""
    rng, clock = writer.rng, writer.clock
    workshop_of = {user.id: roster for roster in rosters for user in roster}
    teacher = users["teacher"]
    for (title, body, public), week in zip(journals.TEACHER_JOURNALS, (4, 7), strict=True):
        item = Discussion(title, body)
        when = clock.day(week, week)
        writer.discuss(
            _space(teacher), teacher, item, [], _fmt(teacher), when, kind=JOURNAL, is_public=public
        )
    writers = rng.sample([u for r in rosters for u in r if u.username[7:].isdigit()], JOURNAL_WRITERS)
    for user in writers:
        peers = workshop_of[user.id]
        for title, body, earliest in rng.sample(journals.JOURNALS, rng.choice((1, 1, 2, 2, 3))):
            public = rng.random() >= PRIVATE_SHARE
            comments: list[tuple[User, str]] = []
            if public and rng.random() < 0.4:
                texts = rng.sample(journals.COMMENTS, rng.randint(1, 2))
                comments = [(rng.choice([p for p in peers if p is not user]), text) for text in texts]
            item = Discussion(title, body)
            when = clock.day(earliest)
            thread, _ = writer.discuss(
                _space(user), user, item, comments, _fmt(user), when, kind=JOURNAL, is_public=public
            )
            if public:
                writer.likes(writer.opening_id(thread), user.id, peers, 3)
    db.session.commit()


def _space(user: User) -> Space:
    return spaces.ensure_personal_space(user)


def _fmt(user: User) -> dict[str, object]:
    return {"subject": user.subject, "stage": user.stage, "workshop": "", "district": "", "host": ""}
