"""Roster import: plan every row against the database (a preview that writes nothing),
then apply the whole plan in one transaction, or nothing.

A row finds its person by mobile number, else by username; a found person is updated
(name, gender, subject, stage, school, workshop) and never duplicated, and a row that
changes nothing is reported as such, so importing the same file twice changes nothing.
New accounts get a random initial password that must be changed at first login; the
list of new logins is written once for the admin to download. No national ID number is
asked for, stored or shown."""

from __future__ import annotations

import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from pypinyin import lazy_pinyin
from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.security import generate_password_hash

from peixun.accounts import service as accounts
from peixun.accounts.models import USERNAME_PATTERN, User
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.storage import path_of, store
from peixun.core.vocab import STAGES, SUBJECTS, terms
from peixun.extensions import db
from peixun.spaces import service as spaces
from peixun.spaces.models import ACTIVE, REGION, SCHOOL, WORKSHOP, Membership, Space
from peixun.stats.models import Enrolment, RosterImport
from peixun.stats.roster import GENDERS, CellError, RosterError, RosterRow, normalise_phone, read_roster

ACTIONS = {"create": "新建", "update": "更新", "same": "无变化", "error": "有错误"}
# Initial passwords are random (about 52 bits) and must be changed at first login: the
# slow hash that protects chosen passwords is not needed, and 5,000 rows stay quick.
INITIAL_HASH = "pbkdf2:sha256:1000"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand
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


def _current(users: list[User]) -> tuple[dict[int, int], dict[int, Enrolment]]:
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
    current_school, enrolments = _current(
        list({u.id: u for u in [*by_phone.values(), *by_username.values()]}.values())
    )
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


def initial_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def apply(actor: User, record: RosterImport, the_plan: Plan) -> list[tuple[str, str, str, str]]:
    """Import every row, or none: one transaction. Returns the new logins
    (姓名, 用户名, 初始密码, 学校)."""
    if the_plan.errors:
        raise ServiceError(f"名单中有 {len(the_plan.errors)} 处错误，未导入任何数据。")
    if record.state != "preview":
        raise ServiceError("这份名单已经导入过了。")
    logins: list[tuple[str, str, str, str]] = []
    enrolments = _current([o.user for o in the_plan.outcomes if o.user is not None])[1]
    try:
        _create_accounts([o for o in the_plan.outcomes if o.action == "create"], logins)
        # No autoflush: every query would flush the whole growing session (9 ms a row at
        # 5,000 rows); the services flush where they need ids.
        with db.session.no_autoflush:
            for o in the_plan.outcomes:
                user = _apply_row(o)
                _enrol(user, o, record, enrolments.get(user.id))
                if o.workshop is not None:
                    spaces.add_member(actor, o.workshop, user, commit=False)
        counts = the_plan.counts
        record.rows, record.created = len(the_plan.outcomes), counts["create"]
        record.updated, record.unchanged = counts["update"], counts["same"]
        record.state, record.imported_at = "imported", utcnow()
        db.session.flush()
    except ServiceError as error:
        db.session.rollback()
        raise ServiceError(f"导入失败，未导入任何数据：{error.message}") from None
    except Exception:
        db.session.rollback()
        raise
    return logins


def _create_accounts(creates: list[Outcome], logins: list[tuple[str, str, str, str]]) -> None:
    """The new teachers' accounts, personal spaces and school memberships, a few flushes
    for all of them (one account at a time took 9 ms: 46 s for 5,000 rows)."""
    users = []
    for o in creates:
        assert o.school is not None
        password = initial_password()
        o.user = accounts.build_user(
            o.username,
            o.name,
            generate_password_hash(password, method=INITIAL_HASH),
            must_change_password=True,
            subject=o.subject,
            stage=o.stage,
            phone=o.phone,
            gender=o.gender,
        )
        users.append(o.user)
        logins.append((o.name, o.username, password, o.school.name))
    if not users:
        return
    db.session.add_all(users)
    try:
        db.session.flush()
    except IntegrityError:  # a name or phone taken since the preview
        db.session.rollback()
        raise ServiceError("有用户名或手机号在预览后被占用，请重新上传名单预览。") from None
    spaces.add_personal_spaces(users, {o.user.id: o.school for o in creates if o.user and o.school})


def _apply_row(o: Outcome) -> User:
    assert o.school is not None and o.user is not None
    if o.action == "update":
        user = o.user
        user.real_name, user.gender, user.phone = o.name, o.gender, o.phone
        user.subject, user.stage = o.subject, o.stage
        spaces.set_school(user, o.school.id)
    return o.user


def _enrol(user: User, o: Outcome, record: RosterImport, enrolment: Enrolment | None) -> None:
    assert o.school is not None
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, school_id=o.school.id, import_id=record.id)
        db.session.add(enrolment)
    enrolment.school_id = o.school.id
    if o.workshop is not None:
        enrolment.workshop_id = o.workshop.id
    if o.changes:
        enrolment.import_id = record.id


def import_roster(actor: User, record: RosterImport, the_plan: Plan) -> int:
    """Apply the plan and keep the new logins for the admin; returns how many were made.
    The logins file is in place before the commit and removed if the commit fails, so the
    list never names accounts that do not exist, nor do accounts exist without it."""
    logins = apply(actor, record, the_plan)
    try:
        if logins:
            write_logins(record, logins)
        db.session.commit()
    except Exception:
        db.session.rollback()
        logins_path(record).unlink(missing_ok=True)
        raise
    return len(logins)


def rosters_root() -> Path:
    """Beside the uploads (shared by every app server), never served by path."""
    root = Path(current_app.config["UPLOAD_PATH"]) / "rosters"
    root.mkdir(parents=True, exist_ok=True)
    return root


def logins_path(record: RosterImport) -> Path:
    return rosters_root() / f"logins-{record.id}.xlsx"


def write_logins(record: RosterImport, logins: list[tuple[str, str, str, str]]) -> None:
    """The new logins as .xlsx, written to a temporary name and moved into place."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "新账号"
    sheet.append(["姓名", "用户名", "初始密码", "学校"])
    for row in logins:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["首次登录须修改密码。请把账号分别告知每位老师，并妥善保管或删除本文件。"])
    final = logins_path(record)
    tmp = final.with_suffix(".tmp")
    book.save(tmp)
    os.replace(tmp, final)


MAX_ROSTER_BYTES = 10 * 1024 * 1024


def start(actor: User, scope: Space | None, stream, filename: str) -> RosterImport:
    """Keep an uploaded roster (by content, under instance/rosters) for its preview."""
    name = accounts.clean_text(Path(filename or "").name, 200)
    if Path(name).suffix.lower() not in (".xlsx", ".csv"):
        raise ServiceError("请上传 .xlsx 或 .csv 文件（可先下载模板）。", "file")
    stored = store(stream, max_bytes=MAX_ROSTER_BYTES, root=rosters_root())
    record = RosterImport(
        actor_id=actor.id, scope_id=scope.id if scope else None, filename=name, sha256=stored.sha256
    )
    db.session.add(record)
    db.session.commit()
    return record


def load_plan(record: RosterImport) -> Plan:
    """Read the kept file again and plan it against the database as it is now."""
    try:
        rows, layout = read_roster(path_of(record.sha256, rosters_root()), record.filename)
    except RosterError as error:
        raise ServiceError(str(error), "file") from None
    if layout:
        return Plan([], layout)
    return plan(rows, record.scope)
