"""Generate a large community with bulk inserts: the rows the services would write, only faster."""

from __future__ import annotations

import random
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from peixun.accounts.models import User
from peixun.core.policy import EXPERT, GROUP_LEADER, HOST, REGION_ADMIN, SCHOOL_ADMIN
from peixun.core.vocab import DEFAULT_STAGES as STAGES
from peixun.core.vocab import DEFAULT_SUBJECTS as SUBJECTS
from peixun.extensions import db
from peixun.spaces.models import (
    ACTIVE,
    GROUP,
    PERSONAL,
    REGION,
    ROLE_LABELS,
    SCHOOL,
    WORKSHOP,
    Activity,
    Membership,
    RoleAssignment,
    Space,
)

PASSWORD = "bench-password-2026"
SEED = 2026
PROVINCE = "贵州省"
CITIES = ["贵阳市", "遵义市", "六盘水市", "安顺市", "毕节市", "铜仁市", "黔东南州", "黔南州"]
COUNTIES_PER_CITY = 10
SCHOOLS_PER_COUNTY = 20
WORKSHOPS = 2000
CITY_WORKSHOPS = 5  # per city; the others belong to counties
# Workshop i draws members with weight 1/(i+1)**SKEW: a few of several thousand, most of a few dozen.
SKEW = 0.7
GROUP_WORKSHOPS = 300  # the largest workshops have two study groups each
BATCH = 10_000  # rows per INSERT call
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琳雪婷慧颖晨阳宇浩然欣怡子涵雨"
COUNTY_FIRST = "清平安和兴华正德永新云福"
COUNTY_SECOND = "江山阳水城源宁远丰泰溪"


@dataclass
class Manifest:
    """What the page timer needs to know about the generated community."""

    teacher: str
    password: str
    province: str
    city: str
    county: str
    school: str
    workshop: str
    workshop_members: int
    city_members: int
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Community:
    """Rows for five tables, built in memory with the ids and paths the services would give."""

    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.spaces: list[dict[str, Any]] = []
        self.memberships: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.joined: set[tuple[int, int]] = set()
        self.start = datetime.now(UTC) - timedelta(days=365)
        self.events = 0

    def now(self) -> datetime:
        """A clock that moves 30 seconds per event, so every row has its own created_at."""
        self.events += 1
        return self.start + timedelta(seconds=30 * self.events)

    def add_user(self, username: str, real_name: str, password_hash: str, **fields: Any) -> int:
        """The account and its personal space (accounts.service.create_user with its hook)."""
        at = self.now()
        user_id = len(self.users) + 1
        self.users.append(
            {
                "id": user_id,
                "username": username,
                "real_name": real_name,
                "password_hash": password_hash,
                "auth_token": secrets.token_urlsafe(32),
                "is_admin": fields.get("is_admin", False),
                "is_disabled": False,
                "must_change_password": False,
                "subject": fields.get("subject", ""),
                "stage": fields.get("stage", ""),
                "bio": "",
                "last_login_at": None,
                "created_at": at,
            }
        )
        self.add_space(PERSONAL, f"{real_name}的个人空间", username, None, owner_id=user_id)
        return user_id

    def add_space(self, kind: str, name: str, slug: str, parent: dict | None, **fields: Any) -> dict:
        space_id = len(self.spaces) + 1
        row = {
            "id": space_id,
            "kind": kind,
            "slug": slug,
            "name": name,
            "description": fields.pop("description", ""),
            "parent_id": parent["id"] if parent else None,
            "path": (parent["path"] if parent else "/") + f"{space_id}/",
            "owner_id": fields.pop("owner_id", None),
            "region_level": fields.pop("region_level", ""),
            "subject": fields.pop("subject", ""),
            "stage": fields.pop("stage", ""),
            "is_open": True,
            "created_at": self.now(),
        }
        self.spaces.append(row)
        return row

    def record(
        self, space: dict, actor: int | None, verb: str, detail: str = "", target_id: int | None = None
    ):
        self.activities.append(
            {
                "id": len(self.activities) + 1,
                "space_id": space["id"],
                "actor_id": actor,
                "verb": verb,
                "detail": detail,
                "target_id": target_id,
                "created_at": self.now(),
            }
        )

    def add_member(self, space: dict, user: int, invited_by: int | None = None, activity: bool = True):
        """An active membership, and the "member.joined" line the services record with it."""
        self.joined.add((space["id"], user))
        self.memberships.append(
            {
                "id": len(self.memberships) + 1,
                "space_id": space["id"],
                "user_id": user,
                "state": ACTIVE,
                "invited_by_id": invited_by,
                "created_at": self.now(),
            }
        )
        if activity:
            self.record(space, user, "member.joined")

    def appoint(self, space: dict, user: int, role: str, activity: bool = True):
        """spaces.service.appoint: the role; hosts and leaders become members as well."""
        self.roles.append(
            {
                "id": len(self.roles) + 1,
                "space_id": space["id"],
                "user_id": user,
                "role": role,
                "created_at": self.now(),
            }
        )
        if space["kind"] in (WORKSHOP, GROUP) and (space["id"], user) not in self.joined:
            self.add_member(space, user, activity=False)
        if activity:
            self.record(space, user, "role.appointed", ROLE_LABELS[role])


