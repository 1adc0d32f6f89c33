"""quota_pipeline.generate.synthetic: the generated extracts keep the contract, are
deterministic, and look like a sales org a planner believes (risk mix, quota-to-OTE,
account sizes per segment). Small sizes keep these tests fast; DuckDB checks the data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from quota_pipeline.generate.__main__ import main
from quota_pipeline.generate.synthetic import PERIODS, generate_extracts, ramp_factors
from quota_pipeline.ingest.specs import EXTRACT_NAMES, EXTRACTS, SPECS
from quota_pipeline.policy import load_policy
from quota_pipeline.settings import PROJECT_ROOT

ACCOUNTS = 2_000
HIGH_VALUE = 100_000


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _sql_type(spec_name: str, column: str) -> str:
    col = SPECS[spec_name].column(column)
    if col.type == "date":
        return "DATE"
    if col.type == "integer":
        return "INTEGER"
    if col.type == "decimal":
        return "DECIMAL(18,2)" if col.money else "DOUBLE"
    return "VARCHAR"


def _connect(folder: Path, fmt: str) -> duckdb.DuckDBPyConnection:
    """One typed view per extract; a value that does not parse fails here."""
    con = duckdb.connect()
    for spec in EXTRACTS:
        path = folder / f"{spec.name}.{fmt}"
        if fmt == "csv":
            columns = ", ".join(f"'{c}': '{_sql_type(spec.name, c)}'" for c in spec.column_names)
            source = (
                f"read_csv('{path}', header = true, columns = {{{columns}}}, "
                "dateformat = '%Y-%m-%d', quote = '\"', nullstr = '')"
            )
        else:
            source = f"read_parquet('{path}')"
        casts = ", ".join(
            f"CAST({c} AS {_sql_type(spec.name, c)}) AS {c}" for c in spec.column_names
        )
        con.execute(f"CREATE TABLE {spec.name} AS SELECT {casts} FROM {source}")
    con.execute(
        "CREATE TABLE rates AS SELECT currency_iso, rate_to_corporate AS rate FROM fx_rates "
        "UNION ALL SELECT 'USD', 1.0 WHERE 'USD' NOT IN (SELECT currency_iso FROM fx_rates)"
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("csv")
    generate_extracts(folder, accounts=ACCOUNTS, seed=7, fmt="csv")
    return folder


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parquet")
    generate_extracts(folder, accounts=ACCOUNTS, seed=7, fmt="parquet")
    return folder


@pytest.fixture(scope="module", params=["csv", "parquet"])
def con(request: pytest.FixtureRequest, csv_dir: Path, parquet_dir: Path):
    folder = csv_dir if request.param == "csv" else parquet_dir
    connection = _connect(folder, request.param)
    yield connection
    connection.close()


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str) -> None:
    generate_extracts(tmp_path / "a", accounts=ACCOUNTS, seed=11, fmt=fmt)
    generate_extracts(tmp_path / "b", accounts=ACCOUNTS, seed=11, fmt=fmt)
    generate_extracts(tmp_path / "c", accounts=ACCOUNTS, seed=12, fmt=fmt)
    first, second, other = (_digests(tmp_path / d) for d in "abc")
    assert first == second
    assert first.keys() == other.keys()
    for name in ("accounts", "account_targets", "sellers", "quotas"):
        assert first[f"{name}.{fmt}"] != other[f"{name}.{fmt}"]


def test_every_extract_file_in_both_formats(csv_dir: Path, parquet_dir: Path) -> None:
    assert sorted(p.name for p in csv_dir.iterdir()) == sorted(f"{n}.csv" for n in EXTRACT_NAMES)
    assert sorted(p.name for p in parquet_dir.iterdir()) == sorted(
        f"{n}.parquet" for n in EXTRACT_NAMES
    )


def test_switching_format_removes_the_stale_file(tmp_path: Path) -> None:
    generate_extracts(tmp_path, accounts=300, fmt="csv")
    (tmp_path / "unrelated.txt").write_text("kept")
    generate_extracts(tmp_path, accounts=300, fmt="parquet")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*(f"{n}.parquet" for n in EXTRACT_NAMES), "unrelated.txt"])


def test_returned_counts_match_the_files(tmp_path: Path) -> None:
    rows = generate_extracts(tmp_path / "out", accounts=ACCOUNTS, fmt="csv")
    assert list(rows) == list(EXTRACT_NAMES)
    for name, count in rows.items():
        assert pl.read_csv(tmp_path / "out" / f"{name}.csv", infer_schema=False).height == count


def test_csv_header_and_text_format(csv_dir: Path) -> None:
    for spec in EXTRACTS:
        header = (csv_dir / f"{spec.name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(spec.column_names)
    sellers = pl.read_csv(csv_dir / "sellers.csv", infer_schema=False)
    assert sellers["hire_date"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    targets = pl.read_csv(csv_dir / "account_targets.csv", infer_schema=False)
    amounts = targets["target_amount"].drop_nulls()
    assert amounts.str.contains(r"^\d+\.\d{2}$").all()  # no sign, no exponent, cents


def test_csv_and_parquet_hold_the_same_data(csv_dir: Path, parquet_dir: Path) -> None:
    csv_con, parquet_con = _connect(csv_dir, "csv"), _connect(parquet_dir, "parquet")
    for name in EXTRACT_NAMES:
        left = csv_con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        right = parquet_con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
        assert left == right, name


# --------------------------------------------------------------------------- contract rules


def test_keys_are_unique_and_required_columns_present(con: duckdb.DuckDBPyConnection) -> None:
    for spec in EXTRACTS:
        key = ", ".join(spec.key)
        duplicates = _one(
            con,
            f"SELECT count(*) FROM (SELECT {key} FROM {spec.name} "
            "GROUP BY ALL HAVING count(*) > 1)",
        )
        assert duplicates == 0, spec.name
        for column in spec.columns:
            if column.required:
                nulls = _one(con, f"SELECT count(*) FROM {spec.name} WHERE {column.name} IS NULL")
                assert nulls == 0, f"{spec.name}.{column.name}"


def test_references_resolve(con: duckdb.DuckDBPyConnection) -> None:
    for spec in EXTRACTS:
        for ref in spec.references:
            unknown = _one(
                con,
                f"SELECT count(*) FROM {spec.name} s WHERE s.{ref.column} IS NOT NULL "
                f"AND s.{ref.column} NOT IN (SELECT {ref.key} FROM {ref.extract})",
            )
            assert unknown == 0, f"{spec.name}.{ref.column}"


def test_enums_currencies_and_money(con: duckdb.DuckDBPyConnection) -> None:
    for spec in EXTRACTS:
        for column in spec.columns:
            if column.enum:
                allowed = ", ".join(f"'{v}'" for v in column.enum)
                bad = _one(
                    con,
                    f"SELECT count(*) FROM {spec.name} WHERE {column.name} NOT IN ({allowed})",
                )
                assert bad == 0, f"{spec.name}.{column.name}"
            if column.type == "currency" and spec.name != "fx_rates":
                bad = _one(
                    con,
                    f"SELECT count(*) FROM {spec.name} "
                    f"WHERE {column.name} NOT IN (SELECT currency_iso FROM rates)",
                )
                assert bad == 0, f"{spec.name}.{column.name}"
            if column.money:
                negative = _one(con, f"SELECT count(*) FROM {spec.name} WHERE {column.name} < 0")
                assert negative == 0, f"{spec.name}.{column.name}"
                too_big = _one(con, f"SELECT count(*) FROM {spec.name} WHERE {column.name} > 1e12")
                assert too_big == 0, f"{spec.name}.{column.name}"
    assert _one(con, "SELECT min(rate_to_corporate) FROM fx_rates") > 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM fx_rates WHERE NOT regexp_full_match(currency_iso, '[A-Z]{3}')",
        )
        == 0
    )


def test_fiscal_periods(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT period, fiscal_year, start_date::VARCHAR, end_date::VARCHAR "
        "FROM fiscal_periods ORDER BY start_date"
    ).fetchall()
    assert rows == [(p, 2027, start, end) for p, start, end in PERIODS]


def test_hierarchy_is_a_tree_at_least_three_levels_deep(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT territory_id, level FROM territories WHERE parent_territory_id IS NULL"
    ).fetchall() == [("GLOBAL", "global")]
    regions = con.execute(
        "SELECT territory_id FROM territories WHERE parent_territory_id = 'GLOBAL' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in regions] == ["AMER", "APAC", "EMEA", "LATAM"]
    depth = con.execute(
        """
        WITH RECURSIVE walk(territory_id, depth) AS (
            SELECT territory_id, 0 FROM territories WHERE parent_territory_id IS NULL
            UNION ALL
            SELECT t.territory_id, w.depth + 1
            FROM territories t JOIN walk w ON t.parent_territory_id = w.territory_id
        )
        SELECT count(*), max(depth), count(DISTINCT territory_id) FROM walk
        """
    ).fetchone()
    total = _one(con, "SELECT count(*) FROM territories")
    assert depth[0] == depth[2] == total  # every territory reached exactly once: no cycle
    assert depth[1] >= 3
    # Accounts and sellers live in leaf territories.
    for extract in ("accounts", "sellers"):
        not_leaf = _one(
            con,
            f"SELECT count(*) FROM {extract} WHERE territory_id IN "
            "(SELECT parent_territory_id FROM territories WHERE parent_territory_id IS NOT NULL)",
        )
        assert not_leaf == 0


# --------------------------------------------------------------------------- promised features


def test_sellers_mix(con: duckdb.DuckDBPyConnection) -> None:
    statuses = dict(con.execute("SELECT status, count(*) FROM sellers GROUP BY ALL").fetchall())
    assert statuses.get("terminated", 0) > 0
    assert statuses["active"] > statuses.get("on_leave", 0)
    ramping = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE hire_date > DATE '2026-02-01') FROM sellers "
        "WHERE hire_date > DATE '2025-09-01'"
    ).fetchone()
    assert ramping[0] > 0 and ramping[1] > 0
    assert _one(con, "SELECT count(DISTINCT seniority) FROM sellers") == 4
    assert _one(con, "SELECT count(*) FROM sellers WHERE strategic_focus IS NULL") > 0
    assert _one(con, "SELECT count(*) FROM sellers WHERE ote_amount <= 0") == 0


def test_accounts_mix(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM accounts") == ACCOUNTS
    assert _one(con, "SELECT count(*) FROM accounts WHERE owner_seller_id IS NULL") > 0
    assert _one(con, "SELECT count(*) FROM accounts WHERE annual_revenue IS NULL") > 0
    owned_by_terminated = _one(
        con,
        "SELECT count(*) FROM accounts a JOIN sellers s ON a.owner_seller_id = s.seller_id "
        "WHERE s.status = 'terminated'",
    )
    assert owned_by_terminated > 0
    same_territory = _one(
        con,
        "SELECT avg((a.territory_id = s.territory_id)::INT) FROM accounts a "
        "JOIN sellers s ON a.owner_seller_id = s.seller_id",
    )
    assert same_territory > 0.8
    segments = dict(con.execute("SELECT segment, count(*) FROM accounts GROUP BY ALL").fetchall())
    assert segments["smb"] > segments["mid_market"] > segments["enterprise"] > 0


def test_targets_mix(con: duckdb.DuckDBPyConnection) -> None:
    rows, empty = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE target_amount IS NULL) FROM account_targets"
    ).fetchone()
    assert 0 < rows < ACCOUNTS * len(PERIODS)  # some account-periods have no row
    assert empty > 0
    assert _one(con, "SELECT count(DISTINCT currency_iso) FROM account_targets") >= 3
    high_value = _one(
        con,
        "SELECT count(*) FROM account_targets JOIN rates USING (currency_iso) "
        f"WHERE target_amount * rate >= {HIGH_VALUE}",
    )
    assert high_value > 0
    # The account's currency is its territory's; the same across periods.
    currencies_per_account = _one(
        con,
        "SELECT max(n) FROM (SELECT count(DISTINCT currency_iso) AS n "
        "FROM account_targets GROUP BY account_id)",
    )
    assert currencies_per_account == 1


def test_quotas_are_round_and_in_the_sellers_currency(con: duckdb.DuckDBPyConnection) -> None:
    # Quotas: round thousands in the seller's currency, every active seller every period.
    assert _one(con, "SELECT count(*) FROM quotas WHERE quota_amount % 1000 <> 0") == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM quotas q JOIN sellers s USING (seller_id) "
            "WHERE q.currency_iso <> s.currency_iso",
        )
        == 0
    )
    missing = _one(
        con,
        "SELECT count(*) FROM sellers s CROSS JOIN fiscal_periods p "
        "WHERE s.status <> 'terminated' AND NOT EXISTS "
        "(SELECT 1 FROM quotas q WHERE q.seller_id = s.seller_id AND q.period = p.period)",
    )
    assert missing == 0


# --------------------------------------------------------------------------- a believable org


ORG_ACCOUNTS = 20_000  # the size `make run` generates: 200 sellers


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The sample org's seller-periods with the contract's capacity (section 3) computed
    here independently in SQL, the ramp factor from the generator's own helper."""
    policy = load_policy(PROJECT_ROOT / "planning_policy.yaml")
    folder = tmp_path_factory.mktemp("org")
    generate_extracts(folder, accounts=ORG_ACCOUNTS)
    con = _connect(folder, "csv")
    sellers = con.sql("SELECT seller_id, hire_date FROM sellers ORDER BY seller_id").pl()
    factors = ramp_factors(
        sellers["hire_date"].to_numpy().astype("datetime64[D]"), policy.ramp_curve
    )
    con.register(
        "ramp",
        pl.DataFrame(
            {
                "seller_id": sellers["seller_id"].to_list() * len(PERIODS),
                "period": [p[0] for p in PERIODS for _ in range(sellers.height)],
                "ramp": factors.T.ravel(),
            }
        ),
    )
    seniority = " ".join(f"WHEN '{k}' THEN {v}" for k, v in policy.seniority_multiplier.items())
    focus = " ".join(f"WHEN '{k}' THEN {v}" for k, v in policy.focus_multiplier.items())
    con.execute(
        f"""
        CREATE TABLE org AS
        WITH targets AS (
            SELECT a.owner_seller_id AS seller_id, t.period,
                   sum(coalesce(round(t.target_amount * r.rate, 2), 0)) AS sat,
                   count(*) FILTER (WHERE t.target_amount * r.rate >= {HIGH_VALUE}) AS high_value
            FROM account_targets t JOIN accounts a USING (account_id)
            JOIN rates r ON r.currency_iso = t.currency_iso
            WHERE a.owner_seller_id IS NOT NULL GROUP BY ALL
        )
        SELECT q.seller_id, q.period, q.quota_amount * r.rate AS quota,
               coalesce(t.sat, 0) * ramp.ramp * (CASE s.seniority {seniority} END)
                 * (CASE coalesce(s.strategic_focus, 'none') {focus} END) AS capacity,
               coalesce(t.high_value, 0) AS high_value,
               sum(q.quota_amount * r.rate) OVER (PARTITION BY q.seller_id)
                 / (s.ote_amount * so.rate) AS quota_to_ote
        FROM quotas q JOIN rates r ON r.currency_iso = q.currency_iso
        JOIN sellers s USING (seller_id) JOIN rates so ON so.currency_iso = s.currency_iso
        JOIN ramp USING (seller_id, period)
        LEFT JOIN targets t USING (seller_id, period)
        """
    )
    return con


