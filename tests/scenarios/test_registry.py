"""Every risk table the nightly job publishes is in the registry scenarios compute from."""

from __future__ import annotations

from quota_pipeline.risk.tables import RISK_TABLES


def test_every_risk_asset_of_the_nightly_job_is_registered():
    from quota_pipeline.definitions import defs

    risk_assets = {
        ".".join(key.path)
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if key.path[0] == "risk"
    }
    assert risk_assets == {entry.table for entry in RISK_TABLES}


def test_registry_reads_only_tables_built_before_it():
    built: set[str] = set()
    for entry in RISK_TABLES:
        for table in entry.reads:
            assert not table.startswith("risk.") or table in built, (entry.table, table)
        built.add(entry.table)
