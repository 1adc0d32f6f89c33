"""Paths and the CLI every test shares: the repository root, the fixture folders, the
policy file, and `quota-pipeline` run in a subprocess.

Test modules import it as ``support`` (pyproject's pytest settings put tests/ on the import
path). conftest.py files hold fixtures only and are never imported by name: pytest loads
one per folder, and which of them `import conftest` finds depends on the collection order.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SMALL_FIXTURE = FIXTURES / "small"
ALLOCATION_FIXTURE = FIXTURES / "allocation"
POLICY_FILE = REPO / "planning_policy.yaml"
# The console script installed beside the interpreter running the tests.
CLI = Path(sys.executable).with_name("quota-pipeline")
CLI_TIMEOUT = 900


def cli(
    env: Mapping[str, str] | None,
    *arguments: str,
    cwd: Path | None = None,
    timeout: float = CLI_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """`quota-pipeline <arguments>` in its own process, as cron or a user would start it."""
    return subprocess.run(
        [str(CLI), *arguments],
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        cwd=cwd,
        timeout=timeout,
    )
