"""The rules for lesson studies (课例研究) and their appraisals (自评, 组互评, 自荐,
优秀课例评选): part of the policy's rule table, merged into core/rules.py's RULES."""

from __future__ import annotations

from peixun.core.rules import (
    ANYONE,
    GROUP_LEADER,
    MANAGERS,
    SELF,
    USER,
    Rule,
    _r,
    _reads_space,
    _takes_part,
)

LESSON_RULES: dict[str, Rule] = {
    "lesson.list": _r(ANYONE, when=_reads_space, doc="A space's lesson studies are read with the space."),
    "lesson.create": _r(
        USER,
        when=lambda actor, space: space.kind in ("group", "workshop", "school") and _takes_part(actor, space),
        doc="Members of a study group, workshop or school start a lesson study.",
    ),
    "lesson.view": _r(ANYONE, when=lambda actor, study: _reads_space(actor, study.space)),
    "lesson.write": _r(
        USER,
        when=lambda actor, study: study.step != "finished" and _takes_part(actor, study.space),
        doc="Only members of the group (and roles over it) write versions and observations.",
    ),
    "lesson.lead": _r(
        SELF,
        GROUP_LEADER,
        *MANAGERS,
        when=lambda actor, study: study.step != "finished",
        doc="The organiser, the group's leader and hosts advance steps and divide the work.",
    ),
    "lesson.self_review": _r(
        SELF,
        GROUP_LEADER,
        *MANAGERS,
        when=lambda actor, study: study.step == "review",
        doc="自评: the organiser, the group's leader or hosts score the group's own case.",
    ),
    "lesson.recommend": _r(
        SELF,
        GROUP_LEADER,
        *MANAGERS,
        when=lambda actor, study: study.step in ("review", "finished") and study.resource_id is not None,
        doc="自荐: those who lead a study enter its published case in an appraisal.",
    ),
    "lesson.read_reviews": _r(
        USER,
        when=lambda actor, study: _takes_part(actor, study.space),
        doc="The group reads the reviewers' comments on its case once results are published.",
    ),
    "appraisal.list": _r(ANYONE, when=_reads_space),
    "appraisal.create": _r(
        *MANAGERS,
        when=lambda actor, space: space.kind in ("workshop", "school", "region"),
        doc="Hosts and school or region admins run 组互评 and 优秀课例评选.",
    ),
    "appraisal.view": _r(ANYONE, when=lambda actor, appraisal: _reads_space(actor, appraisal.space)),
    "appraisal.manage": _r(
        SELF,
        *MANAGERS,
        when=lambda actor, appraisal: appraisal.state == "open",
        doc="The organiser (or a manager of its space) takes entries, allocates reviewers, publishes.",
    ),
    "appraisal.promote": _r(
        SELF,
        *MANAGERS,
        when=lambda actor, appraisal: appraisal.state == "published",
        doc="After the results, the organiser recommends the shortlist to the level above.",
    ),
    "appraisal.review": _r(
        SELF,
        when=lambda actor, review: review.entry.appraisal.state == "open",
        doc="Only the allocated reviewer scores an entry, until the results are published.",
    ),
    "appraisal.my_reviews": _r(USER, doc="Anyone signed in sees the reviews allocated to her."),
    "appraisal.read_review": _r(SELF, *MANAGERS, doc="A review is read by its reviewer and the organisers."),
}