def county_names(rng: random.Random) -> list[str]:
    names = [a + b + "县" for a in COUNTY_FIRST for b in COUNTY_SECOND]
    rng.shuffle(names)
    return names


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def plan(teachers: int, password_hash: str, seed: int = SEED) -> tuple[Community, Manifest]:
    """The whole community in memory: tree, teachers, workshops, study groups and staff."""
    rng = random.Random(seed)
    c = Community()
    admin = c.add_user("admin", "平台管理员", password_hash, is_admin=True)

    province = c.add_space(REGION, PROVINCE, "guizhou", None, region_level="province")
    cities, counties, schools = [], [], []
    names = iter(county_names(rng))
    for i, city_name in enumerate(CITIES, start=1):
        city = c.add_space(REGION, city_name, f"city-{i}", province, region_level="city")
        cities.append(city)
        for j in range(1, COUNTIES_PER_CITY + 1):
            county = c.add_space(REGION, next(names), f"county-{i}-{j}", city, region_level="county")
            counties.append(county)
            for k in range(1, SCHOOLS_PER_COUNTY + 1):
                kind = "中学" if k % 2 else "小学"
                schools.append(
                    c.add_space(
                        SCHOOL,
                        f"{county['name']}第{k}{kind}",
                        f"school-{i}-{j}-{k}",
                        county,
                        description=f"{county['name']}的{kind}。",
                    )
                )

    # City workshops come first, so they are the largest.
    homes = [city for city in cities for _ in range(CITY_WORKSHOPS)]
    homes += [counties[n % len(counties)] for n in range(WORKSHOPS - len(homes))]
    workshops = []
    for n, region in enumerate(homes, start=1):
        subject, stage = SUBJECTS[n % 8], STAGES[n % 3]
        workshops.append(
            c.add_space(
                WORKSHOP,
                f"{region['name']}{stage}{subject}工作坊{n}",
                f"ws-{n}",
                region,
                subject=subject,
                stage=stage,
                description=f"{region['name']}{stage}{subject}教师网络研修工作坊。",
            )
        )

    rosters: list[list[int]] = [[] for _ in workshops]
    school_of: dict[int, dict] = {}
    weights = list(accumulate(1 / (i + 1) ** SKEW for i in range(len(workshops))))
    for n in range(1, teachers + 1):
        school = rng.choice(schools)
        user = c.add_user(
            f"teacher{n:06d}",
            person_name(rng),
            password_hash,
            subject=rng.choice(SUBJECTS[:8]),
            stage=rng.choice(STAGES),
        )
        c.add_member(school, user)  # set_school, called by the user.created hook
        school_of[user] = school
        chosen: set[int] = set()
        wanted = rng.choice((1, 2))
        while len(chosen) < wanted:
            chosen.add(rng.choices(range(len(workshops)), cum_weights=weights)[0])
        for index in sorted(chosen):
            rosters[index].append(user)

    for workshop, roster in zip(workshops, rosters, strict=True):
        hosts = rng.choice((1, 2))  # an empty roster (tiny runs only) leaves a workshop without host
        for host in roster[:hosts]:
            c.appoint(workshop, host, HOST)
        for user in roster[hosts:]:
            c.add_member(workshop, user, invited_by=admin)

    for index, workshop in enumerate(workshops[:GROUP_WORKSHOPS]):
        if len(rosters[index]) < 20:
            continue
        host, rest = rosters[index][0], rosters[index][2:]
        for g in (1, 2):
            leader = rest.pop(0)
            group = c.add_space(
                GROUP,
                f"第{g}研修小组",
                f"{workshop['slug']}-g{g}-{workshop['id']}",
                workshop,
                subject=workshop["subject"],
                stage=workshop["stage"],
            )
            c.add_member(group, leader, activity=False)
            c.appoint(group, leader, GROUP_LEADER, activity=False)
            c.record(workshop, host, "group.created", group["name"], group["id"])
            for _ in range(rng.randint(5, 8)):
                c.add_member(group, rest.pop(0), invited_by=leader)

    # Staff: for each region and school, the first teacher below it who holds no staff role yet.
    teachers_of: dict[int, list[int]] = {}
    for user, school in school_of.items():
        teachers_of.setdefault(school["id"], []).append(user)
    used: set[int] = set()

    def staff(region: dict) -> int | None:
        for school in schools:
            if school["path"].startswith(region["path"]):
                for user in teachers_of.get(school["id"], []):
                    if user not in used:
                        used.add(user)
                        return user
        return None

    for region in [province, *cities, *counties]:
        if (user := staff(region)) is not None:
            c.appoint(region, user, REGION_ADMIN)
    for city in cities:
        if (user := staff(city)) is not None:
            c.appoint(city, user, EXPERT)
    for school in schools:
        if (user := staff(school)) is not None:
            c.appoint(school, user, SCHOOL_ADMIN)

    # The timed pages are the largest of their kind: the first workshop, its city, the county
    # with the largest county workshops, and the school of a plain member of that workshop.
    city = cities[0]
    county = counties[0]
    local = [u for u in rosters[0][2:] if school_of[u]["parent_id"] == county["id"]]
    teacher = (local or rosters[0])[-1]
    school = school_of[teacher]
    manifest = Manifest(
        teacher=c.users[teacher - 1]["username"],
        password=PASSWORD,
        province=province["slug"],
        city=city["slug"],
        county=county["slug"],
        school=school["slug"],
        workshop=workshops[0]["slug"],
        workshop_members=len(rosters[0]),
        city_members=members_below(c, city),
    )
    return c, manifest


