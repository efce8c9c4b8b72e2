"""The demo's lesson studies (课例研究), through the lessons services: nine studies in the
groups of four workshops, one at every step from 计划研讨 to 已完成, each with the design
versions, divided observation work, observation records and step discussions its step
implies (peixun.demo.texts.lessons). The first workshop's first group (the `leader` login)
finished 《背影》: its case won 一等奖 in the workshop's 组互评 and in 兴义市's 优秀课例评选,
which recommended it on to 黔西南州's, where the `expert` login still has it to review.

Every service call is dated as it happens (Stamper): the rows it added get its moment, so
the activity feeds, the step discussions and the search index (filled after the load by
`flask search sync`) all tell the same story."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.demo import data
from peixun.demo.clock import Clock
from peixun.demo.stamper import Stamper
from peixun.demo.texts import lessons as texts
from peixun.extensions import db
from peixun.lessons import appraisals, queries, service
from peixun.lessons.models import (
    DIMENSIONS,
    STEP_ORDER,
    Appraisal,
    AppraisalEntry,
    AppraisalReview,
    LessonStudy,
)
from peixun.spaces.models import ACTIVE, GROUP, Membership, RoleAssignment, Space
from peixun.threads import service as threads

STEP_DAYS = 5  # between one step and the next
# (workshop index, group index, study, the step it has reached, days it has rested there)
PLANS = (
    (0, 0, texts.BEIYING, "finished", 10),
    (0, 1, texts.CHUN, "review", 6),
    (0, 2, texts.JINAN, "lesson2", 0),
    (1, 0, texts.QIUTIAN, "prep3", 0),
    (1, 1, texts.SANBU, "summary", 0),
    (3, 0, texts.ZITENG, "prep2", 0),
    (3, 1, texts.MUYANGREN, "lesson1", 0),
    (3, 2, texts.MAO, "prep1", 0),
    (5, 0, texts.FANGCHENG, "plan", 0),
)
# The appraisals, in days before the load: the 组互评 opens, then 兴义市's award.
PEER_OPENS, COUNTY_OPENS = 11, 7
SELF_SCORES = (
    {"topic": 13, "design": 23, "observation": 17, "effect": 18, "reflection": 17},
    {"topic": 12, "design": 20, "observation": 16, "effect": 17, "reflection": 15},
)


class Group:
    def __init__(self, space: Space, leader: User, members: list[User]) -> None:
        self.space, self.leader, self.members = space, leader, members


def build(users: dict[str, User], rosters: list[list[User]], tree: dict[str, Space]) -> None:
    rng = random.Random(f"{data.SEED}-lessons")
    clock = Clock(rng, utcnow().replace(microsecond=0))
    stamp = Stamper()
    studies: list[LessonStudy] = []
    for k, g, study_text, target, rest in PLANS:
        group = _group(tree[data.WORKSHOPS[k].slug], g)
        steps = STEP_ORDER.index(target)
        start = clock.now - timedelta(days=STEP_DAYS * steps + rng.randint(2, 4) + rest)
        item = data.WORKSHOPS[k]
        studies.append(_walk(stamp, rng, clock, group, study_text, item, target, start))
    _appraise(stamp, rng, clock, users, rosters, tree, studies)
    db.session.expire_all()  # the dates were written behind the loaded objects


def _group(workshop: Space, index: int) -> Group:
    space = (
        db.session.execute(
            select(Space).where(Space.parent_id == workshop.id, Space.kind == GROUP).order_by(Space.id)
        )
        .scalars()
        .all()[index]
    )
    leader = db.session.execute(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.space_id == space.id)
    ).scalar_one()
    members = list(
        db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.space_id == space.id, Membership.state == ACTIVE, User.id != leader.id)
            .order_by(Membership.id)
        ).scalars()
    )
    return Group(space, leader, members)


def _design(study: texts.Study, upto: int) -> str:
    """The design after `upto` rounds of changes (0: 一备, 1: 二备, 2: 三备)."""
    body = study.design
    for changes in (study.prep2, study.prep3)[:upto]:
        for change in changes:
            body = (
                body.replace(change.old, change.new)
                if change.old
                else body.rstrip("\n") + "\n" + change.new + "\n"
            )
    return body


def _walk(
    stamp: Stamper,
    rng: random.Random,
    clock: Clock,
    group: Group,
    text: texts.Study,
    item: data.Workshop,
    target: str,
    start: datetime,
) -> LessonStudy:
    """Create the study at `start` and take it step by step to `target`, STEP_DAYS apart."""
    leader = group.leader
    teacher = next((m for m in group.members if m.username == "teacher"), group.members[0])
    observers = [m for m in group.members if m is not teacher]
    data_ = service.StudyData(
        title=text.title,
        theme=text.theme,
        teacher=teacher,
        question=text.question,
        subject=item.subject,
        stage=item.stage,
        grade=text.grade,
        unit=text.unit,
        schedule="\n".join(
            f"- 第{n}周 {label}"
            for n, label in enumerate(("计划研讨", "一备与第一次上课", "二备与第二次上课", "三备与总结"), 1)
        ),
    )
    study = stamp.at(start, service.create_study, leader, group.space, data_)
    moment = start
    for dimension_index, dimension in enumerate(DIMENSIONS):
        pair = [observers[(dimension_index + j) % len(observers)] for j in range(2)]
        for round_ in (1, 2):
            stamp.at(start, service.assign, leader, study, round_, dimension, pair)
    ratings_first: dict[int, int] = {}
    for step in STEP_ORDER[: STEP_ORDER.index(target)]:
        day = moment + timedelta(hours=rng.randint(10, 30))
        if step == "plan":
            for n, user in enumerate([leader, *observers[:2], teacher]):
                post = texts.PLAN_COMMENTS[n % len(texts.PLAN_COMMENTS)]
                stamp.at(
                    day + timedelta(hours=n * 3), threads.post_reply, user, study.thread_of("plan"), post
                )
        elif step in ("prep1", "prep2", "prep3"):
            upto = ("prep1", "prep2", "prep3").index(step)
            note = ("一备初稿", text.note2, text.note3)[upto] or "根据研讨意见修改"
            stamp.at(day, service.add_version, teacher, study, _design(text, upto), note)
            reader = observers[upto % len(observers)]
            stamp.at(
                day + timedelta(hours=5),
                threads.post_reply,
                reader,
                study.thread_of(step),
                texts.PREP_COMMENTS[upto],
            )
        elif step in ("lesson1", "lesson2"):
            _observe(stamp, rng, study, step, [leader, *observers[:3]], day, ratings_first)
        elif step == "summary":
            stamp.at(day, service.save_summary, leader, study, _summary(text, teacher))
            stamp.at(day + timedelta(hours=2), service.finish, leader, study, queries.case_markdown(study))
            db.session.execute(
                update(LessonStudy)
                .where(LessonStudy.id == study.id)
                .values(finished_at=day + timedelta(hours=2))
            )
            moment = day + timedelta(hours=2)
            continue  # finish() moved the study on to 自评与推荐
        elif step == "review":
            continue  # the appraisals take the study from here (_appraise)
        moment = day + timedelta(days=STEP_DAYS - 1)
        stamp.at(moment, service.advance, leader, study, step)
    if target == "summary":  # the leader has drafted the summary
        stamp.at(moment + timedelta(days=1), service.save_summary, leader, study, _summary(text, teacher))
    elif target in ("lesson1", "lesson2"):  # the lesson was taught; two records are in
        _observe(stamp, rng, study, target, [leader, observers[0]], moment + timedelta(days=1), ratings_first)
    return study


def _summary(text: texts.Study, teacher: User) -> str:
    lesson = text.title.strip("《》")
    return texts.SUMMARY.format(
        question=text.question, theme=text.theme, teacher=teacher.display_name, lesson=lesson
    )


def _observe(
    stamp: Stamper,
    rng: random.Random,
    study: LessonStudy,
    step: str,
    observers: list[User],
    day: datetime,
    ratings_first: dict[int, int],
) -> None:
    """Each observer's record of the lesson: problems in round one, improvements in round two."""
    second = step == "lesson2"
    notes = texts.NOTES_SECOND if second else texts.NOTES_FIRST
    classroom = texts.CLASSROOM_NOTES_SECOND if second else texts.CLASSROOM_NOTES_FIRST
    for n, user in enumerate(observers):
        base = ratings_first.setdefault(user.id, rng.choice((3, 3, 4)))
        if second:  # the second 打磨 shows: every dimension one or two points up
            ratings = {d: min(5, base + rng.randint(1, 2)) for d in DIMENSIONS}
        else:  # the first lesson's weak points are the discussion and its evaluation
            weak = ("methods", "evaluation")
            ratings = {d: base - 1 if d in weak else base + rng.randint(0, 1) for d in DIMENSIONS}
        record = service.ObservationData(
            ratings,
            {d: rng.choice(notes[d]) for d in DIMENSIONS if rng.random() < 0.8},
            classroom[n % len(classroom)] if n < 2 else "",
        )
        stamp.at(day + timedelta(hours=1 + n), service.observe, user, study, record)
    after = day + timedelta(hours=len(observers) + 2)
    for n, (user, comment) in enumerate(zip(observers, texts.LESSON_COMMENTS, strict=False)):
        stamp.at(after + timedelta(hours=n), threads.post_reply, user, study.thread_of(step), comment)


