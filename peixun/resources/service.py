"""Resource operations: share, edit, delete, download counts, 推荐 votes, the upward flow
(recommend → select or decline) and calls for submissions. Each commits once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from peixun.accounts.models import User
from peixun.accounts.service import clean_text
from peixun.core import audit
from peixun.core.db import utcnow
from peixun.core.errors import ServiceError
from peixun.core.indexing import mark
from peixun.core.markdown import normalise, render
from peixun.core.policy import can, load_actor
from peixun.core.screening import current_screen
from peixun.core.storage import store, thumbnail_path_of
from peixun.core.vocab import RESOURCE_TYPES, STAGES, SUBJECTS, terms
from peixun.extensions import db
from peixun.resources.extract import extract
from peixun.resources.files import clean_filename, sniff
from peixun.resources.models import (
    DECLINED,
    OFFERED,
    SELECTED,
    Blob,
    Call,
    LibraryEntry,
    Resource,
    ResourceTag,
    ResourceVote,
)
from peixun.resources.queries import recommend_targets
from peixun.spaces.models import Space
from peixun.spaces.service import record
from peixun.threads import notify
from peixun.threads.service import open_comments

MAX_TAGS, MAX_TAG_CHARS, MAX_DESCRIPTION = 8, 20, 5000
TAG_SEPARATORS = re.compile(r"[,，、;；\s#]+")
LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
CHINA = timezone(timedelta(hours=8))


@dataclass
class ResourceData:
    """What the share and edit forms carry, as plain values."""

    title: str
    type: str
    description: str = ""
    subject: str = ""
    stage: str = ""
    tags: str = ""
    link_url: str = ""


def parse_tags(text: str) -> list[str]:
    names: list[str] = []
    for raw in TAG_SEPARATORS.split(text or ""):
        name = clean_text(raw, 100)
        if not name:
            continue
        if len(name) > MAX_TAG_CHARS:
            raise ServiceError(f"标签「{name[:10]}…」太长：每个标签最多 {MAX_TAG_CHARS} 个字。", "tags")
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ServiceError(f"最多 {MAX_TAGS} 个标签。", "tags")
    return names


def _checked(data: ResourceData) -> ResourceData:
    title = clean_text(data.title, 120)
    if not title:
        raise ServiceError("请填写标题。", "title")
    if data.type not in terms(RESOURCE_TYPES):
        raise ServiceError("请选择列表中的资源类型。", "type")
    if data.subject not in ("", *terms(SUBJECTS)):
        raise ServiceError("请选择列表中的学科。", "subject")
    if data.stage not in ("", *terms(STAGES)):
        raise ServiceError("请选择列表中的学段。", "stage")
    description = normalise(data.description or "")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(f"简介最多 {MAX_DESCRIPTION} 字。", "description")
    link = (data.link_url or "").strip()
    if link and (len(link) > 500 or not LINK.match(link)):
        raise ServiceError("链接须以 http:// 或 https:// 开头，且不超过 500 个字符。", "link_url")
    return ResourceData(title, data.type, description, data.subject, data.stage, data.tags, link)


def _apply(resource: Resource, data: ResourceData) -> None:
    resource.title = data.title
    resource.type = data.type
    resource.subject = data.subject
    resource.stage = data.stage
    resource.description = data.description
    resource.description_html = render(data.description) if data.description.strip() else ""
    resource.link_url = data.link_url or None
    resource.tags = [ResourceTag(name=name) for name in parse_tags(data.tags)]
    # The network-safety screen (seed 002) reads titles and descriptions.
    resource.is_held = current_screen().matches(data.title, data.description, " ".join(resource.tag_names))


def store_upload(stream: BinaryIO, filename: str) -> tuple[Blob, str]:
    """Store an upload by content and read its text once per distinct file.

    Returns the Blob and the cleaned display name. The bytes land under their hash; the
    row is committed on its own so that a resource form refused later (a missing title)
    never loses an upload that another resource shares."""
    stored = store(stream, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
    name = clean_filename(filename)
    try:
        kind = sniff(stored.path, name)
    except ServiceError:
        if db.session.get(Blob, stored.sha256) is None:
            stored.path.unlink(missing_ok=True)  # refused content is not kept
        raise
    blob = db.session.get(Blob, stored.sha256)
    if blob is not None:
        return blob, name
    result = extract(stored.path, kind, thumbnail_to=thumbnail_path_of(stored.sha256))
    blob = Blob(
        sha256=stored.sha256,
        size=stored.size,
        kind=kind.code,
        text_status=result.status,
        text=result.text,
        text_error=result.error[:200],
        has_thumbnail=result.has_thumbnail,
    )
    db.session.add(blob)
    try:
        db.session.commit()
    except IntegrityError:  # the same file uploaded twice at once: keep the first row
        db.session.rollback()
        blob = db.session.get(Blob, stored.sha256)
        assert blob is not None
    return blob, name


def share(
    author: User,
    space: Space,
    data: ResourceData,
    *,
    upload: tuple[Blob, str] | None = None,
    form_key: str | None = None,
) -> Resource:
    """Share a file (already stored by store_upload) or a link in a space's library.
    A form submitted twice (same form_key) creates one resource."""
    done = _already_shared(form_key)
    if done is not None:
        return done
    data = _checked(data)
    if upload is None and not data.link_url:
        raise ServiceError("请选择要上传的文件，或填写资源链接。", "file")
    resource = Resource(space_id=space.id, author_id=author.id, form_key=form_key or None)
    _apply(resource, data)
    if upload is not None:
        resource.blob_sha256, resource.filename = upload[0].sha256, upload[1]
    resource.thread = open_comments(author, space, data.title)
    db.session.add(resource)
    resource.entries.append(
        LibraryEntry(space_id=space.id, state=SELECTED, recommended_by_id=author.id, placed_at=utcnow())
    )
    db.session.flush()
    if not resource.is_held:
        record(space, author, "resource.shared", resource.title, resource.id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        done = _already_shared(form_key)
        if done is None:
            raise
        return done
    return resource


def _already_shared(form_key: str | None) -> Resource | None:
    if not form_key:
        return None
    return db.session.execute(select(Resource).where(Resource.form_key == form_key)).scalar_one_or_none()


def edit(actor: User, resource: Resource, data: ResourceData) -> None:
    data = _checked(data)
    if not data.link_url and resource.blob_sha256 is None:
        raise ServiceError("链接资源须填写链接。", "link_url")
    _apply(resource, data)
    resource.updated_at = utcnow()
    if resource.thread is not None:
        resource.thread.title = data.title
    db.session.commit()


def delete_resource(actor: User, resource: Resource) -> None:
    """Softly: the resource leaves every library; the stored file stays (others may share it)."""
    resource.deleted_at = utcnow()
    if actor.id != resource.author_id:
        audit.record("resource.delete", resource, resource.title, actor=actor)
    db.session.commit()


def release(actor: User, resource: Resource) -> None:
    resource.is_held = False
    audit.record("resource.release", resource, resource.title, actor=actor)
    record(resource.space, resource.author, "resource.shared", resource.title, resource.id)
    db.session.commit()


def count_download(resource: Resource) -> None:
    """One atomic UPDATE: concurrent downloads each count."""
    db.session.execute(
        update(Resource).where(Resource.id == resource.id).values(download_count=Resource.download_count + 1)
    )
    db.session.commit()


def vote(user: User, resource: Resource, on: bool = True) -> bool:
    """推荐 (or take it back). The vote row and the counter change in one transaction;
    the primary key stops a second vote, so the count stays exact under races."""
    if on:
        db.session.add(ResourceVote(resource_id=resource.id, user_id=user.id))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return False
        change = 1
    else:
        gone = db.session.execute(
            delete(ResourceVote).where(
                ResourceVote.resource_id == resource.id, ResourceVote.user_id == user.id
            )
        ).rowcount
        if not gone:
            db.session.rollback()
            return False
        change = -1
    db.session.execute(
        update(Resource).where(Resource.id == resource.id).values(vote_count=Resource.vote_count + change)
    )
    db.session.commit()
    return True


def _notify(resource: Resource, actor: User, kind: str, detail: str, *users: int) -> None:
    """Notifications ride on the resource's comments thread, whose page is the resource."""
    if resource.thread is not None:
        notify.send(users, actor, kind, resource.thread, None, detail)


