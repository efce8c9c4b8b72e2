"""The demo's resource libraries, built through the resources services (peixun.demo.librarian):
each workshop's library from its subject's catalogue, shared by its teachers (some first in
their own space, then recommended and selected; one declined, one waiting); the region's
own material; each workshop's best recommended up to 黔西南州 and selected, 精品 among
them; the region's 定向征集 calls and their answers; 推荐 votes, comments and downloads."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update

from peixun.accounts.models import User
from peixun.core.db import utcnow
from peixun.demo import data, library
from peixun.demo.clock import CHINA
from peixun.demo.librarian import Librarian
from peixun.demo.library import DemoResource
from peixun.demo.texts import resource_talk as talk
from peixun.extensions import db
from peixun.resources.models import Resource
from peixun.spaces import service as spaces
from peixun.spaces.models import Space

FEW = 5  # a workshop whose stage has fewer catalogue entries shares the whole subject
MOST_VOTES = 14
CALL_WEEKS = 3  # calls close three weeks after the demo's today
# Region material the 兴义市 教研员 shares in her county rather than the 州.
COUNTY_TITLES = ("网络研修与校本研修整合培训实施指南（区县版）", "课例研究观课量表（三备两打磨适用）")
CALL_FITS = (
    lambda item: item.subject == "语文" and item.type in ("教案", "课例"),
    lambda item: item.format != "link" and item.type in ("课例", "课件", "微课"),
    lambda item: item.type == "试题",
)


@dataclass
class Shelf:
    """One workshop while its library is built."""

    item: data.Workshop
    space: Space
    hosts: list[User]
    members: list[User]
    held: list[Resource] = field(default_factory=list)  # shared straight into its library
    offered: list[Resource] = field(default_factory=list)  # recommended to it and selected

    @property
    def people(self) -> list[User]:
        return self.hosts + self.members


def build(users: dict[str, User], rosters: list[list[User]], tree: dict[str, Space]) -> None:
    rng = random.Random(f"{data.SEED}-resources")
    lib = Librarian(rng, utcnow().replace(microsecond=0))
    # As in discussions.build: nothing else writes meanwhile, so the loaded objects stay
    # true between the services' commits (the librarian expires what they change).
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        lib.store_all(library.all_resources())
        shelves = [
            workshop_library(lib, k, item, roster, tree[item.slug], users)
            for k, (item, roster) in enumerate(zip(data.WORKSHOPS, rosters, strict=True))
        ]
        everyone = [user for roster in rosters for user in roster]
        # Titles in the 州 library or waiting for it: each is there once.
        taken = region_library(lib, users, tree, shelves, everyone)
        # Two rounds of hosts' picks, the calls' answers, a third round for some: each
        # workshop gets titles in though the workshops of a subject share one catalogue.
        best = recommend_upward(lib, users, tree, shelves, everyone, taken, (1.0, 1.0), county_too=True)
        open_calls(lib, users, tree[data.CITY.slug], shelves, everyone, taken)
        best += recommend_upward(lib, users, tree, shelves, everyone, taken, (0.4,))
        for resource in sorted(best, key=lambda r: -lib.vote_count[r.id])[:2]:
            placed = lib.placed[(resource.id, tree[data.CITY.slug].id)]
            lib.excellent(users["region"], resource, tree[data.CITY.slug], lib.later(placed, 24, 24 * 7))
        downloads(lib, tree[data.CITY.slug])
        lib.apply_dates()
    finally:
        session.expire_on_commit = expiring
        session.expire_all()  # counters and dates were written in bulk


def catalogue(item: data.Workshop) -> list[DemoResource]:
    subject = library.WORKSHOP_RESOURCES[item.subject]
    fitting = [r for r in subject if r.stage in (item.stage, "")]
    return list(fitting if len(fitting) >= FEW else subject)


def workshop_library(
    lib: Librarian, k: int, item: data.Workshop, roster: list[User], space: Space, users: dict[str, User]
) -> Shelf:
    """Each catalogue entry shared by a different member (the host shares the 课例 report);
    three or four go first into the sharer's own space and are recommended to the
    workshop: the latest waits for the host, one may be declined, the rest selected."""
    rng, clock = lib.rng, lib.clock
    shelf = Shelf(item, space, roster[: item.hosts], roster[item.hosts :])
    named = (users["teacher"], users["leader"])
    items = catalogue(item)
    rng.shuffle(items)
    sharers = rng.sample([m for m in shelf.members if m not in named], len(items))
    case = next((i for i, r in enumerate(items) if r.type == "课例"), 0)
    sharers[case] = shelf.hosts[0]
    files = [i for i, r in enumerate(items) if r.format != "link" and i != case]
    flow = rng.sample(files, 4 if k == 0 else 3)
    if k == 0:  # the teacher's recommendation waits in the host's queue; the leader shares
        sharers[flow[0]] = users["teacher"]
        sharers[next(i for i in range(len(items)) if i != case and i not in flow)] = users["leader"]
    declined = flow[1] if k == 0 or rng.random() < 0.4 else None
    for index, (entry, sharer) in enumerate(zip(items, sharers, strict=True)):
        if index not in flow:
            shelf.held.append(lib.share(sharer, space, entry, clock.day(1, 8)))
            continue
        waiting = index == flow[0]
        when = clock.day(9, 10) if waiting else clock.day(1, 8)
        resource = lib.share(sharer, spaces.ensure_personal_space(sharer), entry, when)
        asked = lib.later(when, 1, 20 if waiting else 48)
        offer = lib.recommend(sharer, resource, space, rng.choice(talk.WORKSHOP_NOTES), asked)
        if not waiting:
            host, decided = rng.choice(shelf.hosts), lib.later(asked, 10, 96)
            if index == declined:
                lib.decide(host, offer, False, decided, talk.DECLINE_REASON)
            else:
                lib.decide(host, offer, True, decided)
                shelf.offered.append(resource)
                readers_vote(lib, resource, shelf.members, space, most=5)
    for resource in shelf.held:
        readers_vote(lib, resource, roster, space, most=MOST_VOTES)
        if rng.random() < 0.35:
            discuss(lib, resource, roster, space)
    best = max(shelf.held, key=lambda r: lib.vote_count[r.id])
    placed = lib.placed[(best.id, space.id)]
    lib.excellent(shelf.hosts[0], best, space, lib.later(placed, 24, 24 * 14))
    return shelf


def readers_vote(lib: Librarian, resource: Resource, people: list[User], space: Space, most: int) -> None:
    """A skewed number of 推荐 (most resources get a few, some many), after it arrived."""
    rng = lib.rng
    readers = [user for user in dict.fromkeys(people) if user.id != resource.author_id]
    count = min(len(readers), round(rng.random() ** 2 * most))
    since = lib.placed[(resource.id, space.id)]
    for user in rng.sample(readers, count):
        lib.vote(user, resource, lib.between(since))


def discuss(lib: Librarian, resource: Resource, people: list[User], space: Space) -> None:
    """One or two comments, and sometimes the author's answer."""
    rng = lib.rng
    when = lib.placed[(resource.id, space.id)]
    readers = [user for user in dict.fromkeys(people) if user.id != resource.author_id]
    for body, user in zip(rng.sample(talk.COMMENTS, rng.randint(1, 2)), rng.sample(readers, 2), strict=False):
        when = lib.later(when, 3, 24 * 6)
        lib.comment(user, resource, body, when)
    if rng.random() < 0.5:
        lib.comment(resource.author, resource, rng.choice(talk.AUTHOR_REPLIES), lib.later(when, 1, 30))


