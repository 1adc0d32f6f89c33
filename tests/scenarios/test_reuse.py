"""A scenario keeps the published tables its changes cannot alter, and only with proof.

Exactness is proven by test_whatif_e2e.py (each change kind against a nightly run on
hand-edited extracts, with reuse in effect); here: that the kept tables are the ones the
lineage allows, and that a policy changed since the publish keeps nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from support import POLICY_FILE, cli

pytestmark = pytest.mark.slow

ACCOUNT_MARTS = {"marts.account_target_allocation", "marts.account_target_distribution"}
QUOTA = {"seller_id": "S1", "period": "FY2027-Q1", "quota_amount": "120000", "currency_iso": "USD"}
HIRE = {
    "seller_id": "HIRE-9", "seller_name": "Hire 9", "territory_id": "DACH",
    "role": "Account Executive", "seniority": "mid", "hire_date": "2025-02-01",
    "ote_amount": "150000", "currency_iso": "USD", "strategic_focus": None, "status": "active",
}  # fmt: skip


def reused(env: dict[str, str], tmp_path: Path, name: str, changes: dict) -> set[str]:
    """Run scenario ``name`` of ``changes``; the models it kept as published."""
    changes_file = tmp_path / f"{name}.yaml"
    changes_file.write_text(yaml.safe_dump({"name": name, **changes}), "utf-8")
    ran = cli(env, "whatif", str(changes_file))
    assert ran.returncode == 0, ran.stderr + ran.stdout
    scenario = Path(env["QUOTA_WAREHOUSE"]).parent / "scenarios" / f"{name}.duckdb"
    with duckdb.connect(str(scenario), read_only=True) as con:
        return set(con.execute("select models_reused from compare.scenario").fetchall()[0][0])


def test_the_nightly_build_records_its_stamp(baseline):
    with duckdb.connect(baseline["QUOTA_WAREHOUSE"], read_only=True) as con:
        (stamp,) = con.execute("select dbt_build_digest from meta.dbt_build").fetchall()[0]
    assert len(stamp) == 64


def test_a_quotas_only_scenario_keeps_the_account_level_marts(baseline, tmp_path):
    kept = reused(baseline, tmp_path, "reuse-quotas", {"quotas": [QUOTA]})
    assert kept >= ACCOUNT_MARTS
    assert not kept & {"marts.seller_target_rollup", "marts.territory_rollup"}


def test_a_hire_keeps_the_allocation_but_not_what_reads_sellers(baseline, tmp_path):
    kept = reused(baseline, tmp_path, "reuse-hire", {"new_sellers": [HIRE]})
    assert "marts.account_target_allocation" in kept
    assert "marts.account_target_distribution" not in kept


def test_a_policy_changed_since_the_publish_keeps_nothing(baseline, tmp_path):
    policy = yaml.safe_load(POLICY_FILE.read_text("utf-8"))
    policy["high_value_min_target"] = policy["high_value_min_target"] + 1
    changed = tmp_path / "planning_policy.yaml"
    changed.write_text(yaml.safe_dump(policy), "utf-8")
    assert (
        reused(
            {**baseline, "QUOTA_POLICY": str(changed)},
            tmp_path,
            "reuse-policy",
            {"quotas": [QUOTA]},
        )
        == set()
    )


def test_an_account_move_rebuilds_the_distribution_for_the_two_sellers_only(baseline, tmp_path):
    """Exactness against a nightly run is test_whatif_e2e.py's; here: the move keeps the
    allocation, takes the partial path for the distribution, and the rows of sellers it
    does not touch are the published ones."""
    with duckdb.connect(baseline["QUOTA_WAREHOUSE"], read_only=True) as con:
        account, owner = con.execute(
            "select account_id, seller_id from marts.account_target_distribution "
            "order by account_id limit 1"
        ).fetchall()[0]
        other = con.execute(
            "select seller_id from raw.sellers where not _is_quarantined and seller_id <> $s "
            "and status = 'active' order by seller_id limit 1",
            {"s": owner},
        ).fetchall()[0][0]
    move = {"account_owners": [{"account_id": account, "owner_seller_id": other}]}
    changes_file = tmp_path / "move.yaml"
    changes_file.write_text(yaml.safe_dump({"name": "reuse-move", **move}), "utf-8")
    ran = cli(baseline, "whatif", str(changes_file))
    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert "rebuilt only for the sellers the changes touch" in ran.stdout
    scenario = Path(baseline["QUOTA_WAREHOUSE"]).parent / "scenarios" / "reuse-move.duckdb"
    with duckdb.connect(str(scenario), read_only=True) as con:
        kept, partly = con.execute(
            "select models_reused, models_partly_rebuilt from compare.scenario"
        ).fetchall()[0]
        assert partly == ["marts.account_target_distribution"]
        # the allocation reads no owner, and nothing else of the accounts changed
        assert "marts.account_target_allocation" in kept
        (own,) = con.execute("select current_database()").fetchall()[0]
        scenario_catalog = f'"{own}"'
        con.execute(f"attach '{baseline['QUOTA_WAREHOUSE']}' as published (read_only)")
        moved = con.execute(
            "select seller_id from marts.account_target_distribution where account_id = $a",
            {"a": account},
        ).fetchall()
        assert {seller for (seller,) in moved} == {other}
        untouched = (
            "select * from {}.marts.account_target_distribution where seller_id not in ($a, $b)"
        )
        differing = con.execute(
            f"select count(*) from ({untouched.format('published')} "
            f"except all {untouched.format(scenario_catalog)})",
            {"a": owner, "b": other},
        ).fetchall()[0][0]
        assert differing == 0
