"""The checkers package.json installs (`npm ci`): the Nu HTML Checker (vnu.jar, run on
Java) and axe-core.  Tests that need one skip without it, except under CI (the `CI`
environment variable), where a missing tool is a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_TIMEOUT = 600  # seconds; a hundred pages take about 5 s


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, which must install what the suite needs."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: CI must install it)", pytrace=False)
    pytest.skip(reason)


def require(path: Path) -> Path:
    if not path.exists():
        unavailable(f"{path.relative_to(ROOT)} is missing: run `npm ci` (or `make test`)")
    return path


def vnu(paths: list[Path]) -> list[dict]:
    """Check files (HTML, or CSS by their .css suffix) in one JVM; the checker's messages.

    Each message has "type" ("error", "info" with "subType": "warning", …), "url"
    (file:…), "message", "lastLine" and "extract"."""
    java = shutil.which("java")
    if java is None:
        unavailable("java is missing: apt-get install default-jre-headless")
    jar = require(VNU_JAR)
    result = subprocess.run(
        [
            java,
            "-jar",
            str(jar),
            "--format",
            "json",
            "--stdout",
            "--exit-zero-always",
            "--also-check-css",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=VNU_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"vnu failed: {result.stderr[-2000:]}"
    return json.loads(result.stdout)["messages"]