def recommend(
    actor: User, resource: Resource, target: Space, note: str = "", call: Call | None = None
) -> LibraryEntry:
    """推荐 a resource to a space above one that holds it. The target's reviewers then
    select or decline it; one who may select it there selects it at once."""
    sources = {space.id: source for space, source in recommend_targets(actor, resource)}
    if target.id not in sources:
        raise ServiceError("不能推荐到这个空间。", "target")
    source = sources[target.id]
    entry = resource.entry_in(target.id)
    if entry is not None and entry.state != DECLINED:
        raise ServiceError("这份资源已经推荐到该空间了。", "target")
    if entry is None:
        entry = LibraryEntry(resource_id=resource.id, space_id=target.id)
        resource.entries.append(entry)
    entry.state, entry.from_space_id, entry.recommended_by_id = OFFERED, source.id, actor.id
    entry.note, entry.call_id, entry.reason = clean_text(note, 200), call.id if call else None, ""
    entry.decided_by_id = entry.decided_at = None
    entry.space = target
    if can(load_actor(actor), "entry.decide", entry):
        _settle(entry, actor, SELECTED)
    try:
        db.session.commit()
    except IntegrityError:  # recommended to the same space twice at once
        db.session.rollback()
        raise ServiceError("这份资源已经推荐到该空间了。", "target") from None
    return entry