def test_most_sellers_are_low_or_medium_risk(org: duckdb.DuckDBPyConnection) -> None:
    """About 10-25 % high or critical in each quarter (bands of the default policy)."""
    for period, share in org.execute(
        "SELECT period, avg((capacity = 0 OR quota / capacity > 1.10)::INT) FROM org GROUP BY 1"
    ).fetchall():
        assert 0.10 <= share <= 0.25, (period, share)
    levels = org.execute(
        "SELECT count(*) FILTER (WHERE quota / capacity <= 1.0), "
        "count(*) FILTER (WHERE quota / capacity > 1.0 AND quota / capacity <= 1.1), "
        "count(*) FILTER (WHERE capacity = 0 OR quota / capacity > 1.25) FROM org"
    ).fetchone()
    assert levels[0] > levels[1] > 0 and levels[2] > 0  # every level shows up


def test_quota_to_ote_mostly_inside_the_policy_range(org: duckdb.DuckDBPyConnection) -> None:
    inside, below, above = org.execute(
        "SELECT avg((quota_to_ote BETWEEN 4 AND 8)::INT), "
        "count(*) FILTER (WHERE quota_to_ote < 4), "
        "count(*) FILTER (WHERE quota_to_ote > 8) FROM org"
    ).fetchone()
    assert inside >= 0.85 and below > 0 and above > 0