def region_library(
    lib: Librarian, users: dict[str, User], tree: dict[str, Space], shelves: list[Shelf], everyone: list[User]
) -> set[str]:
    """The 州 教研员 shares the region's material in 黔西南州, the 兴义市 one two items in
    her county; teachers across the region 推荐 them. Returns the titles in the 州 library."""
    city, county = tree[data.CITY.slug], tree[data.DISTRICT_ADMIN_REGION]
    county_people = [u for shelf in shelves if shelf.item.district == county.slug for u in shelf.people]
    taken: set[str] = set()
    for item in library.REGION_RESOURCES:
        local = item.title in COUNTY_TITLES
        author, space = (users["region_xingyi"], county) if local else (users["region"], city)
        resource = lib.share(author, space, item, lib.clock.day(1, 6))
        readers_vote(lib, resource, county_people if local else everyone, space, most=24)
        if not local:
            taken.add(item.title)
    return taken


def recommend_upward(
    lib: Librarian,
    users: dict[str, User],
    tree: dict[str, Space],
    shelves: list[Shelf],
    everyone: list[User],
    taken: set[str],
    rounds: tuple[float, ...],
    *,
    county_too: bool = False,
) -> list[Resource]:
    """Round by round (each host's best, then her next best, …; a round takes a host with
    its chance) the host recommends her library's most 推荐 resource whose title is not
    yet taken to 黔西南州, where the 教研员 selects it; with county_too, the 兴义市 hosts
    offer their first to their county as well. Returns the resources the 州 selected."""
    rng, clock = lib.rng, lib.clock
    city, county = tree[data.CITY.slug], tree[data.DISTRICT_ADMIN_REGION]
    admins = {city.id: users["region"], county.id: users["region_xingyi"]}
    chosen: list[Resource] = []
    for n, chance in enumerate(rounds):
        for shelf in [shelf for shelf in shelves if rng.random() < chance]:
            ranked = sorted(shelf.held, key=lambda r: -lib.vote_count[r.id])
            pick = next((r for r in ranked if r.title not in taken), None)
            if pick is None:
                continue
            to_county = county_too and n == 0 and shelf.item.district == county.slug
            targets = [city, county] if to_county else [city]
            for target in targets:
                host = rng.choice(shelf.hosts)
                since = max(lib.placed[(pick.id, shelf.space.id)], clock.start + timedelta(weeks=4))
                asked = lib.later(since, 12, 24 * 10)
                offer = lib.recommend(host, pick, target, rng.choice(talk.HOST_NOTES), asked)
                lib.decide(admins[target.id], offer, True, lib.later(asked, 6, 72))
            taken.add(pick.title)
            chosen.append(pick)
            readers_vote(lib, pick, everyone, city, most=8)
    return chosen