def _settle(entry: LibraryEntry, actor: User, state: str, reason: str = "") -> None:
    entry.state, entry.decided_by_id, entry.decided_at, entry.reason = state, actor.id, utcnow(), reason
    if state == SELECTED:
        entry.placed_at = utcnow()


def decide(actor: User, entry: LibraryEntry, select_it: bool, reason: str = "") -> None:
    """遴选 or decline a recommendation. Two reviewers deciding at once: the first wins."""
    reason = clean_text(reason, 200)
    if not select_it and not reason:
        raise ServiceError("请写明未入选的理由，推荐人会看到。", "reason")
    state = SELECTED if select_it else DECLINED
    now = utcnow()
    values = {"state": state, "decided_by_id": actor.id, "decided_at": now, "reason": reason}
    if select_it:
        values["placed_at"] = now  # the library's "newest" is when it entered
    changed = db.session.execute(
        update(LibraryEntry)
        .where(LibraryEntry.id == entry.id, LibraryEntry.state == OFFERED)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise ServiceError("这条推荐已经有人处理过了。")
    mark(db.session, [("resource", entry.resource_id)])  # a bulk UPDATE fires no flush listener
    for name, value in values.items():  # the loaded entry says what the row now says
        set_committed_value(entry, name, value)
    resource = entry.resource
    audit.record(
        f"entry.{state}",
        resource,
        f"{entry.space.name}：{resource.title} {reason}".strip(),
        space_id=entry.space_id,
        actor=actor,
    )
    label = f"入选{entry.space.name}资源库" if select_it else f"未入选{entry.space.name}：{reason}"
    _notify(
        resource,
        actor,
        "selected" if select_it else "declined",
        label,
        resource.author_id,
        entry.recommended_by_id,
    )
    if select_it and not resource.is_held:
        record(entry.space, resource.author, "resource.selected", resource.title, resource.id)
    db.session.commit()


def mark_excellent(actor: User, entry: LibraryEntry, on: bool) -> None:
    entry.is_excellent = on
    title = f"{entry.space.name}：{entry.resource.title}"
    audit.record(
        "entry.excellent" if on else "entry.not_excellent",
        entry.resource,
        title,
        space_id=entry.space_id,
        actor=actor,
    )
    if on:
        _notify(entry.resource, actor, "excellent", f"{entry.space.name}精品资源", entry.resource.author_id)
    db.session.commit()


def withdraw(actor: User, entry: LibraryEntry) -> None:
    title = f"{entry.space.name}：{entry.resource.title}"
    audit.record("entry.withdrawn", entry.resource, title, space_id=entry.space_id, actor=actor)
    db.session.delete(entry)
    db.session.commit()


def deadline_of(day: date) -> datetime:
    """A call closes at the end of its last day, China time."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=CHINA).astimezone(UTC)


def open_call(actor: User, space: Space, *, title: str, description: str, deadline: date) -> Call:
    title = clean_text(title, 120)
    if not title:
        raise ServiceError("请填写征集主题。", "title")
    if deadline_of(deadline) <= utcnow():
        raise ServiceError("截止日期须在今天或以后。", "deadline")
    description = normalise(description or "")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(f"说明最多 {MAX_DESCRIPTION} 字。", "description")
    call = Call(
        space_id=space.id,
        author_id=actor.id,
        title=title,
        description=description,
        description_html=render(description) if description.strip() else "",
        deadline_at=deadline_of(deadline),
    )
    db.session.add(call)
    db.session.flush()
    record(space, actor, "call.opened", title, call.id)
    db.session.commit()
    return call


def answer_call(actor: User, call: Call, resource: Resource, note: str = "") -> LibraryEntry:
    """Answer a call with one's own resource: a recommendation into the call's space."""
    if resource.author_id != actor.id:
        raise ServiceError("只能用自己分享的资源参加征集。", "resource")
    if not call.is_open:
        raise ServiceError("征集已经截止。")
    return recommend(actor, resource, call.space, note, call=call)
