"""The compiled dbt models a scenario runs: dependency order and the statements dbt runs."""

from __future__ import annotations

import duckdb

from quota_pipeline.scenarios.compute import (
    MAX_SCOPED_PARTITIONS,
    CompiledModel,
    all_supported,
    columns_read,
    models_in_order,
    plan_rebuild,
    run_models,
)


def _node(name: str, materialized: str, depends: list[str], **config: object) -> dict:
    return {
        "unique_id": f"model.p.{name}",
        "resource_type": "model",
        "schema": "marts",
        "relation_name": f'"warehouse"."marts"."{name}"',
        "compiled_code": f"select 1 as {name}",
        "depends_on": {"nodes": [f"model.p.{dep}" for dep in depends] + ["source.p.raw.x"]},
        "config": {"materialized": materialized, **config},
    }


def test_models_come_after_what_they_depend_on():
    manifest = {
        "nodes": {
            "model.p.c": _node("c", "table", ["b", "a"]),
            "model.p.b": _node("b", "view", ["a"]),
            "model.p.a": _node("a", "view", []),
            "test.p.t": {"resource_type": "test"},
        }
    }
    models = models_in_order(manifest)
    assert [model.unique_id for model in models] == ["model.p.a", "model.p.b", "model.p.c"]
    assert models[2].statement() == 'create table "warehouse"."marts"."c" as (\nselect 1 as c\n)'
    assert all_supported(models)


def test_other_materializations_hooks_and_contracts_fall_back_to_dbt():
    for node in (
        _node("i", "incremental", []),
        _node("h", "table", [], **{"post-hook": ["analyze"]}),
        _node("k", "table", [], contract={"enforced": True}),
    ):
        assert not all_supported(models_in_order({"nodes": {node["unique_id"]: node}}))


def test_a_table_is_reusable_only_when_no_source_upstream_of_it_changed():
    a = _node("a", "view", [])
    a["depends_on"]["nodes"] = ["source.p.raw.quotas"]
    manifest = {
        "nodes": {
            "model.p.a": a,
            "model.p.b": _node("b", "table", ["a"]),
            "model.p.c": _node("c", "table", []),
            "model.p.d": _node("d", "view", []),
        },
        "sources": {
            "source.p.raw.x": {"schema": "raw", "name": "x"},
            "source.p.raw.quotas": {"schema": "raw", "name": "quotas", "identifier": "quotas"},
        },
    }
    models = models_in_order(manifest)
    assert {m.unique_id: m.sources for m in models}["model.p.a"] == ("raw.quotas",)
    kept = plan_rebuild(models, {"raw.quotas"}).kept
    assert [model.unique_id for model in kept] == ["model.p.c"]
    assert {m.unique_id for m in plan_rebuild(models, set()).kept} == {"model.p.b", "model.p.c"}


def _scoping_manifest() -> dict:
    """raw.accounts -> stg (view) -> dist (table, partition seller_id) -> rollup (table,
    partition seller_id); raw.accounts -> alloc (table) -> via_table (table, partition);
    raw.quotas -> quota_view (view) -> quota_dist (table, partition)."""

    def reading(name: str, materialized: str, depends: list[str], sources: list[str], **config):
        node = _node(name, materialized, depends, **config)
        node["depends_on"]["nodes"] = [f"model.p.{dep}" for dep in depends] + sources
        return node

    seller = {"meta": {"scenario_partition": "seller_id"}}
    accounts, quotas = ["source.p.raw.accounts"], ["source.p.raw.quotas"]
    return {
        "nodes": {
            "model.p.stg": reading("stg", "view", [], accounts),
            "model.p.dist": reading("dist", "table", ["stg"], [], **seller),
            "model.p.rollup": reading("rollup", "table", ["dist"], [], **seller),
            "model.p.alloc": reading("alloc", "table", ["stg"], []),
            "model.p.via_table": reading("via_table", "table", ["alloc"], [], **seller),
            "model.p.quota_view": reading("quota_view", "view", [], quotas),
            "model.p.quota_dist": reading("quota_dist", "table", ["quota_view"], [], **seller),
        },
        "sources": {
            "source.p.raw.accounts": {"schema": "raw", "name": "accounts"},
            "source.p.raw.quotas": {"schema": "raw", "name": "quotas"},
        },
    }


def scoped(models, changed, column="seller_id", partitions=frozenset({"S1"}), unread=None):
    return plan_rebuild(models, changed, {"raw.accounts"}, column, partitions, unread).scoped