def test_account_targets_have_believable_sizes_per_segment(
    con: duckdb.DuckDBPyConnection,
) -> None:
    medians = dict(
        con.execute(
            "SELECT segment, median(target_amount * rate) FROM account_targets "
            "JOIN accounts USING (account_id) JOIN rates USING (currency_iso) "
            "WHERE target_amount > 0 GROUP BY 1"
        ).fetchall()
    )
    assert 100_000 <= medians["enterprise"] < 1_000_000  # six figures a quarter
    assert 5_000 <= medians["mid_market"] < 100_000
    assert 1_000 <= medians["smb"] < 10_000  # a few thousand


def test_most_sellers_own_high_value_accounts(org: duckdb.DuckDBPyConnection) -> None:
    share = _one(org, "SELECT avg((high_value > 0)::INT) FROM org WHERE capacity > 0")
    assert share > 0.5
    assert _one(org, "SELECT count(*) FROM org WHERE high_value >= 3") > 0


def test_only_part_of_the_accounts_has_a_bottom_up_target(con: duckdb.DuckDBPyConnection) -> None:
    """Some planned at 0, many empty (not planned yet) but under the policy's null limit."""
    zero, empty = con.execute(
        "SELECT avg((target_amount = 0)::INT), avg((target_amount IS NULL)::INT) "
        "FROM account_targets"
    ).fetchone()
    assert zero > 0.1
    assert 0.05 < empty < 0.20  # policy quality.max_null_target_share


