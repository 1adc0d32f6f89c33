"""CHANGES.yaml parsing: text kept as written, one-line errors naming list and position."""

from __future__ import annotations

from pathlib import Path

import pytest

from quota_pipeline.scenarios.changes import ChangeError, parse_changes, read_changes


def test_values_stay_as_the_text_written(tmp_path: Path):
    path = tmp_path / "CHANGES.yaml"
    path.write_text(
        "name: emea-hires\n"
        "quotas:\n"
        "  - {seller_id: S1, period: FY2027-Q1, quota_amount: 120000.10, currency_iso: USD}\n"
        "new_sellers:\n"
        "  - {seller_id: H1, seller_name: Hire, territory_id: DACH, seniority: mid,\n"
        "     hire_date: 2027-02-01, ote_amount: 150000, currency_iso: USD,\n"
        "     strategic_focus: null, status: active}\n",
        encoding="utf-8",
    )
    changes = read_changes(path)
    assert changes.name == "emea-hires"
    quota = changes.of_kind("quotas")[0]
    assert quota.values["quota_amount"] == "120000.10"  # never a float
    hire = changes.of_kind("new_sellers")[0]
    assert hire.values["hire_date"] == "2027-02-01"
    assert hire.values["strategic_focus"] is None
    assert read_changes(path, "other").name == "other"  # --name wins


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "x", "quota": []}, "CHANGES.yaml: unknown list 'quota'"),
        (
            {"name": "x", "quotas": [{"seller_id": "S1", "period": "P", "quota_amout": 1}]},
            "CHANGES.yaml: quotas[0]: unknown column 'quota_amout'",
        ),
        (
            {"name": "x", "quotas": [{"period": "P"}]},
            "CHANGES.yaml: quotas[0]: seller_id is missing",
        ),
        (
            {"name": "x", "account_owners": ["A1"]},
            "CHANGES.yaml: account_owners[0]: expected a mapping",
        ),
        ({"name": "bad name!", "quotas": []}, "scenario name 'bad name!'"),
        ({"quotas": [{"seller_id": "S1", "period": "P"}]}, "the scenario has no name"),
        ({"name": "x"}, "CHANGES.yaml: no changes"),
        (
            {
                "name": "x",
                "account_owners": [
                    {"account_id": "A1", "owner_seller_id": "S1"},
                    {"account_id": "A1", "owner_seller_id": "S2"},
                ],
            },
            "CHANGES.yaml: account_owners[1]: changes the same row as account_owners[0]",
        ),
    ],
)
def test_malformed_changes_give_one_line(document, message):
    with pytest.raises(ChangeError) as raised:
        parse_changes(document, "CHANGES.yaml")
    text = str(raised.value)
    assert text.startswith("CHANGES.yaml: ") and message in text, text
    assert "\n" not in text