def test_only_a_partitioned_table_reached_through_views_by_covered_sources_is_scoped():
    models = models_in_order(_scoping_manifest())
    assert {m.unique_id: m.partition for m in models}["model.p.dist"] == "seller_id"
    # rollup reads dist (a table rebuilt in part), via_table reads alloc (rebuilt whole)
    assert scoped(models, {"raw.accounts"}, partitions={"S2", "S1", None}) == {
        "model.p.dist": ("S1", "S2")
    }
    # a changed source the partitions do not cover (quotas) scopes nothing it reaches
    both = {"raw.accounts", "raw.quotas"}
    assert set(scoped(models, both)) == {"model.p.dist"}
    # another partition column, or too many partitions: rebuilt whole
    assert scoped(models, {"raw.accounts"}, column="territory_id") == {}
    many = {f"S{index}" for index in range(MAX_SCOPED_PARTITIONS + 1)}
    assert scoped(models, {"raw.accounts"}, partitions=many) == {}


def test_a_table_that_reads_no_changed_column_is_kept_and_unblocks_what_reads_it():
    models = models_in_order(_scoping_manifest())
    unread = {"model.p.alloc": {"raw.accounts"}}  # alloc reads no owner: a move misses it
    plan = plan_rebuild(models, {"raw.accounts"}, {"raw.accounts"}, "seller_id", {"S1"}, unread)
    # via_table reads only alloc, which nothing reaches now: kept too
    kept = {model.unique_id for model in plan.kept}
    assert kept == {"model.p.alloc", "model.p.via_table", "model.p.quota_dist"}
    assert set(plan.scoped) == {"model.p.dist"}


def test_columns_read_follow_the_plan_and_keep_filters_the_data_makes_true():
    con = duckdb.connect()
    con.execute(
        "create schema raw; create table raw.accounts as select 'A1' as account_id, "
        "'S1' as owner_seller_id, 'T1' as territory_id, false as _is_quarantined"
    )
    con.execute(
        "create view stg as select account_id, owner_seller_id, territory_id "
        "from raw.accounts where not _is_quarantined"
    )
    read = columns_read(con, "select account_id, territory_id from stg", "raw.accounts")
    assert read == {"account_id", "territory_id", "_is_quarantined"}
    owned = "select account_id from stg where owner_seller_id is not null"
    assert "owner_seller_id" in columns_read(con, owned, "raw.accounts")
    assert columns_read(con, "select 1 as one", "raw.accounts") is None


def test_a_scoped_rebuild_replaces_only_the_rows_of_the_partitions():
    con = duckdb.connect()
    con.execute("create table accounts (account_id int, seller_id varchar, target int)")
    con.execute("insert into accounts values (1, 'S1', 10), (2, 'S1', 30), (3, 'S2', 5)")
    sql = (
        "select seller_id, account_id, row_number() over "
        "(partition by seller_id order by target desc) as rank_in_seller from accounts"
    )
    con.execute(f"create table dist as {sql}")
    model = CompiledModel("model.p.dist", "main", "dist", "table", sql, partition="seller_id")
    con.execute("update accounts set seller_id = 'S2' where account_id = 2")  # a move
    con.execute("insert into dist values ('S9', 99, 1)")  # a row no partition rebuilt
    run_models(con, [model], scoped={"model.p.dist": ("S1", "S2")})
    rows = con.execute("select * from dist order by all").fetchall()
    assert rows == [("S1", 1, 1), ("S2", 2, 1), ("S2", 3, 2), ("S9", 99, 1)]


def test_a_table_behind_a_view_still_reaches_a_table_that_reads_no_changed_column():
    """alloc (rebuilt: it reads the owner) is read through a view by report, whose own
    scan of the accounts reads no owner: report must be rebuilt all the same."""
    manifest = _scoping_manifest()
    nodes = manifest["nodes"]
    nodes["model.p.alloc_view"] = _node("alloc_view", "view", ["alloc"])
    nodes["model.p.alloc_view"]["depends_on"]["nodes"] = ["model.p.alloc"]
    nodes["model.p.report"] = _node("report", "table", ["alloc_view", "stg"])
    nodes["model.p.report"]["depends_on"]["nodes"] = ["model.p.alloc_view", "model.p.stg"]
    models = models_in_order(manifest)
    unread = {"model.p.report": {"raw.accounts"}}
    plan = plan_rebuild(models, {"raw.accounts"}, {"raw.accounts"}, "seller_id", {"S1"}, unread)
    assert "model.p.report" not in {model.unique_id for model in plan.kept}
    assert "model.p.report" not in plan.scoped
