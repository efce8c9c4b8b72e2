"""`flask demo load`: build the demo community once."""

from __future__ import annotations

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="演示数据 (demo data).")
