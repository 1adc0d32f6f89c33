"""Input fingerprints: same bytes give the same digest; any extract or policy byte changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import POLICY_FILE, SMALL_FIXTURE

from quota_pipeline.automation.fingerprint import code_files, input_fingerprint
from quota_pipeline.ingest.files import locate_extract
from quota_pipeline.ingest.specs import EXTRACTS
from quota_pipeline.settings import PROJECT_ROOT


def _fingerprint(folder: Path, policy: Path) -> str:
    found = [locate_extract(folder, spec) for spec in EXTRACTS]  # no optional overrides
    return input_fingerprint([extract for extract in found if extract is not None], policy)


def _copy(tmp_path: Path, name: str) -> tuple[Path, Path]:
    folder = tmp_path / name
    shutil.copytree(SMALL_FIXTURE, folder)
    policy = tmp_path / f"{name}.yaml"
    shutil.copy(POLICY_FILE, policy)
    return folder, policy


def test_same_contents_elsewhere_give_the_same_fingerprint(tmp_path):
    assert _fingerprint(*_copy(tmp_path, "a")) == _fingerprint(*_copy(tmp_path, "b"))


def test_one_changed_extract_byte_changes_the_fingerprint(tmp_path):
    folder, policy = _copy(tmp_path, "a")
    before = _fingerprint(folder, policy)
    quotas = folder / "quotas.csv"
    quotas.write_bytes(quotas.read_bytes().replace(b"0", b"1", 1))
    assert _fingerprint(folder, policy) != before


def test_a_policy_change_changes_the_fingerprint(tmp_path):
    folder, policy = _copy(tmp_path, "a")
    before = _fingerprint(folder, policy)
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    assert _fingerprint(folder, policy) != before


def test_code_files_cover_the_package_and_the_dbt_models():
    names = {path.relative_to(PROJECT_ROOT).as_posix() for path in code_files()}
    assert "quota_pipeline/planning/quota_risk.py" in names
    assert any(name.startswith("dbt_project/models/marts/") for name in names)
    assert not any("/target/" in name for name in names)
