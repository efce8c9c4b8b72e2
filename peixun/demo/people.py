"""The demo's people, planned before anything is written: names, schools and workshops."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from peixun.demo import data


@dataclass
class Person:
    """One planned account, decided before anything is written so the plan stays deterministic."""

    username: str
    real_name: str
    subject: str = ""
    stage: str = ""
    school: str | None = None  # school slug
    workshop: int | None = None  # index into data.WORKSHOPS
    bio: str = ""


def names(rng: random.Random) -> Iterator[str]:
    """Distinct Chinese names: a common surname and one or two given-name characters."""
    seen: set[str] = set()
    while True:
        given = "".join(rng.choice(data.GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
        name = rng.choice(data.SURNAMES) + given
        if name not in seen:
            seen.add(name)
            yield name


def _spread(weights: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), summing exactly."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def plan_people(rng: random.Random) -> list[Person]:
    """Staff, the named demo teachers and 500 programme teachers, each placed in a school."""
    name = names(rng)
    people = [Person(username, next(name), subject, bio=bio) for username, subject, bio in data.STAFF]
    first = data.FIRST_WORKSHOP
    host_bio = f"{data.school_name(data.HOST_SCHOOL)}语文教师，州级骨干教师，{first.name}坊主。"
    leader_bio = f"{data.school_name(data.LEADER_SCHOOL)}语文教研组长。"
    admin_bio = f"{data.school_name(data.ADMIN_SCHOOL)}教科室主任，负责校本研修。"
    people += [
        Person("host", next(name), first.subject, first.stage, data.HOST_SCHOOL, 0, host_bio),
        Person("leader", next(name), first.subject, first.stage, data.LEADER_SCHOOL, 0, leader_bio),
        Person("teacher", next(name), first.subject, first.stage, data.TEACHER_SCHOOL, 0),
        Person("school", next(name), "数学", "初中", data.ADMIN_SCHOOL, None, admin_bio),
    ]
    slots = [k for k in range(len(data.WORKSHOPS)) for _ in range(data.WORKSHOP_SIZE)]
    rng.shuffle(slots)
    counts = _spread([d.weight for d in data.DISTRICTS], data.TEACHERS)
    homes = [d for d, count in zip(data.DISTRICTS, counts, strict=True) for _ in range(count)]
    rng.shuffle(homes)
    for number, (k, district) in enumerate(zip(slots, homes, strict=True), start=1):
        workshop = data.WORKSHOPS[k]
        school = rng.choice([s for s in district.schools if workshop.stage in s.stages])
        bio = ""
        if number % 20 == 0:
            bio = rng.choice(data.BIOS).format(
                school=school.name, subject=workshop.subject, stage=workshop.stage, years=rng.randint(3, 28)
            )
        people.append(
            Person(f"teacher{number:03d}", next(name), workshop.subject, workshop.stage, school.slug, k, bio)
        )
    return people
