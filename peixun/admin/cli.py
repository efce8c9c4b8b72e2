"""`flask backup [PATH]` and `flask restore PATH`: the whole site in one archive and back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from peixun.admin import backup as service
from peixun.admin.archive import Manifest
from peixun.core.errors import ServiceError


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _database(manifest: Manifest) -> str:
    rows = sum(manifest.tables.values())
    return f"  数据库 {manifest.database}，版本 {manifest.alembic_revision}，{len(manifest.tables)} 个表、{rows} 行"


@contextmanager
def _reported(failed: str) -> Iterator[None]:
    """Refusals and OS errors (a full disk, a folder one may not write to) as one line,
    then the time taken."""
    started = time.perf_counter()
    try:
        yield
    except ServiceError as error:
        raise click.ClickException(f"{failed}：{error.message}") from error
    except OSError as error:
        raise click.ClickException(f"{failed}：{error}") from error
    click.echo(f"用时 {time.perf_counter() - started:.1f} 秒。")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path | None) -> None:
    """Write the database and the uploads to one archive (default instance/backups/);
    safe while the site runs."""
    with _reported("备份失败"):
        done = service.backup(path)
        click.echo(f"备份已写入 {done.path}（{_megabytes(done.path.stat().st_size)}）：")
        click.echo(_database(done.manifest))
        click.echo(f"  上传文件 {done.files} 个（{_megabytes(done.upload_bytes)}）")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Bring a backup back into this empty instance, then upgrade an older schema and
    rebuild the search index."""
    with _reported("恢复失败"):
        done = service.restore(
            path, progress=lambda kind, count, of: click.echo(f"  检索索引 {kind}：{min(count, of)}/{of}")
        )
        click.echo(f"已从 {path}（{done.manifest.created_at} 的备份）恢复：")
        click.echo(_database(done.manifest))
        if done.upgraded_to:
            click.echo(f"  数据库已升级到 {done.upgraded_to}")
        click.echo(f"  上传文件 {done.files} 个（{_megabytes(done.upload_bytes)}），均已核对 SHA-256")
        click.echo(f"  检索索引已重建：{done.documents} 个文档")
