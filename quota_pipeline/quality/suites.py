"""The GX suites: where they live, how the raw ones derive from the extract specs, and
which SQL reads the one frame each suite validates.

Raw-extract suites restate nothing: they are generated from ingest/specs.py and kept as
JSON under expectations/ so ops can read them and GX can render them; a test fails when
the JSON and the specs disagree. Drift suites (marts, risk) validate a per-period profile
of the table joined with the same profile of the last published warehouse; their bands
are ``$PARAMETER`` references filled from planning_policy.yaml at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quota_pipeline.ingest.loader import repeated_keys_sql
from quota_pipeline.ingest.specs import EXTRACTS, SPECS, Column, ExtractSpec
from quota_pipeline.policy import Policy
from quota_pipeline.settings import PROJECT_ROOT

SUITES_DIR = PROJECT_ROOT / "expectations"
# Meta flag of an expectation that compares with the last published run.
NEEDS_PREVIOUS = "needs_previous_run"
META_COLUMNS = ("_source_line", "_is_quarantined", "_record_key")
# Contract expectations apply to the accepted rows only; the quarantined ones are in the
# frame for the one expectation that bounds their share (policy max_quarantine_share).
# GX's structured row condition, which its SQL engine turns into a where clause.
ACCEPTED_ROWS = {
    "row_condition": {
        "type": "comparison",
        "column": {"name": "_is_quarantined"},
        "operator": "==",
        "parameter": False,
    }
}
QUARANTINE_NOTE = "_quarantine_note"
REPEATED_KEY = "_repeated_key"
# Expectations on the table's schema, not its rows: a row condition means nothing there.
ROW_FREE = ("expect_column_values_to_be_of_type",)
# Nullable columns whose null share is bounded (policy quality.max_null_target_share): a
# null target is "not planned yet", fine for a row, but an extract where most targets are
# blank (a CRM export that lost the column's values) would turn every seller critical.
NULL_SHARE_LIMITED = {("account_targets", "target_amount")}
# Currency codes are three capital letters. GX's regex expectation has no DuckDB form, so
# DuckDB evaluates the pattern into a derived boolean column that GX checks.
CURRENCY_CODE = "[A-Z]{3}"

# DuckDB cast of each spec type, and the SQLAlchemy generic type GX observes on that column.
SQL_TYPES = {"date": "date", "decimal": "double", "integer": "bigint"}
TABLE_TYPES = {"date": "Date", "decimal": "Float", "integer": "Integer", "currency": "String"}


def resolved_column(column: str) -> str:
    """Derived boolean column: the reference in ``column`` names an accepted row."""
    return f"{column}__resolved"


def code_column(column: str) -> str:
    """Derived boolean column: ``column`` holds a currency code (CURRENCY_CODE)."""
    return f"{column}__is_code"


def not_blank_column(column: str) -> str:
    """Derived boolean column: ``column`` holds more than whitespace (a reason, say)."""
    return f"{column}__not_blank"


def suite_name(table: str) -> str:
    return table


def suite_path(table: str, folder: Path = SUITES_DIR) -> Path:
    return folder / f"{table}.json"


def load_suite(table: str, folder: Path = SUITES_DIR) -> dict[str, Any]:
    return json.loads(suite_path(table, folder).read_text(encoding="utf-8"))


def _expectation(kind: str, meta: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": meta or {}}


def _accepted(expectation: dict[str, Any]) -> dict[str, Any]:
    return {**expectation, "kwargs": {**expectation["kwargs"], **ACCEPTED_ROWS}}


def _unique_key(key: tuple[str, ...]) -> dict[str, Any]:
    """The extract's key is unique on accepted rows: the frame's REPEATED_KEY column (a note
    on each accepted row whose key another accepted row shares, see raw_frame_sql) is null.

    The repeats are found by one group-by of the keys in the frame query, and GX checks the
    column with the suite's other column rules in one aggregate query. GX's uniqueness
    expectations run a window count per key and then a second query for the values (22 s
    of a 23 s suite on 39M account targets); an unexpected-rows query runs its group-by
    twice (count, then rows): 14 s.
    """
    return _expectation(
        "expect_column_values_to_be_null",
        {"unique_key": list(key), "shows": "line and key of accepted rows that share a key"},
        column=REPEATED_KEY,
    )


def _column_expectations(column: Column) -> list[dict[str, Any]]:
    """The rules of one column. Its presence is the suite's expect_table_columns_to_match_set
    (one check for every column; one expect_column_to_exist each cost GX 10-20 ms apiece)."""
    name = column.name
    found = []
    if column.type != "text":
        found.append(
            _expectation(
                "expect_column_values_to_be_of_type", column=name, type_=TABLE_TYPES[column.type]
            )
        )
    if column.required:
        found.append(_expectation("expect_column_values_to_not_be_null", column=name))
    if column.enum:
        found.append(
            _expectation("expect_column_values_to_be_in_set", column=name, value_set=column.enum)
        )
    if column.type == "currency":
        found.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                {"rule": f"{name} matches {CURRENCY_CODE}"},
                column=code_column(name),
                value_set=[True],
            )
        )
    if column.not_blank:
        found.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                {"rule": f"{name} is not blank"},
                column=not_blank_column(name),
                value_set=[True],
            )
        )
    if column.positive:
        found.append(
            _expectation(
                "expect_column_values_to_be_between", column=name, min_value=0, strict_min=True
            )
        )
    elif column.money:
        found.append(_expectation("expect_column_values_to_be_between", column=name, min_value=0))
    return found


def raw_suite_document(spec: ExtractSpec) -> dict[str, Any]:
    """The suite of one raw extract: contract rules on its accepted rows cast per spec
    types, and the share of quarantined rows within the policy (with their reasons)."""
    expectations = [
        _expectation(
            "expect_table_columns_to_match_set",
            column_set=[*spec.column_names, *META_COLUMNS],
            exact_match=False,
        ),
        _expectation(
            "expect_column_values_to_be_null",
            {"policy": "max_quarantine_share", "shows": "line, key and reason of rejected rows"},
            column=QUARANTINE_NOTE,
            mostly={"$PARAMETER": "min_accepted_share"},
        ),
    ]
    checked = []
    for column in spec.columns:
        checked += _column_expectations(column)
        if (spec.name, column.name) in NULL_SHARE_LIMITED:
            checked.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    {"policy": "quality.max_null_target_share"},
                    column=column.name,
                    mostly={"$PARAMETER": "min_planned_target_share"},
                )
            )
    for reference in spec.references:
        checked.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                {"reference": f"{reference.column} -> {reference.extract}.{reference.key}"},
                column=resolved_column(reference.column),
                value_set=[True],
            )
        )
    if spec.name == "fiscal_periods":
        checked.append(
            _expectation(
                "expect_column_pair_values_a_to_be_greater_than_b",
                column_A="end_date",
                column_B="start_date",
                or_equal=True,
            )
        )
    expectations += [
        expectation if expectation["type"] in ROW_FREE else _accepted(expectation)
        for expectation in checked
    ]
    expectations.append(_unique_key(spec.key))
    if not spec.may_be_empty:
        expectations.append(_expectation("expect_table_row_count_to_be_between", min_value=1))
    return {
        "name": suite_name(f"raw.{spec.name}"),
        "expectations": expectations,
        "meta": {
            "generated_from": "quota_pipeline/ingest/specs.py",
            "validates": f"raw.{spec.name} cast per spec; contract rules on accepted rows",
        },
    }


def raw_frame_sql(spec: ExtractSpec, table: str | None = None) -> str:
    """One scan of raw.<extract> (or ``table``, of the same shape): typed columns,
    references resolved in DuckDB, a note (line, key, reason) on each quarantined row and
    one (line, key, count) on each accepted row whose key another accepted row shares."""
    table = table or f"raw.{spec.name}"
    selects = [_typed(column) for column in spec.columns]
    selects += [f"t.{meta}" for meta in META_COLUMNS]
    selects.append(
        "case when t._is_quarantined then 'line ' || t._source_line || ' [' || "
        "coalesce(t._record_key, '') || ']: ' || coalesce(t._quarantine_reason, '?') "
        f"end as {QUARANTINE_NOTE}"
    )
    selects += [
        f"regexp_full_match(t.{column.name}, '{CURRENCY_CODE}') as {code_column(column.name)}"
        for column in spec.columns
        if column.type == "currency"
    ]
    selects += [
        f"trim(t.{column.name}) <> '' as {not_blank_column(column.name)}"
        for column in spec.columns
        if column.not_blank
    ]
    joins = [_repeated_key_join(spec, table)]
    note_key = " || '|' || ".join(f"t.{column}" for column in spec.key)
    selects.append(
        f"case when not t._is_quarantined and repeated.key_rows is not null then "
        f"'line ' || t._source_line || ' [' || {note_key} || ']: ' || repeated.key_rows || "
        f"' accepted rows share this key' end as {REPEATED_KEY}"
    )
    for index, reference in enumerate(spec.references):
        alias = f"r{index}"
        target = SPECS[reference.extract]
        joins.append(
            f"left join (select distinct {reference.key} as key from raw.{target.name} "
            f"where not _is_quarantined) {alias} on {alias}.key = t.{reference.column}"
        )
        selects.append(
            f"case when t.{reference.column} is null then null "
            f"else {alias}.key is not null end as {resolved_column(reference.column)}"
        )
    return f"select {', '.join(selects)} from {table} t {' '.join(joins)}"


def _repeated_key_join(spec: ExtractSpec, table: str) -> str:
    """The keys that more than one accepted row of ``table`` has, with their count."""
    same_key = " and ".join(f"repeated.{column} = t.{column}" for column in spec.key)
    repeated = repeated_keys_sql(table, spec.key, where="not _is_quarantined")
    return f"left join ({repeated}) repeated on {same_key}"


def _typed(column: Column) -> str:
    sql_type = SQL_TYPES.get(column.type)
    if sql_type is None:
        return f"t.{column.name}"
    return f"try_cast(t.{column.name} as {sql_type}) as {column.name}"


@dataclass(frozen=True)
class Bound:
    """A column whose values must lie in [low, high] (None: open on that side), checked on
    its per-period minimum and maximum (profile columns <column>_min and <column>_max)."""

    column: str
    low: float | None = 0.0
    high: float | None = None

    @property
    def profile_columns(self) -> tuple[str, str]:
        return f"{self.column}_min", f"{self.column}_max"


# Probabilities and shares lie in [0, 1]; ratios, counts and spreads are never negative.
SHARE = (0.0, 1.0)


@dataclass(frozen=True)
class DriftProfile:
    """What a drift suite measures per period of one mart or risk table (SQL aggregates),
    and the ranges its columns must stay in."""

    table: str
    target_total: str
    null_target_share: str
    bounds: tuple[Bound, ...] = ()

    @property
    def bound_columns(self) -> tuple[str, ...]:
        return tuple(name for bound in self.bounds for name in bound.profile_columns)


DRIFT_PROFILES: tuple[DriftProfile, ...] = (
    DriftProfile(
        "marts.account_target_distribution",
        "sum(target_amount_corp)",
        "avg((target_amount_corp is null)::int)",
    ),
    DriftProfile(
        "marts.seller_target_rollup",
        "sum(sum_account_targets)",
        "sum(accounts_missing_target) / nullif(sum(account_count), 0)",
    ),
    DriftProfile(
        "marts.territory_rollup",
        "sum(bottom_up_targets) filter (where depth = 0)",
        "avg((bottom_up_targets is null)::int)",
    ),
    DriftProfile(
        "risk.quota_risk", "sum(sum_account_targets)", "avg((sum_account_targets is null)::int)"
    ),
    DriftProfile(
        "risk.strategic_gaps", "sum(topdown_target)", "avg((topdown_target is null)::int)"
    ),
    # docs/contract.md 3c; the probability is never null (1 at a quota of 0)
    DriftProfile(
        "risk.seller_outlook",
        "sum(top1_target)",
        "avg((attainment_probability is null)::int)",
        (
            Bound("attainment_probability", *SHARE),
            Bound("top1_target"),
            Bound("coverage_without_top1"),
            Bound("accounts_to_break"),
            Bound("peer_median_ratio"),
            Bound("stretch_vs_peers", low=-1.0),
            Bound("fair_quota"),
        ),
    ),
    DriftProfile(
        "risk.territory_outlook",
        "sum(expected_sellers_at_quota)",
        "avg((expected_sellers_at_quota is null)::int)",
        (
            Bound("share_expected_at_quota", *SHARE),
            Bound("capacity_gini", *SHARE),
            Bound("expected_sellers_at_quota"),
            Bound("quota_over_assignment"),
            Bound("expected_coverage"),
            Bound("balance_cv"),
        ),
    ),
)
PROFILES = {profile.table: profile for profile in DRIFT_PROFILES}


def profile_sql(profile: DriftProfile, catalog: str | None = None) -> str:
    """One scan of the table: rows, total targets and share of null targets per period."""
    table = f"{catalog}.{profile.table}" if catalog else profile.table
    ranges = "".join(
        f", min({bound.column})::double as {low}, max({bound.column})::double as {high}"
        for bound in profile.bounds
        for low, high in [bound.profile_columns]
    )
    return (
        "select period, count(*) as row_count, "
        f"coalesce({profile.target_total}, 0)::double as target_total, "
        f"coalesce({profile.null_target_share}, 0)::double as null_target_share{ranges} "
        f"from {table} group by period"
    )


def drift_suite_document(profile: DriftProfile) -> dict[str, Any]:
    """Whole-table expectations on the per-period profile against the last published run."""
    previous = {NEEDS_PREVIOUS: True}
    return {
        "name": suite_name(profile.table),
        "expectations": [
            _expectation("expect_column_values_to_not_be_null", column="period"),
            _expectation("expect_table_row_count_to_be_between", min_value=1),
            _expectation(
                "expect_column_values_to_be_between",
                column="null_target_share",
                max_value={"$PARAMETER": "max_null_target_share"},
            ),
            _expectation(
                "expect_column_values_to_be_between",
                previous,
                column="row_count_ratio",
                min_value={"$PARAMETER": "row_count_ratio_min"},
                max_value={"$PARAMETER": "row_count_ratio_max"},
            ),
            _expectation(
                "expect_column_values_to_be_between",
                previous,
                column="target_total_ratio",
                min_value={"$PARAMETER": "target_total_ratio_min"},
                max_value={"$PARAMETER": "target_total_ratio_max"},
            ),
            *_bound_expectations(profile.bounds),
        ],
        "meta": {
            "validates": f"per-period profile of {profile.table} against the last published run",
            "profile": {
                "target_total": profile.target_total,
                "null_target_share": profile.null_target_share,
            },
        },
    }


def _bound_expectations(bounds: tuple[Bound, ...]) -> list[dict[str, Any]]:
    """Each bounded column's per-period minimum and maximum within its range."""
    return [
        _expectation(
            "expect_column_values_to_be_between",
            {"range_of": bound.column},
            column=name,
            **({"min_value": bound.low} if bound.low is not None else {}),
            **({"max_value": bound.high} if bound.high is not None else {}),
        )
        for bound in bounds
        for name in bound.profile_columns
    ]


