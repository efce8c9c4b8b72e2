"""Database snapshots for backups (SQLite's online backup API, pg_dump in an exported
snapshot) and loading one into an empty database (the backup API again, or psql in one
transaction), with the rows of every table counted on both sides."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text

from peixun.core.errors import ServiceError
from peixun.search.backends.postgres import documents

# The postgres search backend's documents: rebuilt after a restore, so never dumped.
NOT_DUMPED = (documents.name,)
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Snapshot:
    revision: str | None
    tables: dict[str, int]  # rows per table


def facts(conn: Connection) -> Snapshot:
    """The Alembic revision and the rows of every table, as `conn` sees them."""
    names = sorted(inspect(conn).get_table_names())
    tables = {
        name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in names
        if name not in NOT_DUMPED
    }
    revision = None
    if "alembic_version" in names:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return Snapshot(revision, tables)


def snapshot(engine: Engine, dump: Path) -> Snapshot:
    """Write a consistent copy of the database to `dump` while the site keeps writing."""
    if engine.dialect.name == "sqlite":
        source = _sqlite_file(engine)
        if not Path(source).is_file():
            raise ServiceError(f"找不到数据库文件 {source}。")
        with closing(sqlite3.connect(source, timeout=60)) as src, closing(sqlite3.connect(dump)) as out:
            # One step (pages=-1): one read transaction, so the copy is of one moment;
            # writers wait for it (a busy database is retried, never copied half-written).
            src.backup(out)
        return _file_facts(dump)
    pg_dump = _client("pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        # pg_dump reads this transaction's snapshot, so the counts and the revision
        # in the manifest are of the very moment dumped.
        exported = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        found = facts(conn)
        command = [pg_dump, "--format=plain", "--no-owner", "--no-privileges", f"--snapshot={exported}"]
        command += [f"--exclude-table-data={name}" for name in NOT_DUMPED]
        _run(engine, [*command, "--file", str(dump)], "pg_dump")
    return found


def existing_tables(engine: Engine, known: set[str]) -> list[str]:
    """The tables of an empty database (none, or the migrated schema with no rows);
    ServiceError for anything else, so a restore never overwrites data."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        strangers = [name for name in names if name not in known]
        if strangers:
            raise ServiceError(
                f"数据库中有不属于 peixun 的表（{'、'.join(strangers[:5])}）：请恢复到一个新建的空数据库。"
            )
        if "users" in names:
            users = conn.execute(select(func.count()).select_from(table("users"))).scalar_one()
            if users:
                raise ServiceError(f"数据库中已有 {users} 个用户：只能恢复到空的实例（新建一个空数据库）。")
        filled = [
            name
            for name in names
            if name != "alembic_version" and conn.execute(select(1).select_from(table(name)).limit(1)).first()
        ]
        if filled:
            raise ServiceError(f"数据库中已有数据（{'、'.join(filled[:5])}）：只能恢复到空的实例。")
    return names


def load(engine: Engine, dump: Path, expected: Snapshot, drop: list[str]) -> None:
    """Replace the (empty) database with the dump, all or nothing, and check that every
    table has the rows the backup counted."""
    engine.dispose()
    if engine.dialect.name == "sqlite":
        if _file_facts(dump) != expected:
            raise ServiceError("备份中的数据库与清单不符（行数或版本不同），未恢复任何数据。")
        with (
            closing(sqlite3.connect(dump)) as src,
            closing(sqlite3.connect(_sqlite_file(engine), timeout=60)) as out,
        ):
            src.backup(out)  # one write transaction: the whole file or nothing
        return
    psql = _client("psql")
    command = [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
    if drop:  # the migrated schema of an empty database: the dump brings its own
        command += ["--command", f"DROP TABLE IF EXISTS {', '.join(_quoted(n) for n in drop)} CASCADE"]
    command += ["--file", str(dump), "--command", _count_check(expected.tables)]
    _run(engine, command, "psql")


def _file_facts(path: Path) -> Snapshot:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return facts(conn)
    finally:
        engine.dispose()


def _sqlite_file(engine: Engine) -> str:
    name = engine.url.database
    if not name or name == ":memory:":
        raise ServiceError("内存中的 SQLite 数据库无法备份或恢复。")
    return name


def _quoted(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ServiceError(f"备份中的表名 {name!r} 不合规，未恢复任何数据。")
    return f'"{name}"'


def _count_check(tables: dict[str, int]) -> str:
    """SQL that aborts the restore's transaction when a table has other rows than counted."""
    checks = "".join(_count_one(_quoted(name), int(rows)) for name, rows in tables.items())
    # The dump empties search_path; the counts were taken under the default one.
    return f"RESET search_path; DO $check$ DECLARE found bigint; BEGIN {checks}END $check$;"


def _count_one(quoted: str, rows: int) -> str:
    select_count = f"SELECT count(*) INTO found FROM {quoted};"  # noqa: S608 - a checked name
    return (
        f"{select_count} IF found <> {rows} THEN "
        f"RAISE EXCEPTION 'table %: % rows, the backup counted {rows}', '{quoted[1:-1]}', found; END IF; "
    )


def _client(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）。"
        )
    return found


def _run(engine: Engine, command: list[str], name: str) -> None:
    """Run a PostgreSQL client on the configured database; the password goes through the
    environment, never the command line."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(  # noqa: S603 - a client found on PATH, arguments of our own
        [*command, "--dbname", conninfo], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ServiceError(f"{name} 失败（退出码 {done.returncode}），数据库未改变：{' '.join(detail)}")