def _appraise(
    stamp: Stamper,
    rng: random.Random,
    clock: Clock,
    users: dict[str, User],
    rosters: list[list[User]],
    tree: dict[str, Space],
    studies: list[LessonStudy],
) -> None:
    """自评 of the two published cases; the first workshop's 组互评; 兴义市's 优秀课例评选;
    the recommendation to 黔西南州's, still open."""
    beiying, chun = studies[0], studies[1]
    db.session.expire_all()  # finished_at was set behind the loaded objects
    groups = [_group(tree[data.FIRST_WORKSHOP.slug], g) for g in range(3)]
    at = clock.now - timedelta(days=PEER_OPENS, hours=6)
    assert all(s.finished_at and s.finished_at < at for s in (beiying, chun)), "the cases come first"
    for study, scores, group in zip((beiying, chun), SELF_SCORES, groups, strict=False):
        text = texts.SELF_REVIEW.format(theme=study.theme)
        stamp.at(at, appraisals.save_self_review, group.leader, study, scores, text)
    host = rosters[0][0]
    workshop = tree[data.FIRST_WORKSHOP.slug]
    peer = _run(
        stamp,
        rng,
        host,
        workshop,
        "peer",
        texts.PEER_TITLE.format(workshop=workshop.name),
        texts.PEER_DESCRIPTION,
        [(beiying, groups[0].leader, "self"), (chun, groups[1].leader, "self")],
        [g.leader for g in groups],
        texts.PEER_COMMENTS,
        {0: "first", 1: "second"},
        set(),
        at + timedelta(hours=6),
    )
    stamp.at(peer + timedelta(hours=3), service.advance, groups[0].leader, beiying, "review")
    county_organiser = users["region_xingyi"]
    judges = [users["expert"], rosters[3][0]]
    county = _run(
        stamp,
        rng,
        county_organiser,
        tree[data.DISTRICT_ADMIN_REGION],
        "award",
        texts.COUNTY_TITLE,
        texts.COUNTY_DESCRIPTION,
        [(beiying, county_organiser, "organiser"), (chun, county_organiser, "organiser")],
        judges,
        texts.JUDGE_COMMENTS,
        {0: "first", 1: "second"},
        {0},
        clock.now - timedelta(days=COUNTY_OPENS),
    )
    city_space = tree[data.CITY.slug]
    city_data = appraisals.AppraisalData(
        "award", texts.CITY_TITLE, _day(clock.now, 7), _day(clock.now, 14), texts.CITY_DESCRIPTION, 2
    )
    city = stamp.at(
        county + timedelta(hours=2), appraisals.open_appraisal, users["region"], city_space, city_data
    )
    shortlisted = db.session.execute(
        select(AppraisalEntry).where(
            AppraisalEntry.shortlisted.is_(True), AppraisalEntry.study_id == beiying.id
        )
    ).scalar_one()
    stamp.at(county + timedelta(hours=4), appraisals.promote, county_organiser, shortlisted, city)
    stamp.at(
        county + timedelta(hours=6),
        appraisals.allocate,
        users["region"],
        city,
        [users["expert"], rosters[1][0]],
    )


