"""The rule table of the policy: who may do what, as relations of the user to the target
and conditions on the target's state. Read through core/policy.py (can, require).

A relation is what the user is to the target: anyone, a signed-in user, the target's
owner ("self"), a member of its space, or a role held in its space or in any space above
it (a role in a region reaches every school, workshop and group below it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peixun.core.hooks import hooks

# Relations
ANYONE, USER, SELF, OWNER, MEMBER, SITE_ADMIN = (
    "anyone",
    "user",
    "self",
    "owner",
    "member",
    "site_admin",
)
# Roles held in a space (also relations); spaces.models imports these names.
HOST, GROUP_LEADER, EXPERT, SCHOOL_ADMIN, REGION_ADMIN = (
    "host",
    "group_leader",
    "expert",
    "school_admin",
    "region_admin",
)
ROLES = (HOST, GROUP_LEADER, EXPERT, SCHOOL_ADMIN, REGION_ADMIN)
MANAGERS = frozenset({HOST, SCHOOL_ADMIN, REGION_ADMIN, SITE_ADMIN})


@dataclass
class Actor:
    """Who is asking, with everything the rules need, loaded once."""

    user: Any = None
    member_of: set[int] = field(default_factory=set)
    memberships: dict[int, str] = field(default_factory=dict)
    roles: dict[int, set[str]] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and bool(self.user.is_admin)

    def roles_over(self, space: Any) -> set[str]:
        held: set[str] = set()
        for space_id in space.chain_ids:
            held |= self.roles.get(space_id, set())
        return held


Condition = Callable[[Actor, Any], bool]


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]
    when: Condition | None = None
    doc: str = ""


def _kind_in(*kinds: str) -> Condition:
    return lambda actor, target: target.policy_space.kind in kinds


def _joinable(actor: Actor, space: Any) -> bool:
    return space.kind == "workshop" and space.is_open and space.id not in actor.memberships


def _leavable(actor: Actor, space: Any) -> bool:
    return space.kind in {"workshop", "group"} and actor.memberships.get(space.id) == "active"


def _invited(actor: Actor, membership: Any) -> bool:
    return membership.state == "invited"


def _pending_request(actor: Actor, membership: Any) -> bool:
    return membership.state == "requested"


def _not_self(actor: Actor, user: Any) -> bool:
    return actor.user is not None and user.id != actor.user.id


# Who reads and writes a space's discussions: its members, and every role or admin
# over it (a region's members are everyone in a school or workshop below it).
PARTICIPANTS = frozenset({MEMBER, OWNER, *ROLES, SITE_ADMIN})


def _takes_part(actor: Actor, space: Any) -> bool:
    return not PARTICIPANTS.isdisjoint(relations(actor, space))


def _reads_space(actor: Actor, space: Any) -> bool:
    """Personal spaces are open (each journal has its own visibility); others to participants."""
    return space.kind == "personal" or _takes_part(actor, space)


def _writes_in(actor: Actor, space: Any) -> bool:
    if space.kind == "personal":
        return actor.user is not None and space.owner_id == actor.user.id
    return _takes_part(actor, space)


def _moderates(actor: Actor, space: Any) -> bool:
    return not MANAGERS.isdisjoint(relations(actor, space))


def _reads_attachment(actor: Actor, thread: Any) -> bool:
    """Comments under another domain's object are read by whoever may read that object."""
    return any(hooks().call("policy.reads_attachment", actor, thread))


def _reads_thread(actor: Actor, thread: Any) -> bool:
    if thread.kind == "comments":
        return _reads_attachment(actor, thread)
    is_author = actor.user is not None and thread.author_id == actor.user.id
    if thread.kind == "journal" and not thread.is_public:
        return is_author or actor.is_admin
    hidden = thread.hidden_reason is not None or thread.is_held
    if hidden and not (is_author or _moderates(actor, thread.space)):
        return False
    return _reads_space(actor, thread.space)


def _answerable(actor: Actor, thread: Any) -> bool:
    return thread.kind == "question" and _reads_thread(actor, thread)


def _replies_to(actor: Actor, thread: Any) -> bool:
    if thread.is_locked or not _reads_thread(actor, thread):
        return False
    if thread.kind == "comments":
        return True
    return thread.space.kind == "personal" or _takes_part(actor, thread.space)


def _live_post(actor: Actor, post: Any) -> bool:
    return post.deleted_at is None and _reads_thread(actor, post.thread)


def _likeable(actor: Actor, post: Any) -> bool:
    return _live_post(actor, post) and post.author_id != actor.user.id


def _reviews(actor: Actor, space: Any) -> bool:
    """Who selects (遴选) resources into a library: its hosts and admins, a group's leader."""
    return _moderates(actor, space) or (space.kind == "group" and GROUP_LEADER in relations(actor, space))


