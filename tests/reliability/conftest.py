"""The session's published baseline warehouse, shared by the slow reliability tests.

A full CLI run costs 15-60 s, so one baseline is built per session and copied.
"""

from __future__ import annotations

import pytest
from reliability_helpers import Workspace, make_workspace, run_cli


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One published run of the small fixture; copy it with ``copy_baseline``, never modify."""
    workspace = make_workspace(tmp_path_factory.mktemp("baseline"))
    result = run_cli(workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    return workspace
