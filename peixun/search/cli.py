"""`flask search sync | rebuild | status`: keep the index in step with the database."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from peixun.search import service

search_cli = AppGroup("search", help="全文检索索引：同步、重建、状态。")


@search_cli.command("sync")
def sync_command() -> None:
    """Apply what the outbox holds (after a crash, or from cron)."""
    done = service.sync()
    click.echo(f"applied {done} outbox rows; {service.pending()} left")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the whole index from the database."""
    started = time.perf_counter()
    total = service.rebuild(progress=lambda kind, done, of: click.echo(f"  {kind}: {min(done, of)}/{of}"))
    seconds = time.perf_counter() - started
    click.echo(f"indexed {total} documents in {seconds:.1f} s ({total / max(seconds, 1e-9):.0f}/s)")
    service.sync()


@search_cli.command("status")
def status_command() -> None:
    click.echo(
        f"backend: {service.backend().name}; documents: {service.backend().count()}; outbox: {service.pending()}"
    )
