"""Planning a roster import: what each row would do (新建, 更新, 无变化, or its errors by
row and column), checked against the database and the admin's scope; writes nothing.

A row finds its person by mobile number, else by username, and only among the people of
the admin's schools (never an admin account); a new person gets a username from the
pinyin of her name (zhangli, zhangli2 …)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin
from sqlalchemy import select, true
from sqlalchemy.orm import aliased

from peixun.accounts import service as accounts
from peixun.accounts.models import USERNAME_PATTERN, User
from peixun.core.vocab import STAGES, SUBJECTS, terms
from peixun.extensions import db
from peixun.spaces.models import ACTIVE, REGION, SCHOOL, WORKSHOP, Membership, Space
from peixun.stats.models import Enrolment
from peixun.stats.roster import GENDERS, CellError, RosterRow, normalise_phone

ACTIONS = {"create": "新建", "update": "更新", "same": "无变化", "error": "有错误"}
CHUNK = 500  # ids per IN (…): well under SQLite's parameter limit


@dataclass
class Outcome:
    row: int
    name: str
    action: str = "error"
    username: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    user: User | None = None
    phone: str = ""
    gender: str = ""
    subject: str = ""
    stage: str = ""
    school: Space | None = None
    workshop: Space | None = None

    @property
    def label(self) -> str:
        return ACTIONS[self.action]


@dataclass
class Plan:
    outcomes: list[Outcome]
    layout_errors: list[CellError] = field(default_factory=list)

    @property
    def errors(self) -> list[CellError]:
        return self.layout_errors + [e for o in self.outcomes for e in o.errors]

    @property
    def counts(self) -> Counter:
        return Counter(o.action for o in self.outcomes)


def _chunks(values: list) -> list[list]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def _in_scope(model_path, scope: Space | None):
    return true() if scope is None else model_path.startswith(scope.path)


def _schools(scope: Space | None) -> tuple[dict[tuple[str, str], Space], set[str]]:
    """The schools an admin of `scope` may import into, by (区县, 学校); and every 区县 name."""
    district = aliased(Space)
    rows = db.session.execute(
        select(Space, district.name)
        .join(district, Space.parent_id == district.id)
        .where(Space.kind == SCHOOL, _in_scope(Space.path, scope))
    ).all()
    districts = set(db.session.execute(select(Space.name).where(Space.kind == REGION)).scalars())
    return {(region, school.name): school for school, region in rows}, districts


def _workshops(scope: Space | None) -> dict[str, Space]:
    found = db.session.execute(select(Space).where(Space.kind == WORKSHOP, _in_scope(Space.path, scope)))
    return {w.name: w for w in found.scalars()}


def _users_by(column, values: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(set(values))):
        for user in db.session.execute(select(User).where(column.in_(chunk))).scalars():
            found[getattr(user, column.key)] = user
    return found


def known_places(users: list[User]) -> tuple[dict[int, int], dict[int, Enrolment]]:
    """Each known person's school (space id) and enrolment."""
    ids = [u.id for u in users]
    schools: dict[int, int] = {}
    enrolments: dict[int, Enrolment] = {}
    for chunk in _chunks(ids):
        schools.update(
            db.session.execute(
                select(Membership.user_id, Membership.space_id)
                .join(Space, Membership.space_id == Space.id)
                .where(Membership.user_id.in_(chunk), Space.kind == SCHOOL, Membership.state == ACTIVE)
            ).all()
        )
        for enrolment in db.session.execute(select(Enrolment).where(Enrolment.user_id.in_(chunk))).scalars():
            enrolments[enrolment.user_id] = enrolment
    return schools, enrolments


def _username_base(name: str, phone: str) -> str:
    base = re.sub(r"[^a-z]", "", "".join(lazy_pinyin(name)).lower())[:24]
    return base if len(base) >= 3 else f"t{phone}"


