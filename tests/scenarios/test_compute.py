"""The compiled dbt models a scenario runs: dependency order and the statements dbt runs."""

from __future__ import annotations

from quota_pipeline.scenarios.compute import all_supported, models_in_order, reusable_tables


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
    kept = reusable_tables(models, {"raw.quotas"})
    assert [model.unique_id for model in kept] == ["model.p.c"]
    assert {m.unique_id for m in reusable_tables(models, set())} == {"model.p.b", "model.p.c"}
