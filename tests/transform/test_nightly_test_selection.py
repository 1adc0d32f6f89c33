"""What the nightly build skips: dbt tests a GX raw suite already ran, and SQL invariants.

A staging test tagged covered_by_gx_raw_suite is excluded from the nightly `dbt build`
(and has no asset check); it is safe only if the extract's GX suite holds the same rule on
the same rows. This test derives, for every tagged test, the GX expectation it repeats and
fails when the suite lacks it, so nobody can tag a test that nothing else runs. Tests
tagged sql_invariant run here in the test suite's `dbt build` on the fixtures.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dagster import AssetKey

from quota_pipeline.definitions import defs
from quota_pipeline.quality.suites import load_suite, resolved_column
from quota_pipeline.transform.assets import (
    COVERED_BY_GX,
    NIGHTLY_EXCLUDES,
    NIGHTLY_SKIPPED_TAGS,
    SQL_INVARIANT,
)
from quota_pipeline.transform.project import ensure_manifest


def _tagged_tests(tag: str = COVERED_BY_GX) -> list[dict[str, Any]]:
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and tag in node.get("tags", [])
    ]


def _expected_gx_rule(node: dict[str, Any]) -> tuple[str, Any]:
    """The GX expectation (type, column or columns) that a dbt generic test repeats."""
    meta = node["test_metadata"]
    kwargs = meta.get("kwargs", {})
    column = node.get("column_name")
    match meta["name"]:
        case "not_null":
            return "expect_column_values_to_not_be_null", column
        case "unique":  # the frame's repeated-key note is null; meta names the key
            return "expect_column_values_to_be_null", [column]
        case "unique_combination_of_columns":
            return "expect_column_values_to_be_null", kwargs["combination_of_columns"]
        case "relationships":
            return "expect_column_values_to_be_in_set", resolved_column(column)
        case "accepted_values":
            return "expect_column_values_to_be_in_set", column
        case "expression_is_true":
            expression = kwargs["expression"]
            if found := re.fullmatch(r"(\w+) (>=|>) 0", expression):
                return "expect_column_values_to_be_between", found.group(1)
            if found := re.fullmatch(r"(\w+) <= (\w+)", expression):
                pair = f"{found.group(2)} >= {found.group(1)}"
                return "expect_column_pair_values_a_to_be_greater_than_b", pair
            raise AssertionError(f"no GX counterpart known for {expression}")
    raise AssertionError(f"no GX counterpart known for {meta['name']}")


def _suite_rules(extract: str) -> set[tuple[str, str]]:
    rules = set()
    for expectation in load_suite(f"raw.{extract}")["expectations"]:
        kwargs = expectation["kwargs"]
        target = expectation["meta"].get("unique_key") or kwargs.get("column")
        if "column_A" in kwargs:
            target = f"{kwargs['column_A']} >= {kwargs['column_B']}"
        rules.add((expectation["type"], json.dumps(target)))
    return rules


def test_every_skipped_dbt_test_is_a_gx_raw_suite_rule():
    tagged = _tagged_tests()
    assert len(tagged) >= 59  # every staging rule the raw suites hold
    for node in tagged:
        model = node["attached_node"]  # model.quota_pipeline.stg_<extract>
        assert ".stg_" in model, node["unique_id"]
        extract = model.rsplit(".stg_", 1)[1]
        kind, target = _expected_gx_rule(node)
        assert (kind, json.dumps(target)) in _suite_rules(extract), node["unique_id"]
        expression = node["test_metadata"].get("kwargs", {}).get("expression", "")
        if " > 0" in expression:  # strictly positive: the GX bound must be strict too
            assert _strict_minimum(extract, target), node["unique_id"]


def _strict_minimum(extract: str, column: str) -> bool:
    return any(
        e["type"] == "expect_column_values_to_be_between"
        and e["kwargs"].get("column") == column
        and e["kwargs"].get("strict_min")
        for e in load_suite(f"raw.{extract}")["expectations"]
    )


def test_nightly_build_excludes_them_and_has_no_check_for_them():
    assert NIGHTLY_EXCLUDES[-2:] == ["--exclude", f"tag:{COVERED_BY_GX} tag:{SQL_INVARIANT}"]
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    for tag in NIGHTLY_SKIPPED_TAGS:
        skipped = {node["name"] for node in _tagged_tests(tag)}
        assert skipped and not skipped & checks, tag
    # the untagged currency reference on the same model stays a nightly check
    staged = AssetKey(["staging", "stg_account_targets"])
    on_model = {
        k.name for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == staged
    }
    assert any(
        name.startswith("relationships_stg_account_targets_currency_iso") for name in on_model
    )
