"""`flask user …`: manage accounts from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from peixun.accounts import service
from peixun.core.errors import ServiceError

user_cli = AppGroup("user", help="管理账号 (manage accounts).")


@user_cli.command("create")
@click.argument("username")
@click.option("--password", required=True, help="Initial password (8–128 characters).")
@click.option("--real-name", default=None, help="姓名; defaults to the username.")
@click.option("--admin", is_flag=True, help="Make the account a site admin.")
@click.option("--keep-password", is_flag=True, help="Do not ask for a new password at first login.")
def create_user(
    username: str, password: str, real_name: str | None, admin: bool, keep_password: bool
) -> None:
    """Create an account; its owner must change the password at first login."""
    try:
        user = service.create_user(
            username,
            real_name or username,
            password,
            is_admin=admin,
            must_change_password=not keep_password,
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    role = "site admin" if admin else "user"
    click.echo(f"Created {role} {user.username} (id {user.id}).")
