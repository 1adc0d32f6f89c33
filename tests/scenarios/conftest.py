"""The published run every scenario test starts from: one nightly run of the small fixture."""

from __future__ import annotations

import shutil

import pytest
from scenario_helpers import environment
from support import SMALL_FIXTURE, cli


@pytest.fixture(scope="session")
def baseline(tmp_path_factory) -> dict[str, str]:
    """Environment of a folder holding a published warehouse of tests/fixtures/small."""
    folder = tmp_path_factory.mktemp("baseline")
    extracts = folder / "extracts"
    shutil.copytree(SMALL_FIXTURE, extracts)
    env = environment(folder, extracts)
    ran = cli(env, "run")
    assert ran.returncode == 0, ran.stderr + ran.stdout
    return env