def suite_parameters(policy: Policy) -> dict[str, float]:
    """The ``$PARAMETER`` values of every suite, from the policy (its only copy)."""
    quality = policy.quality
    # With targets_basis allocated a null bottom-up target is expected input (allocation
    # fills it): the limit then applies to final_target, in dbt (docs/contract.md 3b).
    planned = (
        0.0 if policy.allocation.targets_basis == "allocated" else 1 - quality.max_null_target_share
    )
    return {
        "min_accepted_share": 1 - policy.max_quarantine_share,
        "min_planned_target_share": planned,
        "max_null_target_share": quality.max_null_target_share,
        "row_count_ratio_min": 1 - quality.row_count_band,
        "row_count_ratio_max": 1 + quality.row_count_band,
        "target_total_ratio_min": 1 - quality.target_total_band,
        "target_total_ratio_max": 1 + quality.target_total_band,
    }


def all_suite_documents() -> dict[str, dict[str, Any]]:
    """Every suite as it must be on disk, by table name."""
    documents = {f"raw.{spec.name}": raw_suite_document(spec) for spec in EXTRACTS}
    documents |= {profile.table: drift_suite_document(profile) for profile in DRIFT_PROFILES}
    return documents


def write_suites(folder: Path = SUITES_DIR) -> list[Path]:
    """Regenerate expectations/*.json (python -m quota_pipeline.quality.suites)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, document in all_suite_documents().items():
        path = suite_path(table, folder)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_suites():
        print(path)