def _free_username(base: str, taken: set[str]) -> str:
    if base not in taken:
        existing = db.session.execute(select(User.username).where(User.username.startswith(base)))
        taken.update(existing.scalars())
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def plan(rows: list[RosterRow], scope: Space | None) -> Plan:
    """What importing these rows would do, row by row; writes nothing."""
    schools, districts = _schools(scope)
    workshops = _workshops(scope)
    subjects, stages = set(terms(SUBJECTS)), set(terms(STAGES))
    phones = [p for p in (normalise_phone(r["手机"]) for r in rows) if p]
    by_phone = _users_by(User.phone, phones)
    names = [accounts.normalise_username(r["用户名"]) for r in rows if r["用户名"]]
    by_username = _users_by(User.username, names)
    current_school, enrolments = known_places(
        list({u.id: u for u in [*by_phone.values(), *by_username.values()]}.values())
    )
    in_scope = {school.id for school in schools.values()}
    seen_phone: dict[str, int] = {}
    seen_user: dict[int, int] = {}
    taken: set[str] = set()
    outcomes = []
    for r in rows:
        o = Outcome(r.row, accounts.clean_text(r["姓名"], 32))

        def fail(column: str, message: str, o: Outcome = o, r: RosterRow = r) -> None:
            o.errors.append(CellError(r.row, column, message))

        if not o.name:
            fail("姓名", "请填写姓名")
        o.gender = GENDERS.get(r["性别"], "")
        if not o.gender:
            fail("性别", "请填写“男”或“女”")
        o.phone = normalise_phone(r["手机"]) or ""
        if not o.phone:
            fail("手机", "手机号须为 11 位数字" if r["手机"] else "请填写手机号")
        elif o.phone in seen_phone:
            fail("手机", f"与第 {seen_phone[o.phone]} 行的手机号重复")
        else:
            seen_phone[o.phone] = r.row
        o.school = schools.get((r["区县"], r["学校"]))
        if o.school is None:
            if r["区县"] not in districts:
                fail("区县", f"没有名为“{r['区县']}”的区县" if r["区县"] else "请填写区县")
            else:
                fail("学校", f"“{r['区县']}”没有名为“{r['学校']}”的学校，或不在您的管理范围内")
        o.subject, o.stage = r["学科"], r["学段"]
        if o.subject not in subjects:
            fail("学科", f"学科须是：{'、'.join(sorted(subjects))}" if o.subject else "请填写学科")
        if o.stage not in stages:
            fail("学段", f"学段须是：{'、'.join(sorted(stages))}" if o.stage else "请填写学段")
        if r["工作坊"]:
            o.workshop = workshops.get(r["工作坊"])
            if o.workshop is None:
                fail("工作坊", f"没有名为“{r['工作坊']}”的工作坊，或不在您的管理范围内")
        username = accounts.normalise_username(r["用户名"])
        if username and not re.match(USERNAME_PATTERN, username):
            fail("用户名", "用户名须以英文字母开头，由 3–32 个小写字母、数字或下划线组成")
        found_by_phone, found_by_name = by_phone.get(o.phone), by_username.get(username)
        if found_by_phone and found_by_name and found_by_phone.id != found_by_name.id:
            fail("用户名", "这个用户名属于另一位老师（手机号不同）")
        o.user = found_by_phone or found_by_name
        if o.user is not None:
            if o.user.id in seen_user:
                fail("手机", f"与第 {seen_user[o.user.id]} 行是同一个人")
            seen_user[o.user.id] = r.row
            # A roster updates only people of the admin's scope, and never an admin account:
            # otherwise a school admin could rename and move any teacher of the site.
            column = "手机" if found_by_phone else "用户名"
            enrolment = enrolments.get(o.user.id)
            own = {current_school.get(o.user.id), enrolment.school_id if enrolment else None}
            if o.user.is_admin:
                fail(column, "这是平台管理员的账号，不能通过名单修改")
            elif scope is not None and not own & in_scope:
                fail(column, "这位老师不属于您管理范围内的学校，不能通过这份名单修改")
        elif username and username in taken:
            fail("用户名", "与前面某一行新建的用户名相同")
        if o.errors:
            outcomes.append(o)
            continue
        if o.user is None:
            o.action = "create"
            o.username = username or _free_username(_username_base(o.name, o.phone), taken)
            if username:
                taken.add(username)
        else:
            o.username = o.user.username
            o.changes = _changes(o, current_school.get(o.user.id), enrolments.get(o.user.id))
            o.action = "update" if o.changes else "same"
        outcomes.append(o)
    return Plan(outcomes)


def _changes(o: Outcome, school_id: int | None, enrolment: Enrolment | None) -> list[str]:
    user = o.user
    assert user is not None and o.school is not None
    changes = [
        label
        for label, old, new in (
            ("姓名", user.real_name, o.name),
            ("性别", user.gender, o.gender),
            ("手机", user.phone, o.phone),
            ("学科", user.subject, o.subject),
            ("学段", user.stage, o.stage),
            ("学校", school_id, o.school.id),
        )
        if old != new
    ]
    if enrolment is None:
        changes.append("列入名单")
    elif o.workshop is not None and enrolment.workshop_id != o.workshop.id:
        changes.append("工作坊")
    return changes
