"""peixun 研修社区: a four-level community for teachers in training programmes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from peixun.config import Config


def create_app(config: Any = None) -> Flask:
    config = config or Config()
    app = Flask(
        __name__,
        instance_path=config.INSTANCE_PATH,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(config)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_cli(app)
    register_errors(app)
    register_jinja(app)
    return app


def register_extensions(app: Flask) -> None:
    from peixun.core import audit, hooks, indexing, requestlog, security  # noqa: F401 (audit: its table)
    from peixun.core.db import enable_sqlite_foreign_keys
    from peixun.extensions import csrf, db, limiter, login_manager, migrate

    requestlog.init_app(app)
    hooks.init_app(app)
    indexing.init_app(app)
    indexing.connect_session_events()
    enable_sqlite_foreign_keys()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from peixun.accounts.views import bp as accounts_bp
    from peixun.admin.views import bp as admin_bp
    from peixun.briefs.views import bp as briefs_bp
    from peixun.core.health import bp as health_bp
    from peixun.lessons.appraisal_views import bp as appraisals_bp
    from peixun.lessons.views import bp as lessons_bp
    from peixun.resources.call_views import bp as calls_bp
    from peixun.resources.file_views import bp as files_bp
    from peixun.resources.views import bp as resources_bp
    from peixun.search.views import bp as search_bp
    from peixun.spaces.views import bp as spaces_bp
    from peixun.stats.roster_views import bp as roster_bp
    from peixun.stats.views import bp as stats_bp
    from peixun.threads.inbox_views import bp as inbox_bp
    from peixun.threads.views import bp as threads_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(spaces_bp)
    app.register_blueprint(threads_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(resources_bp)
    app.register_blueprint(calls_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(briefs_bp)
    app.register_blueprint(lessons_bp)
    app.register_blueprint(appraisals_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(health_bp)


def register_hooks(app: Flask) -> None:
    from peixun.briefs import hooks as briefs_hooks
    from peixun.lessons import hooks as lessons_hooks
    from peixun.resources import hooks as resources_hooks
    from peixun.search import hooks as search_hooks
    from peixun.spaces import hooks as spaces_hooks
    from peixun.stats import hooks as stats_hooks
    from peixun.threads import hooks as threads_hooks

    spaces_hooks.connect(app)
    threads_hooks.connect(app)
    resources_hooks.connect(app)
    briefs_hooks.connect(app)
    lessons_hooks.connect(app)
    search_hooks.connect(app)
    stats_hooks.connect(app)


def register_cli(app: Flask) -> None:
    from peixun.accounts.cli import user_cli
    from peixun.admin.cli import backup_command, restore_command
    from peixun.demo.cli import demo_cli
    from peixun.search.cli import search_cli
    from peixun.stats.cli import roster_cli

    app.cli.add_command(user_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def register_errors(app: Flask) -> None:
    from peixun.core import errors

    errors.init_app(app)


def register_jinja(app: Flask) -> None:
    from peixun.core import jinja, text

    text.init_app(app)
    jinja.init_app(app)
