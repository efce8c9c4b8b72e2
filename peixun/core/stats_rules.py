"""The rules for learning statistics (学情) and roster import: part of the policy's rule
table, merged into core/rules.py's RULES. Only the people responsible for a scope see
its figures: region admins (for every space below), school admins, hosts, group leaders."""

from __future__ import annotations

from peixun.core.rules import (
    GROUP_LEADER,
    HOST,
    REGION_ADMIN,
    SCHOOL_ADMIN,
    SELF,
    SITE_ADMIN,
    USER,
    Rule,
    _r,
)

# Who answers for a person's learning: roles over any space she belongs to.
RESPONSIBLE = frozenset({REGION_ADMIN, SCHOOL_ADMIN, HOST, GROUP_LEADER})


def _answers_for(actor, learner) -> bool:
    if actor.user is None:
        return False
    if learner.user.id == actor.user.id or actor.is_admin:
        return True
    return any(actor.roles_over(space) & RESPONSIBLE for space in learner.spaces)


STATS_RULES: dict[str, Rule] = {
    "stats.person": _r(
        USER,
        when=_answers_for,
        doc="A person's learning over time: herself, and the admins, hosts and leaders of her spaces.",
    ),
    "stats.report": _r(
        SITE_ADMIN,
        REGION_ADMIN,
        HOST,
        when=lambda actor, space: space.kind == "workshop",
        doc="The weekly 学情通报 of a workshop: its hosts (and admins above).",
    ),
    "stats.workload": _r(
        SITE_ADMIN,
        REGION_ADMIN,
        when=lambda actor, space: space.kind == "region",
        doc="What each host and expert in a region did: its region admins.",
    ),
    "roster.import": _r(
        SITE_ADMIN,
        REGION_ADMIN,
        SCHOOL_ADMIN,
        when=lambda actor, space: space.kind in ("region", "school"),
        doc="Site, region and school admins import rosters for their region or school.",
    ),
    "roster.view": _r(SELF, SITE_ADMIN, doc="An import's preview and result: the admin who uploaded it."),
    "roster.logins": _r(SELF, doc="Only the importing admin downloads the new logins."),
    "roster.template": _r(USER, doc="The blank 学员信息表 template."),
    "person.phone": _r(
        SITE_ADMIN,
        REGION_ADMIN,
        SCHOOL_ADMIN,
        doc="A full phone number: admins of the person's school or a region above it (others see 138****2264).",
    ),
    "stats.view": _r(
        SITE_ADMIN,
        REGION_ADMIN,
        SCHOOL_ADMIN,
        HOST,
        GROUP_LEADER,
        when=lambda actor, space: space.kind in ("region", "school", "workshop", "group"),
        doc="A space's 学情: its admins, hosts or leader, and the admins of the regions above.",
    ),
}
