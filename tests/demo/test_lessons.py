"""The demo's lesson studies: one at every step, each with the work its step implies, dated
in order before the load; 《背影》 finished and awarded in the workshop's 组互评 and in
兴义市's 优秀课例评选, recommended on to 黔西南州's, where the `expert` login has it to
review; and the pages each demo login opens around them."""

from __future__ import annotations

from sqlalchemy import select

from peixun.accounts.service import find_user
from peixun.core.db import utcnow
from peixun.demo import data
from peixun.demo.builder import load_demo
from peixun.demo.texts import lessons as texts
from peixun.extensions import db
from peixun.lessons import queries
from peixun.lessons.models import (
    STEP_ORDER,
    Appraisal,
    AppraisalEntry,
    AppraisalReview,
    DesignVersion,
    LessonStudy,
    Observation,
)
from peixun.resources.models import Resource
from peixun.spaces.models import Activity


def _entries(appraisal: Appraisal) -> dict[str, AppraisalEntry]:
    found = db.session.execute(select(AppraisalEntry).where(AppraisalEntry.appraisal_id == appraisal.id))
    return {entry.study.title: entry for entry in found.scalars()}


def test_lesson_studies_stand_at_every_step_and_one_is_awarded(app, client, login_as, get_page):
    password = app.config["DEMO_PASSWORD"]
    assert load_demo(password) is not None
    now = utcnow()
    studies = db.session.execute(select(LessonStudy).order_by(LessonStudy.id)).scalars().all()
    assert sorted(s.step_index for s in studies) == list(range(len(STEP_ORDER)))
    for study in studies:
        assert study.space.kind == "group" and study.teacher_id != study.author_id
        versions = queries.versions(study)
        # One design version per preparation step passed, each dated after the one before.
        passed = [step for step in ("prep1", "prep2", "prep3") if study.step_index > STEP_ORDER.index(step)]
        assert [v.step for v in versions] == passed, study.title
        dates = [study.created_at, *(v.created_at for v in versions)]
        assert dates == sorted(dates) and dates[-1] < now
        for round_ in (1, 2):
            observed = queries.round_summary(study, round_).observations
            taught = study.step_index >= STEP_ORDER.index(f"lesson{round_}")
            assert bool(observed) == taught, (study.title, round_)
            assert all(o.version.step == f"prep{round_}" for o in observed)
        assert study.thread_of(study.step if study.step != "finished" else "review") is not None
    lines = db.session.execute(select(Activity).where(Activity.verb.like("lesson.%"))).scalars().all()
    assert len(lines) > len(studies) and all(line.created_at < now for line in lines)

    # The second 打磨 improved every dimension of 《背影》.
    beiying = next(s for s in studies if s.title == texts.BEIYING.title)
    one, two = queries.round_summary(beiying, 1), queries.round_summary(beiying, 2)
    assert all(c.change > 0 for c in queries.compare(one, two))
    latest = queries.versions(beiying)[-1]
    assert texts.BEIYING.prep3[0].new in latest.body and texts.BEIYING.prep2[0].old not in latest.body
    case = db.session.get(Resource, beiying.resource_id)
    assert (
        case.type == "课例" and case.space_id == beiying.space_id and case.created_at == beiying.finished_at
    )
    assert beiying.step == "finished" and beiying.self_total == 88

    appraisals = {a.title: a for a in db.session.execute(select(Appraisal)).scalars()}
    peer = appraisals[texts.PEER_TITLE.format(workshop=data.FIRST_WORKSHOP.name)]
    county, city = appraisals[texts.COUNTY_TITLE], appraisals[texts.CITY_TITLE]
    assert peer.state == county.state == "published" and city.state == "open"
    assert peer.published_at < county.created_at < county.published_at < city.created_at < now
    assert county.entry_deadline_at < county.review_deadline_at < county.published_at
    assert _entries(peer)[texts.BEIYING.title].award == "first"
    awarded = _entries(county)[texts.BEIYING.title]
    assert awarded.award == "first" and awarded.shortlisted
    promoted = _entries(city)[texts.BEIYING.title]
    assert promoted.source == "promoted" and promoted.from_entry_id == awarded.id
    reviews = db.session.execute(select(AppraisalReview)).scalars().all()
    for review in reviews:  # nobody reviewed her own group's case
        assert review.reviewer_id not in (review.entry.study.author_id, review.entry.study.teacher_id)
        done = review.entry.appraisal.state == "published"
        assert (review.submitted_at is not None) == done and (review.total is not None) == done

    expert, leader, teacher = (find_user(name) for name in ("expert", "leader", "teacher"))
    waiting = [r for r in reviews if r.reviewer_id == expert.id and r.submitted_at is None]
    assert len(waiting) == 1 and waiting[0].entry_id == promoted.id
    login_as(expert, password=password)
    assert texts.BEIYING.title in get_page("/a/reviews").get_text()
    assert (
        texts.SELF_REVIEW.format(theme=beiying.theme).split("，")[0]
        in get_page(f"/a/reviews/{waiting[0].id}").get_text()
    )
    client.delete_cookie("peixun_session")
    login_as(leader, password=password)
    page = get_page(f"/l/{beiying.id}").get_text()
    assert "一等奖" in page and county.title in page and texts.PEER_COMMENTS[0] in page
    assert expert.display_name not in page  # reviewers' comments are shown without their names
    client.delete_cookie("peixun_session")
    login_as(find_user("host"), password=password)  # the host follows every group's study
    for study in studies:
        if study.space.parent.slug == data.FIRST_WORKSHOP.slug:
            assert study.title in get_page(f"/l/{study.id}").get_text()
    client.delete_cookie("peixun_session")
    login_as(teacher, password=password)  # she teaches 《背影》
    assert beiying.teacher_id == teacher.id and "一等奖" in get_page(f"/l/{beiying.id}").get_text()
    assert texts.COUNTY_TITLE in get_page(f"/a/{county.id}").get_text()
    assert (
        db.session.execute(select(DesignVersion)).first() and db.session.execute(select(Observation)).first()
    )