def _reads_resource(actor: Actor, resource: Any) -> bool:
    """A resource is read wherever a library holding it is read; a recommendation waiting
    for selection is also read by the reviewers it waits for."""
    if resource.deleted_at is not None:
        return False
    if actor.is_admin or (actor.user is not None and resource.author_id == actor.user.id):
        return True
    if resource.is_held:
        return _moderates(actor, resource.space)
    for entry in resource.entries:
        if entry.state == "selected" and _reads_space(actor, entry.space):
            return True
        if entry.state == "pending" and _reviews(actor, entry.space):
            return True
    return False


def _votable(actor: Actor, resource: Any) -> bool:
    return resource.author_id != actor.user.id and _reads_resource(actor, resource)


def _offerable(actor: Actor, resource: Any) -> bool:
    """Its author, or a reviewer of any library holding it, recommends it further up."""
    if resource.is_held or not _reads_resource(actor, resource):
        return False
    if resource.author_id == actor.user.id:
        return True
    return any(entry.state == "selected" and _reviews(actor, entry.space) for entry in resource.entries)


def _pending_entry(actor: Actor, entry: Any) -> bool:
    return entry.state == "pending" and _reviews(actor, entry.space)


def _reads_brief(actor: Actor, brief: Any) -> bool:
    """Published (or withdrawn) issues are read with their space; a draft by its author
    and the space's hosts and admins."""
    if brief.state == "draft":
        return (actor.user is not None and brief.author_id == actor.user.id) or _moderates(actor, brief.space)
    return _reads_space(actor, brief.space)


def _r(*who: str, when: Condition | None = None, doc: str = "") -> Rule:
    return Rule(frozenset(who), when, doc)


