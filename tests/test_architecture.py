"""House rules checked mechanically: policy on every route, int ids, downward
imports, migrations matching the models, small modules."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from peixun.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "peixun"
# Lower layers first; a module may import its own domain and anything in an earlier layer.
LAYERS = [
    {"config", "extensions"},
    {"core"},
    {"accounts"},
    {"spaces"},
    # Discussions are the machinery the others reuse (comments on resources and briefs);
    # briefs sum up what the others produced, so they sit above them.
    {"threads"},
    {"resources"},
    {"lessons"},
    {"briefs"},
    {"search", "stats"},
    # Administration calls the other domains' services: backup and restore rebuild the
    # search index.
    {"admin"},
    # The demo builds its community through every domain's services, the rosters and
    # days of study of stats included.
    {"demo"},
]
POLICY_CALL = re.compile(r"\brequire\(|\bcan\(|\bcan_current\(")


def _layer(domain: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if domain in names)


def test_every_route_asks_the_policy(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        if not POLICY_CALL.search(inspect.getsource(view)):
            missing.append(rule.endpoint)
    assert missing == []


def test_ids_in_urls_are_int_converted(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name == "id" or name.endswith("_id"):
                assert type(converter).__name__ == "IntegerConverter", (rule.rule, name)


def test_paths_are_lowercase(app):
    for rule in app.url_map.iter_rules():
        literal = re.sub(r"<[^>]+>", "", rule.rule)
        assert literal == literal.lower(), rule.rule


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("peixun.")]


def test_imports_only_go_downward():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts == ("__init__",):
            continue  # the app factory wires every domain together
        domain = parts[0]
        for module in _imports(path):
            target = module.split(".")[1]
            if target != domain and _layer(target) >= _layer(domain):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_modules_stay_small():
    big = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if len(p.read_text().splitlines()) > 400]
    assert big == []


def test_every_module_says_what_it_is_for():
    for path in PACKAGE.rglob("*.py"):
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no module docstring"


def test_migrations_match_the_models(app):
    """The schema built by the migrations (what the fixtures use) equals the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _owned_by_the_models}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


# Tables a backend owns outside the models (created by a migration on PostgreSQL only).
BACKEND_TABLES = {"search_documents"}


def _owned_by_the_models(name: str | None, type_: str, parent_names: dict) -> bool:
    if type_ == "table":
        return name not in BACKEND_TABLES
    return parent_names.get("table_name") not in BACKEND_TABLES


def test_no_import_time_side_effects_in_domains():
    """Registries are filled in create_app: no module calls connect() at import time."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                raise AssertionError(f"{path}: top-level call {ast.unparse(node)[:60]}")
