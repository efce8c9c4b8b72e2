"""`flask roster import FILE`: the web import's preview and all-or-nothing import, from the
shell (for coordinators' files too large or too many for the browser)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from peixun.accounts.service import find_user
from peixun.core.errors import ServiceError
from peixun.core.policy import can, load_actor
from peixun.extensions import db
from peixun.spaces.models import REGION, SCHOOL, Space
from peixun.stats import importer

roster_cli = AppGroup("roster", help="学员名单 (rosters).")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The admin who imports (her scope applies).")
@click.option("--scope", "slug", default=None, help="Slug of the region or school imported for.")
@click.option("--dry-run", is_flag=True, help="Show the preview only; write nothing.")
@click.option("--logins", "logins_to", type=click.Path(dir_okay=False, path_type=Path), default=None)
def import_command(
    file: Path, username: str, slug: str | None, dry_run: bool, logins_to: Path | None
) -> None:
    """Import a 学员信息表 (.xlsx or .csv): every row, or none when any has an error."""
    actor = find_user(username)
    if actor is None:
        raise click.ClickException(f"No user {username}.")
    scope = None
    if slug:
        scope = db.session.execute(
            select(Space).where(Space.slug == slug, Space.kind.in_((REGION, SCHOOL)))
        ).scalar_one_or_none()
        if scope is None:
            raise click.ClickException(f"No region or school {slug}.")
    allowed = can(load_actor(actor), "roster.import", scope) if scope else actor.is_admin
    if not allowed:
        raise click.ClickException(f"{username} may not import rosters for {slug or 'the whole site'}.")
    started = time.perf_counter()
    try:
        with file.open("rb") as stream:
            record = importer.start(actor, scope, stream, file.name)
        plan = importer.load_plan(record)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    counts = plan.counts
    click.echo(
        f"{len(plan.outcomes)} 行：新建 {counts['create']}，更新 {counts['update']}，无变化 {counts['same']}，"
        f"有错误 {counts['error']}（{time.perf_counter() - started:.1f} s）"
    )
    if plan.errors:
        db.session.delete(record)
        db.session.commit()
        for error in plan.errors:
            click.echo(f"  第 {error.row} 行 {error.column}：{error.message}", err=True)
        raise click.ClickException(f"{len(plan.errors)} 处错误，未导入任何数据。")
    if dry_run:  # the preview only: forget the upload's record (the file itself is kept by content)
        db.session.delete(record)
        db.session.commit()
        return
    try:
        made = importer.import_roster(actor, record, plan)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已导入（{time.perf_counter() - started:.1f} s）。")
    if made:
        target = logins_to or Path(f"新账号清单-{record.id}.xlsx")
        shutil.copyfile(importer.logins_path(record), target)
        click.echo(f"{made} 个新账号的初始密码在 {target}（首次登录须修改密码）。")