RULES: dict[str, Rule] = {
    "site.view": _r(ANYONE, doc="The site and its public pages are open to everyone."),
    "account.login": _r(ANYONE),
    "account.register": _r(ANYONE),
    "account.logout": _r(USER),
    "account.edit": _r(SELF, doc="Only the owner edits a profile or changes a password."),
    "user.view": _r(ANYONE, doc="Personal spaces are readable by everyone."),
    "user.manage": _r(SITE_ADMIN, doc="Site admins create, disable and reset accounts."),
    "user.disable": _r(SITE_ADMIN, when=_not_self, doc="An admin cannot lock herself out."),
    "user.reset_password": _r(
        SITE_ADMIN, when=_not_self, doc="Admins reset others' passwords; their own they change."
    ),
    "space.view": _r(ANYONE),
    "space.edit": _r(OWNER, *MANAGERS, doc="Hosts and admins of a space (or above) edit it."),
    "space.join": _r(USER, when=_joinable, doc="Ask to join an open workshop once."),
    "space.leave": _r(MEMBER, when=_leavable, doc="Leave a workshop or study group."),
    "space.manage_members": _r(
        GROUP_LEADER,
        *MANAGERS,
        when=_kind_in("workshop", "group"),
        doc="Hosts, group leaders and admins above approve, invite and remove members.",
    ),
    "group.create": _r(
        *MANAGERS,
        when=_kind_in("workshop", "school"),
        doc="Hosts and school admins organise study groups.",
    ),
    "membership.respond": _r(SELF, when=_invited, doc="The invited user accepts or declines."),
    "membership.decide": _r(
        GROUP_LEADER,
        *MANAGERS,
        when=_pending_request,
        doc="Hosts and admins above approve or reject a join request.",
    ),
    "thread.list": _r(ANYONE, when=_reads_space, doc="Members (and roles above) read a space's threads."),
    "thread.create": _r(USER, when=_writes_in, doc="Members start threads; only the owner writes journals."),
    "thread.create_periodic": _r(
        HOST,
        EXPERT,
        *MANAGERS,
        when=lambda actor, space: space.kind != "personal",
        doc="Hosts and tutors (experts) open the numbered 学习园地 topics.",
    ),
    "question.answer_queue": _r(
        HOST, EXPERT, *MANAGERS, doc="Experts and hosts see which questions wait too long."
    ),
    "thread.view": _r(ANYONE, when=_reads_thread, doc="A private journal is its author's alone."),
    "thread.reply": _r(USER, when=_replies_to, doc="Participants reply to open (unlocked) threads."),
    "post.edit": _r(SELF, when=_live_post, doc="Authors edit their own posts."),
    "post.delete": _r(SELF, *MANAGERS, when=_live_post, doc="Authors and hosts delete (softly)."),
    "post.like": _r(USER, when=_likeable, doc="Once per person, never one's own post."),
    "post.history": _r(*MANAGERS, doc="Earlier versions of an edited post are for hosts."),
    "thread.moderate": _r(*MANAGERS, doc="Hosts and admins feature, pin, lock and hide threads."),
    "thread.subscribe": _r(USER, when=lambda actor, thread: _reads_thread(actor, thread)),
    "space.subscribe": _r(USER, when=lambda actor, space: _reads_space(actor, space)),
    "notification.list": _r(USER, doc="Everyone signed in has a notifications page."),
    "notification.open": _r(SELF, doc="Only the recipient opens (and so reads) a notification."),
    "post.review": _r(*MANAGERS, doc="Hosts clear the posts the network-safety screen held."),
    "thread.accept": _r(
        SELF,
        HOST,
        EXPERT,
        *MANAGERS,
        when=_answerable,
        doc="The asker, a host or an expert marks the accepted answer of a question.",
    ),
    "resource.list": _r(ANYONE, when=_reads_space, doc="A library is read by whoever reads its space."),
    "resource.share": _r(
        USER, when=_writes_in, doc="Members share into their spaces; owners into their own."
    ),
    "resource.view": _r(ANYONE, when=_reads_resource, doc="Read (and download) where a library holds it."),
    "resource.edit": _r(
        SELF, *MANAGERS, when=_reads_resource, doc="The author, and hosts or admins where it was shared."
    ),
    "resource.delete": _r(SELF, *MANAGERS, when=_reads_resource),
    "resource.vote": _r(USER, when=_votable, doc="推荐 once per reader, never one's own."),
    "resource.comment": _r(USER, when=_reads_resource, doc="Every reader may comment."),
    "resource.recommend": _r(
        USER,
        when=_offerable,
        doc="The author, or a host or admin holding it, recommends it to a space above.",
    ),
    "resource.release": _r(*MANAGERS, doc="Hosts clear what the network-safety screen held."),
    "library.review": _r(
        GROUP_LEADER, *MANAGERS, when=_reviews, doc="Hosts and admins (a group's leader) see the queue."
    ),
    "entry.decide": _r(
        GROUP_LEADER, *MANAGERS, when=_pending_entry, doc="Select (遴选) or decline a recommendation."
    ),
    "entry.feature": _r(
        *MANAGERS,
        when=lambda actor, entry: entry.state == "selected",
        doc="Hosts and admins mark 精品 in their library.",
    ),
    "entry.withdraw": _r(
        *MANAGERS,
        when=lambda actor, entry: entry.state == "selected" and entry.from_space_id is not None,
        doc="Take a selected resource out of a library again (its origin keeps it).",
    ),
    "call.create": _r(
        *MANAGERS,
        when=lambda actor, space: space.kind != "personal",
        doc="Hosts and admins open a call for submissions (定向征集).",
    ),
    "call.view": _r(ANYONE, when=lambda actor, call: _reads_space(actor, call.space)),
    "call.answer": _r(
        USER,
        when=lambda actor, call: call.is_open and _takes_part(actor, call.space),
        doc="Participants answer an open call with their own resources.",
    ),
    "search.use": _r(ANYONE, doc="Everyone searches; each hit is checked against the rules above."),
    "search.admin": _r(SITE_ADMIN, doc="Site admins keep the search dictionary and read the search log."),
    "brief.list": _r(ANYONE, when=_reads_space, doc="A space's briefs are read by whoever reads the space."),
    "brief.write": _r(
        HOST,
        EXPERT,
        *MANAGERS,
        when=lambda actor, space: space.kind != "personal",
        doc="Hosts, experts and admins of a space (or above) write its briefs.",
    ),
    "brief.view": _r(ANYONE, when=_reads_brief),
    "brief.edit": _r(
        SELF, *MANAGERS, when=lambda actor, brief: brief.state != "withdrawn", doc="The author and hosts."
    ),
    "brief.publish": _r(SELF, *MANAGERS, when=lambda actor, brief: brief.state == "draft"),
    "brief.withdraw": _r(SELF, *MANAGERS, when=lambda actor, brief: brief.state == "published"),
    "brief.readers": _r(SELF, *MANAGERS, doc="Who has read an issue (seed 003): its author and hosts."),
    "brief.comment": _r(
        USER,
        when=lambda actor, brief: brief.state == "published" and _reads_space(actor, brief.space),
        doc="Readers comment on published issues.",
    ),
    "admin.access": _r(SITE_ADMIN),
    "admin.manage_spaces": _r(SITE_ADMIN, doc="Create and edit regions, schools, workshops."),
    "admin.edit_screen": _r(SITE_ADMIN, doc="Site admins keep the network-safety word list."),
    "admin.edit_vocab": _r(SITE_ADMIN, doc="Site admins extend the subject, stage and resource-type lists."),
    "admin.appoint": _r(SITE_ADMIN, doc="Appoint and revoke hosts, experts and admins."),
    "admin.audit": _r(SITE_ADMIN, doc="Site admins read the log of administration and moderation."),
}


def relations(actor: Actor, target: Any) -> set[str]:
    found = {ANYONE}
    if actor.user is None:
        return found
    found.add(USER)
    if actor.is_admin:
        found.add(SITE_ADMIN)
    if target is None:
        return found
    if getattr(target, "policy_owner_id", None) == actor.user.id:
        found.add(SELF)
    space = getattr(target, "policy_space", None)
    if space is not None:
        if space.owner_id is not None and space.owner_id == actor.user.id:
            found.add(OWNER)
        if space.id in actor.member_of:
            found.add(MEMBER)
        found |= actor.roles_over(space)
    return found


# Lesson studies and their appraisals have their own table (kept apart to keep files small).
from peixun.core.lesson_rules import LESSON_RULES  # noqa: E402
from peixun.core.stats_rules import STATS_RULES  # noqa: E402

RULES |= LESSON_RULES | STATS_RULES