def _day(moment: datetime, days: int) -> date:
    return (moment + timedelta(days=days, hours=8)).date()


def _run(
    stamp: Stamper,
    rng: random.Random,
    organiser: User,
    space: Space,
    kind: str,
    title: str,
    description: str,
    entries: list[tuple[LessonStudy, User, str]],
    reviewers: list[User],
    comments: tuple[str, ...],
    awards: dict[int, str],
    shortlist: set[int],
    opened: datetime,
) -> datetime:
    """One appraisal from opening to published results; returns when it was published.
    Deadlines must lie ahead when it opens, so they are moved back to the programme after."""
    appraisal_data = appraisals.AppraisalData(
        kind, title, _day(utcnow(), 3), _day(utcnow(), 6), description, reviewers_per_entry=2
    )
    appraisal = stamp.at(opened, appraisals.open_appraisal, organiser, space, appraisal_data)
    made = [
        stamp.at(
            opened + timedelta(hours=3 + n),
            appraisals.enter,
            who,
            appraisal,
            study,
            source=source,
            statement=texts.ENTRY_STATEMENT if source == "self" else "",
        )
        for n, (study, who, source) in enumerate(entries)
    ]
    stamp.at(opened + timedelta(days=1), appraisals.allocate, organiser, appraisal, reviewers)
    reviewed = opened + timedelta(days=2)
    reviews = (
        db.session.execute(
            select(AppraisalReview)
            .where(AppraisalReview.entry_id.in_([e.id for e in made]))
            .order_by(AppraisalReview.id)
        )
        .scalars()
        .all()
    )
    for n, review in enumerate(reviews):
        own = review.entry.study.self_scores
        scores = {code: max(0, points - rng.randint(0, 2)) for code, points in own.items()}
        appraisals.submit_review(review.reviewer, review, scores, comments[n % len(comments)])
        review.submitted_at = reviewed + timedelta(hours=n)
    db.session.commit()
    published = reviewed + timedelta(days=1)
    results = {made[i].id: award for i, award in awards.items()}
    stamp.at(published, appraisals.publish, organiser, appraisal, results, {made[i].id for i in shortlist})
    db.session.execute(
        update(Appraisal)
        .where(Appraisal.id == appraisal.id)
        .values(
            published_at=published,
            entry_deadline_at=opened + timedelta(hours=12),
            review_deadline_at=reviewed + timedelta(hours=12),
        )
    )
    db.session.commit()
    return published
