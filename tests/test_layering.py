"""The layering contracts of pyproject.toml hold, and a forbidden import breaks them.

`make lint` runs lint-imports; this test shows that it is not a formality: the same
contracts, run on a copy of the package where the formulas import Dagster, fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_repository_keeps_its_layering() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_formulas_importing_dagster_break_the_contract(tmp_path: Path) -> None:
    shutil.copytree(
        REPO / "quota_pipeline",
        tmp_path / "quota_pipeline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    capacity = tmp_path / "quota_pipeline" / "planning" / "capacity.py"
    capacity.write_text("import dagster  # noqa: F401\n" + capacity.read_text())

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "quota_pipeline.planning is not allowed to import dagster" in result.stdout