def test_target_overrides_each_carry_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    rows, reasons, planners = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE trim(reason) <> ''), count(overridden_by) "
        "FROM target_overrides"
    ).fetchone()
    assert rows > 0 and reasons == rows and 0 < planners < rows
    assert _one(con, "SELECT count(*) FROM target_overrides WHERE target_amount IS NULL") == 0


def test_without_overrides_the_eight_required_extracts(tmp_path: Path) -> None:
    generate_extracts(tmp_path, accounts=300, fmt="csv")
    rows = generate_extracts(tmp_path, accounts=300, fmt="csv", overrides=False)
    assert "target_overrides" not in rows
    assert not (tmp_path / "target_overrides.csv").exists()
    assert len(list(tmp_path.glob("*.csv"))) == len(EXTRACT_NAMES) - 1


def test_topdown_targets(con: duckdb.DuckDBPyConnection) -> None:
    per_period = con.execute(
        "SELECT period, list(territory_id ORDER BY territory_id) FROM topdown_targets "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [p for p, _ in per_period] == [p[0] for p in PERIODS]
    for _, territories in per_period:
        assert {"GLOBAL", "AMER", "EMEA", "APAC", "LATAM"} <= set(territories)
    assert _one(con, "SELECT count(DISTINCT currency_iso) FROM topdown_targets") == 1
    # Nested: a target at a leaf or area below a region's target below the root's.
    nested = _one(
        con,
        "SELECT count(*) FROM topdown_targets t JOIN territories c USING (territory_id) "
        "JOIN topdown_targets p ON p.territory_id = c.parent_territory_id "
        "AND p.period = t.period WHERE c.level IN ('area', 'territory')",
    )
    assert nested > 0
    # Root: the planned potential (the targets, and those not planned yet) x 0.88-1.04,
    # so close to the planned targets' total or above it.
    factor = con.execute(
        """
        SELECT min(td.target_amount / bu.total), max(td.target_amount / bu.total)
        FROM topdown_targets td
        JOIN (SELECT period, sum(round(target_amount * rate, 2)) AS total
              FROM account_targets JOIN rates USING (currency_iso) GROUP BY ALL) bu
          USING (period)
        WHERE td.territory_id = 'GLOBAL'
        """
    ).fetchone()
    assert factor[0] >= 0.87 and factor[1] <= 1.4


# --------------------------------------------------------------------------- options


def test_row_counts_scale_with_accounts(tmp_path: Path) -> None:
    small = generate_extracts(tmp_path / "small", accounts=1_000, fmt="parquet")
    large = generate_extracts(tmp_path / "large", accounts=4_000, fmt="parquet")
    assert (small["accounts"], large["accounts"]) == (1_000, 4_000)
    assert (small["sellers"], large["sellers"]) == (10, 40)
    for rows, accounts in ((small, 1_000), (large, 4_000)):
        share = rows["account_targets"] / (accounts * len(PERIODS))
        assert 0.94 < share < 0.995
    assert large["quotas"] > 3 * small["quotas"]
    assert large["territories"] > small["territories"] - 1


def test_explicit_sellers_and_tiny_sizes(tmp_path: Path) -> None:
    rows = generate_extracts(tmp_path / "many", accounts=500, sellers=80)
    assert rows["sellers"] == 80
    territories = pl.read_csv(tmp_path / "many" / "territories.csv")
    assert (territories["level"] == "territory").sum() == 10  # ~ sellers / 8
    rows = generate_extracts(tmp_path / "tiny", accounts=1, sellers=1)
    assert rows["accounts"] == 1 and rows["sellers"] == 1
    con = _connect(tmp_path / "tiny", "csv")
    assert _one(con, "SELECT count(*) FROM sellers") == 1


def test_other_corporate_currency(tmp_path: Path) -> None:
    generate_extracts(tmp_path, accounts=ACCOUNTS, corporate_currency="EUR")
    fx = dict(pl.read_csv(tmp_path / "fx_rates.csv").iter_rows())
    assert "EUR" not in fx
    assert fx["USD"] == pytest.approx(1 / 1.08, rel=1e-6)
    assert fx["GBP"] == pytest.approx(1.27 / 1.08, rel=1e-6)
    topdown = pl.read_csv(tmp_path / "topdown_targets.csv")
    assert topdown["currency_iso"].unique().to_list() == ["EUR"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accounts": 0}, "accounts"),
        ({"sellers": 0}, "sellers"),
        ({"fmt": "xlsx"}, "format"),
        ({"corporate_currency": "CHF"}, "corporate currency"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_extracts(tmp_path, **kwargs)


def test_module_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--accounts", "500", "--format", "parquet"]) == 0
    assert "accounts" in capsys.readouterr().out
    assert len(list(tmp_path.glob("*.parquet"))) == len(EXTRACT_NAMES)
    with pytest.raises(SystemExit) as refused:
        main(["--out", str(tmp_path), "--accounts", "0"])
    assert refused.value.code == 2
