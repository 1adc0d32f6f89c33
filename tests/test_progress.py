"""The CLI's run summary names what it counts: seller-periods by risk level, and failed
checks apart from warnings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from quota_pipeline.progress import Progress


def outcome(**changes: object) -> SimpleNamespace:
    published = {
        "exit_code": 0,
        "skipped": False,
        "rows_in": 1_234,
        "rows_quarantined": 2,
        "checks_failed": 0,
        "checks_warned": 1,
        "risk_levels": {"low": 254, "medium": 31, "high": 12},
        "warehouse": Path("/data/warehouse.duckdb"),
        "run_id": "2a68080a",
        "log_file": None,
        "seconds": 12.5,
        "message": "published /data/warehouse.duckdb",
    }
    return SimpleNamespace(**{**published, **changes})


def summary(capsys, **changes: object) -> list[str]:
    with Progress() as progress:
        progress.summary(outcome(**changes))
    return capsys.readouterr().out.splitlines()


def test_a_published_run_with_one_warning_has_no_failed_check(capsys):
    lines = summary(capsys)
    assert "  checks failed: 0" in lines
    assert "  check warnings: 1" in lines
    assert "  seller-periods by risk level: low 254, medium 31, high 12, critical 0" in lines
    assert not [line for line in lines if "sellers " in line]


def test_an_unchanged_night_shows_the_published_levels_and_no_checks(capsys):
    lines = summary(capsys, skipped=True, checks_warned=0)
    assert lines[1] == "  status: unchanged, nothing recomputed"
    assert not [line for line in lines if "check" in line]
    assert "  seller-periods by risk level: low 254, medium 31, high 12, critical 0" in lines