def members_below(c: Community, region: dict) -> int:
    """Distinct users in the schools and workshops below a region (for the deep page number)."""
    below = {
        s["id"] for s in c.spaces if s["kind"] in (SCHOOL, WORKSHOP) and s["path"].startswith(region["path"])
    }
    return len({m["user_id"] for m in c.memberships if m["space_id"] in below})


def tables(c: Community) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(model, rows) for the community's five tables, parents first."""
    return [
        (User, c.users),
        (Space, c.spaces),
        (Membership, c.memberships),
        (RoleAssignment, c.roles),
        (Activity, c.activities),
    ]


def write(c: Community) -> dict[str, int]:
    return insert_rows(tables(c))


def insert_rows(model_rows: list[tuple[Any, list[dict[str, Any]]]]) -> dict[str, int]:
    """One Core INSERT per BATCH rows (executemany); parents come before children."""
    for model, rows in model_rows:
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(model.__table__), rows[start : start + BATCH])
    if db.engine.dialect.name == "postgresql":
        # Explicit ids leave the SERIAL sequences behind; the next service insert needs them moved on.
        for model, _ in model_rows:
            name = model.__tablename__
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            )
    db.session.commit()
    return {
        model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model, _ in model_rows
    }


def generate(teachers: int, method: str) -> Manifest:
    """Build and insert the community into the (migrated, empty) database of the app context."""
    password_hash = generate_password_hash(PASSWORD, method=method)
    community, manifest = plan(teachers, password_hash)
    manifest.rows = write(community)
    return manifest