def open_calls(
    lib: Librarian,
    users: dict[str, User],
    city: Space,
    shelves: list[Shelf],
    everyone: list[User],
    taken: set[str],
) -> None:
    """The 教研员 opens the catalogue's calls in weeks 6–8, closing three weeks after
    today. Three or four teachers answer each with a resource of theirs that fits, new
    titles first; the first one or two, if not yet in the 州 library, are selected and
    the rest wait in her queue."""
    rng, clock = lib.rng, lib.clock
    admin = users["region"]
    deadline = (clock.now + CHINA).date() + timedelta(weeks=CALL_WEEKS)
    for index, ((title, description), fits) in enumerate(zip(library.CALLS, CALL_FITS, strict=True)):
        opened = clock.day(6 + index, 6 + index)
        call = lib.open_call(admin, city, title, description, deadline, opened)
        candidates = [
            r
            for shelf in shelves
            for r in shelf.held + shelf.offered
            if r.author not in shelf.hosts and fits(lib.items[r.id]) and r.entry_in(city.id) is None
        ]
        rng.shuffle(candidates)
        answers: dict[str, Resource] = {}
        for resource in sorted(candidates, key=lambda r: r.title in taken):
            answers.setdefault(resource.title, resource)
        selected = rng.randint(1, 2)
        for n, resource in enumerate(list(answers.values())[: rng.randint(3, 4)]):
            since = max(opened, lib.placed[(resource.id, resource.space_id)])
            when = lib.later(since, 2, 24 * 12)
            entry = lib.answer(call, resource, rng.choice(talk.CALL_NOTES[index]), when)
            if n < selected and resource.title not in taken:
                lib.decide(admin, entry, True, lib.later(when, 12, 24 * 4))
                readers_vote(lib, resource, everyone, city, most=8)
            taken.add(resource.title)


def downloads(lib: Librarian, city: Space) -> None:
    """Download counts follow the 推荐, more for what the 州 library holds. The count is
    only a counter (the service adds one per download): set here in one bulk UPDATE."""
    rng = lib.rng
    rows = []
    for resource_id in lib.items:
        count = lib.vote_count[resource_id] * rng.randint(2, 6) + rng.randint(0, 12)
        if (resource_id, city.id) in lib.placed:
            count += rng.randint(15, 90)
        rows.append({"id": resource_id, "download_count": count})
    db.session.execute(update(Resource), rows)
    db.session.commit()
