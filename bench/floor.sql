-- The benchmark floor: the contract's marts and risk tables in one bare DuckDB script.
--
-- Why: the pipeline (Dagster + dbt-duckdb + Polars) pays for orchestration, raw tables
-- with lineage, validation, quarantine, checks, an ops database and an atomic publish.
-- This script does only the arithmetic of CONTRACT.md section 3 on the same CSV extracts,
-- in one process and one DuckDB connection, so the pipeline's time and memory can be read
-- against what the computation itself costs. bench/run_bench.py runs it on a fresh
-- DuckDB file after replacing the placeholder {extracts} with the extracts folder.
--
-- Deliberate shortcuts, acceptable only because this is a benchmark floor, not product code:
--   * No validation and no quarantine: the generated extracts are clean, so every row is
--     used as it is. Required-column, type, key and reference checks are all skipped.
--   * The thresholds of planning_policy.yaml are written here as literals (the defaults of
--     CONTRACT.md section 2): USD, risk bands 1.00 / 1.10 / 1.25, ramp curve
--     [0, 0.25, 0.50, 0.75, 1.0], the seniority and focus multipliers, 100000 for a
--     high-value account, 3 high-value accounts, top-1 share 0.40, ABC bounds 0.80 / 0.95,
--     quota-to-OTE 4-8x and quota rounding 1000. A changed policy is not followed here.
--   * Only CSV extracts are read (the generator's default format).
--   * No raw.* or dq.* tables and no ops database: intermediate results are temp tables.
--
-- Money is exact, as in the pipeline: DECIMAL sums, capacity in integer cents times the
-- policy numbers as integers (hundredths), each rounding one integer division, halves up.

-- Row order of intermediate results is never relied on; this lets DuckDB stream joins
-- and aggregates with less memory.
SET preserve_insertion_order = false;

CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS risk;

-- amount_corp = round(amount * rate, 2), halves away from zero, exact: the same method as
-- the pipeline's duckdb__to_corporate (dbt_project/macros/to_corporate.sql). Products under
-- 1e9 cents that are not within 1e-5 of a half cent are taken in doubles; every other row
-- in decimals, the amount widened first so the product cannot overflow.
CREATE TEMP MACRO cents_in_doubles(amount, rate) AS
    CAST(amount AS DOUBLE) * CAST(rate AS DOUBLE) * 100;
CREATE TEMP MACRO to_corporate(amount, rate) AS
    CASE
        WHEN abs(cents_in_doubles(amount, rate)) < 1e9
            AND abs(
                cents_in_doubles(amount, rate) - floor(cents_in_doubles(amount, rate)) - 0.5
            ) > 1e-5
            THEN CAST(round(cents_in_doubles(amount, rate)) / 100 AS DECIMAL(18, 2))
        ELSE CAST(round(CAST(amount AS DECIMAL(38, 6)) * rate, 2) AS DECIMAL(18, 2))
    END;

-- ---------------------------------------------------------------- extracts, converted

-- Corporate currency USD: rate 1 when the extract leaves it out.
CREATE TEMP TABLE fx AS
WITH given AS (
    SELECT currency_iso, rate_to_corporate
    FROM read_csv(
        '{extracts}/fx_rates.csv', header = true,
        types = {'currency_iso': 'VARCHAR', 'rate_to_corporate': 'DECIMAL(18,10)'}
    )
)
SELECT currency_iso, rate_to_corporate FROM given
UNION ALL
SELECT 'USD', CAST(1 AS DECIMAL(18, 10))
WHERE NOT EXISTS (SELECT 1 FROM given WHERE currency_iso = 'USD');

CREATE TEMP TABLE fiscal_periods AS
SELECT period, fiscal_year, start_date, end_date
FROM read_csv(
    '{extracts}/fiscal_periods.csv', header = true,
    types = {
        'period': 'VARCHAR', 'fiscal_year': 'BIGINT', 'start_date': 'DATE', 'end_date': 'DATE'
    }
);

CREATE TEMP TABLE territories AS
SELECT territory_id, parent_territory_id
FROM read_csv(
    '{extracts}/territories.csv', header = true,
    types = {
        'territory_id': 'VARCHAR', 'territory_name': 'VARCHAR',
        'parent_territory_id': 'VARCHAR', 'level': 'VARCHAR'
    }
);

CREATE TEMP TABLE sellers AS
SELECT
    s.seller_id, s.territory_id, s.seniority, s.hire_date, s.strategic_focus, s.status,
    to_corporate(s.ote_amount, fx.rate_to_corporate) AS ote_amount_corp
FROM read_csv(
    '{extracts}/sellers.csv', header = true,
    types = {
        'seller_id': 'VARCHAR', 'seller_name': 'VARCHAR', 'territory_id': 'VARCHAR',
        'role': 'VARCHAR', 'seniority': 'VARCHAR', 'hire_date': 'DATE',
        'ote_amount': 'DECIMAL(18,6)', 'currency_iso': 'VARCHAR',
        'strategic_focus': 'VARCHAR', 'status': 'VARCHAR'
    }
) AS s
LEFT JOIN fx ON s.currency_iso = fx.currency_iso;

CREATE TEMP TABLE accounts AS
SELECT account_id, owner_seller_id, territory_id
FROM read_csv(
    '{extracts}/accounts.csv', header = true,
    types = {
        'account_id': 'VARCHAR', 'account_name': 'VARCHAR', 'owner_seller_id': 'VARCHAR',
        'territory_id': 'VARCHAR', 'segment': 'VARCHAR', 'industry': 'VARCHAR',
        'annual_revenue': 'DECIMAL(18,6)'
    }
);

CREATE TEMP TABLE targets AS
SELECT
    t.account_id,
    t.period,
    a.owner_seller_id,
    s.status AS owner_status,
    a.territory_id,
    to_corporate(t.target_amount, fx.rate_to_corporate) AS target_amount_corp
FROM read_csv(
    '{extracts}/account_targets.csv', header = true,
    types = {
        'account_id': 'VARCHAR', 'period': 'VARCHAR',
        'target_amount': 'DECIMAL(18,6)', 'currency_iso': 'VARCHAR'
    }
) AS t
INNER JOIN accounts AS a ON t.account_id = a.account_id
LEFT JOIN sellers AS s ON a.owner_seller_id = s.seller_id
LEFT JOIN fx ON t.currency_iso = fx.currency_iso;

CREATE TEMP TABLE quotas AS
SELECT
    q.seller_id,
    q.period,
    s.territory_id,
    to_corporate(q.quota_amount, fx.rate_to_corporate) AS quota_amount_corp
FROM read_csv(
    '{extracts}/quotas.csv', header = true,
    types = {
        'seller_id': 'VARCHAR', 'period': 'VARCHAR',
        'quota_amount': 'DECIMAL(18,6)', 'currency_iso': 'VARCHAR'
    }
) AS q
INNER JOIN sellers AS s ON q.seller_id = s.seller_id
LEFT JOIN fx ON q.currency_iso = fx.currency_iso;

CREATE TEMP TABLE topdown AS
SELECT
    d.territory_id,
    d.period,
    to_corporate(d.target_amount, fx.rate_to_corporate) AS topdown_target
FROM read_csv(
    '{extracts}/topdown_targets.csv', header = true,
    types = {
        'territory_id': 'VARCHAR', 'period': 'VARCHAR',
        'target_amount': 'DECIMAL(18,6)', 'currency_iso': 'VARCHAR'
    }
) AS d
LEFT JOIN fx ON d.currency_iso = fx.currency_iso;

-- Every territory with each of its ancestors (itself included, zero levels up).
CREATE TEMP TABLE closure AS
WITH RECURSIVE walk AS (
    SELECT territory_id AS ancestor_territory_id, territory_id, 0 AS levels_below
    FROM territories
    UNION ALL
    SELECT p.parent_territory_id, w.territory_id, w.levels_below + 1
    FROM walk AS w
    INNER JOIN territories AS p ON w.ancestor_territory_id = p.territory_id
    WHERE p.parent_territory_id IS NOT NULL
)
SELECT * FROM walk;

-- ---------------------------------------------------------------- marts

-- One row per owned account and period with a target row. Tiers compare exact decimal
-- sums: the cumulative targets before the account against the bound times SAT.
CREATE TABLE marts.account_target_distribution AS
WITH ranked AS (
    SELECT
        period,
        account_id,
        owner_seller_id AS seller_id,
        territory_id,
        target_amount_corp,
        coalesce(sum(target_amount_corp) OVER seller_period, 0) AS sat,
        row_number() OVER ordered AS rank_in_seller,
        sum(target_amount_corp) OVER (
            ordered ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS cumulative_targets
    FROM targets
    WHERE owner_seller_id IS NOT NULL
    WINDOW
        seller_period AS (PARTITION BY owner_seller_id, period),
        ordered AS (
            PARTITION BY owner_seller_id, period
            ORDER BY target_amount_corp DESC NULLS LAST, account_id ASC
        )
)
SELECT
    period,
    account_id,
    seller_id,
    territory_id,
    target_amount_corp,
    CASE WHEN sat <> 0 THEN CAST(target_amount_corp AS DOUBLE) / CAST(sat AS DOUBLE) END
        AS share_of_seller,
    rank_in_seller,
    CASE
        WHEN sat <> 0 AND target_amount_corp IS NOT NULL
            THEN CAST(cumulative_targets AS DOUBLE) / CAST(sat AS DOUBLE)
    END AS cumulative_share,
    CASE
        WHEN sat = 0 OR target_amount_corp IS NULL THEN 'C'
        WHEN cumulative_targets - target_amount_corp < 0.80 * sat THEN 'A'  -- abc_tiers.a
        WHEN cumulative_targets - target_amount_corp < 0.95 * sat THEN 'B'  -- abc_tiers.b
        ELSE 'C'
    END AS abc_tier,
    coalesce(target_amount_corp >= 100000, false) AS is_high_value  -- high_value_min_target
FROM ranked;

-- Every seller x every period, zero rows included. Columns after high_value_targets are
-- inputs of the risk tables, as in the pipeline's mart.
CREATE TABLE marts.seller_target_rollup AS
WITH owned AS (
    SELECT owner_seller_id AS seller_id, count(*) AS account_count
    FROM accounts
    WHERE owner_seller_id IS NOT NULL
    GROUP BY ALL
),
books AS (
    SELECT
        seller_id,
        period,
        count(target_amount_corp) AS planned_account_count,
        sum(target_amount_corp) AS sat,
        max(target_amount_corp) AS top1_targets,
        sum(CASE WHEN rank_in_seller <= 3 THEN target_amount_corp END) AS top3_targets,
        sum(CAST(target_amount_corp AS DECIMAL(38, 2)) * target_amount_corp) AS sum_squares,
        count(*) FILTER (WHERE abc_tier = 'A') AS accounts_for_80pct,
        count(*) FILTER (WHERE is_high_value) AS high_value_account_count,
        sum(target_amount_corp) FILTER (WHERE is_high_value) AS high_value_targets
    FROM marts.account_target_distribution
    GROUP BY ALL
)
SELECT
    p.period,
    s.seller_id,
    s.territory_id,
    coalesce(o.account_count, 0) AS account_count,
    coalesce(o.account_count, 0) - coalesce(b.planned_account_count, 0)
        AS accounts_missing_target,
    CAST(coalesce(b.sat, 0) AS DECIMAL(18, 2)) AS sum_account_targets,
    CASE WHEN b.sat <> 0 THEN CAST(b.top1_targets AS DOUBLE) / CAST(b.sat AS DOUBLE) END
        AS top1_share,
    CASE WHEN b.sat <> 0 THEN CAST(b.top3_targets AS DOUBLE) / CAST(b.sat AS DOUBLE) END
        AS top3_share,
    coalesce(b.accounts_for_80pct, 0) AS accounts_for_80pct,
    -- sum of (100 * share)^2 = 10000 * sum(target^2) / SAT^2
    CASE
        WHEN b.sat <> 0
            THEN 10000 * CAST(b.sum_squares AS DOUBLE) / CAST(b.sat AS DOUBLE)
            / CAST(b.sat AS DOUBLE)
    END AS hhi,
    coalesce(b.high_value_account_count, 0) AS high_value_account_count,
    CAST(coalesce(b.high_value_targets, 0) AS DECIMAL(18, 2)) AS high_value_targets,
    q.quota_amount_corp,
    s.ote_amount_corp,
    s.status AS seller_status,
    s.seniority,
    s.strategic_focus,
    s.hire_date,
    p.fiscal_year,
    p.start_date AS period_start_date,
    p.end_date AS period_end_date
FROM sellers AS s
CROSS JOIN fiscal_periods AS p
LEFT JOIN owned AS o ON s.seller_id = o.seller_id
LEFT JOIN books AS b ON s.seller_id = b.seller_id AND p.period = b.period
LEFT JOIN quotas AS q ON s.seller_id = q.seller_id AND p.period = q.period;

-- Every territory x every period, each over its whole subtree.
CREATE TABLE marts.territory_rollup AS
WITH depths AS (
    SELECT territory_id, max(levels_below) AS depth FROM closure GROUP BY ALL
),
subtree_accounts AS (
    SELECT c.ancestor_territory_id AS territory_id, count(*) AS account_count
    FROM closure AS c
    INNER JOIN accounts AS a ON c.territory_id = a.territory_id
    GROUP BY ALL
),
subtree_sellers AS (
    SELECT c.ancestor_territory_id AS territory_id, count(*) AS seller_count
    FROM closure AS c
    INNER JOIN sellers AS s ON c.territory_id = s.territory_id
    WHERE s.status <> 'terminated'
    GROUP BY ALL
),
-- Targets are summed per leaf first, then rolled up: the closure join then multiplies
-- a few thousand rows instead of every account-period.
leaf_targets AS (
    SELECT
        territory_id,
        period,
        sum(target_amount_corp) AS targets,
        sum(target_amount_corp) FILTER (
            WHERE owner_seller_id IS NULL OR owner_status = 'terminated'
        ) AS unassigned
    FROM targets
    GROUP BY ALL
),
subtree_targets AS (
    SELECT
        c.ancestor_territory_id AS territory_id,
        t.period,
        sum(t.targets) AS bottom_up_targets,
        sum(t.unassigned) AS unassigned_targets
    FROM closure AS c
    INNER JOIN leaf_targets AS t ON c.territory_id = t.territory_id
    GROUP BY ALL
),
subtree_quotas AS (
    SELECT c.ancestor_territory_id AS territory_id, q.period, sum(q.quota_amount_corp) AS quota_sum
    FROM closure AS c
    INNER JOIN quotas AS q ON c.territory_id = q.territory_id
    GROUP BY ALL
)
SELECT
    p.period,
    t.territory_id,
    t.parent_territory_id,
    d.depth,
    coalesce(sa.account_count, 0) AS account_count,
    coalesce(ss.seller_count, 0) AS seller_count,
    CAST(coalesce(st.bottom_up_targets, 0) AS DECIMAL(18, 2)) AS bottom_up_targets,
    CAST(coalesce(sq.quota_sum, 0) AS DECIMAL(18, 2)) AS quota_sum,
    td.topdown_target,
    CAST(coalesce(st.unassigned_targets, 0) AS DECIMAL(18, 2)) AS unassigned_targets
FROM territories AS t
CROSS JOIN fiscal_periods AS p
INNER JOIN depths AS d ON t.territory_id = d.territory_id
LEFT JOIN subtree_accounts AS sa ON t.territory_id = sa.territory_id
LEFT JOIN subtree_sellers AS ss ON t.territory_id = ss.territory_id
LEFT JOIN subtree_targets AS st ON t.territory_id = st.territory_id AND p.period = st.period
LEFT JOIN subtree_quotas AS sq ON t.territory_id = sq.territory_id AND p.period = sq.period
LEFT JOIN topdown AS td ON t.territory_id = td.territory_id AND p.period = td.period;

-- ---------------------------------------------------------------- risk.quota_risk

-- Money as shown in reasons: whole units with thousands separators ("1,234,568 USD").
CREATE TEMP MACRO show_money(amount) AS
    format('{:,}', (CAST(amount * 100 AS HUGEINT) * 2 + 100) // 200) || ' USD';
-- A share as a whole percentage, binary noise rounded away first.
CREATE TEMP MACRO show_percent(share) AS
    CAST(CAST(round(round(share * 100, 6), 0) AS BIGINT) AS VARCHAR);

CREATE TABLE risk.quota_risk AS
WITH seller_periods AS (
    SELECT
        *,
        sum(coalesce(quota_amount_corp, 0)) OVER (PARTITION BY seller_id, fiscal_year)
            AS fiscal_year_quota,
        -- complete months in seat at the period start (Jan 15 -> Feb 15 is one)
        CASE
            WHEN hire_date >= period_start_date THEN 0
            ELSE (year(period_start_date) * 12 + month(period_start_date))
                - (year(hire_date) * 12 + month(hire_date))
                - CASE
                    WHEN day(period_start_date)
                        < least(day(hire_date), day(last_day(period_start_date)))
                        THEN 1
                    ELSE 0
                END
        END AS months_in_seat,
        (year(period_end_date) * 12 + month(period_end_date))
        - (year(period_start_date) * 12 + month(period_start_date)) + 1 AS months_touched
    FROM marts.seller_target_rollup
),
units AS (
    SELECT
        *,
        -- Ramp steps in hundredths over months m .. m+n-1: P(m+n) - P(m), where P(x) sums
        -- the first x steps of [0, 25, 50, 75, 100] and the last step holds after.
        ([0, 0, 25, 75, 150, 250][least(months_in_seat + months_touched, 5) + 1]
            + greatest(months_in_seat + months_touched - 5, 0) * 100)
        - ([0, 0, 25, 75, 150, 250][least(months_in_seat, 5) + 1]
            + greatest(months_in_seat - 5, 0) * 100) AS ramp_units,
        CASE seniority
            WHEN 'junior' THEN 85 WHEN 'mid' THEN 100 WHEN 'senior' THEN 110
            WHEN 'principal' THEN 120
        END AS seniority_units,
        CASE coalesce(strategic_focus, 'none')
            WHEN 'new_logo' THEN 85 WHEN 'expansion' THEN 100 WHEN 'strategic' THEN 90
            WHEN 'none' THEN 100
        END AS focus_units
    FROM seller_periods
    WHERE quota_amount_corp IS NOT NULL
),
capacity AS (
    SELECT
        *,
        -- SAT x ramp x seniority x focus in cents, rounded halves up
        (CAST(sum_account_targets * 100 AS HUGEINT) * ramp_units * seniority_units
            * focus_units * 2 + CAST(months_touched AS HUGEINT) * 1000000)
        // (CAST(months_touched AS HUGEINT) * 2000000) AS capacity_cents
    FROM units
),
measured AS (
    SELECT
        period,
        seller_id,
        territory_id,
        quota_amount_corp AS quota,
        sum_account_targets,
        CAST(quota_amount_corp - sum_account_targets AS DECIMAL(18, 2)) AS gap,
        CASE
            WHEN sum_account_targets > 0
                THEN CAST(quota_amount_corp AS DOUBLE) / CAST(sum_account_targets AS DOUBLE)
        END AS quota_to_targets_ratio,
        ramp_units / (months_touched * 100.0) AS ramp_factor,
        seniority_units / 100.0 AS seniority_multiplier,
        focus_units / 100.0 AS focus_multiplier,
        CAST(CAST(capacity_cents AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2))
            AS adjusted_capacity,
        CASE
            WHEN capacity_cents > 0
                THEN CAST(quota_amount_corp AS DOUBLE) / (capacity_cents / 100.0)
        END AS quota_to_capacity_ratio,
        CASE
            WHEN ote_amount_corp > 0
                THEN CAST(fiscal_year_quota AS DOUBLE) / CAST(ote_amount_corp AS DOUBLE)
        END AS quota_to_ote,
        top1_share,
        high_value_account_count,
        -- capacity rounded to the nearest quota_rounding (1000 = 100000 cents), halves up
        CAST(CAST((capacity_cents * 2 + 100000) // 200000 * 100000 AS DECIMAL(38, 0)) * 0.01
            AS DECIMAL(18, 2)) AS recommended_quota,
        seller_status,
        accounts_missing_target,
        fiscal_year
    FROM capacity
),
banded AS (
    SELECT
        *,
        CASE  -- risk_bands 1.00 / 1.10 / 1.25
            WHEN quota = 0 THEN 'low'
            WHEN adjusted_capacity = 0 THEN 'critical'
            WHEN quota_to_capacity_ratio <= 1.00 THEN 'low'
            WHEN quota_to_capacity_ratio <= 1.10 THEN 'medium'
            WHEN quota_to_capacity_ratio <= 1.25 THEN 'high'
            WHEN quota_to_capacity_ratio IS NOT NULL THEN 'critical'
        END AS risk_level,
        quota_to_capacity_ratio > 1.00 AS capacity_over,
        quota > 0 AND adjusted_capacity = 0 AS no_capacity,
        top1_share > 0.40 AS concentrated,  -- max_top1_share
        high_value_account_count < 3 AS few_high_value,  -- min_high_value_accounts
        ramp_factor < 1.0 AS ramping,
        quota_to_ote > 8.0 AS ote_above,  -- quota_to_ote.max
        quota_to_ote < 4.0 AS ote_below  -- quota_to_ote.min
    FROM measured
)
SELECT
    period,
    seller_id,
    territory_id,
    quota,
    sum_account_targets,
    gap,
    quota_to_targets_ratio,
    ramp_factor,
    seniority_multiplier,
    focus_multiplier,
    adjusted_capacity,
    quota_to_capacity_ratio,
    quota_to_ote,
    top1_share,
    high_value_account_count,
    risk_level,
    -- The low band starts at 1.00, so a quota over capacity is always worded as a
    -- percentage over it (the pipeline's "share of capacity" wording cannot fire).
    list_filter([
        CASE WHEN capacity_over THEN
            'quota exceeds adjusted capacity by '
            || show_percent(quota_to_capacity_ratio - 1) || '% (' || risk_level || ' above '
            || CASE risk_level WHEN 'medium' THEN '0' WHEN 'high' THEN '10'
                WHEN 'critical' THEN '25' END || '%)'
        END,
        CASE WHEN no_capacity THEN
            'quota of ' || show_money(quota)
            || ' against no adjusted capacity (critical whenever capacity is 0)'
        END,
        CASE WHEN concentrated THEN
            'top account is ' || show_percent(top1_share) || '% of targets (limit 40%)'
        END,
        CASE WHEN few_high_value THEN
            high_value_account_count || ' high-value account'
            || CASE WHEN high_value_account_count = 1 THEN '' ELSE 's' END || ' (needs 3)'
        END,
        CASE WHEN ramping THEN
            'ramping: ' || show_percent(ramp_factor) || '% productive in ' || period
        END,
        CASE WHEN ote_above OR ote_below THEN
            -- one decimal, halves away from zero: round(x * 10) / 10, because DuckDB's
            -- round(27.95, 1) gives 27.9 where the pipeline (and the reader) expects 28.0
            'quota is ' || CAST(round(round(quota_to_ote, 6) * 10) / 10 AS VARCHAR)
            || 'x OTE (range 4-8x)'
        END,
        CASE WHEN accounts_missing_target > 0 THEN
            accounts_missing_target
            || CASE WHEN accounts_missing_target = 1 THEN ' owned account has'
                ELSE ' owned accounts have' END
            || ' no target for ' || period
        END
    ], lambda text: text IS NOT NULL) AS reasons,
    list_filter([
        CASE WHEN capacity_over OR no_capacity OR concentrated OR few_high_value
            THEN 'add accounts' END,
        CASE WHEN few_high_value OR concentrated THEN 'marketing support' END,
        CASE
            WHEN (capacity_over OR no_capacity OR (ramping AND quota > adjusted_capacity)
                OR ote_above) AND recommended_quota < quota
                THEN 'lower quota to ' || show_money(recommended_quota)
        END
    ], lambda text: text IS NOT NULL) AS recommended_actions,
    recommended_quota,
    seller_status,
    accounts_missing_target,
    fiscal_year
FROM banded;

-- ---------------------------------------------------------------- risk.strategic_gaps

-- headcount_needed = ceil(max(0, gap) / median SAT of the subtree's active sellers with a
-- quota above 0); the median is kept in half cents, so the mean of the middle two is exact.
CREATE TABLE risk.strategic_gaps AS
WITH books AS (
    SELECT
        c.ancestor_territory_id AS territory_id,
        r.period,
        count(*) AS eligible_seller_count,
        CAST(round(median(CAST(r.sum_account_targets * 100 AS BIGINT)) * 2) AS HUGEINT)
            AS median_half_cents
    FROM marts.seller_target_rollup AS r
    INNER JOIN closure AS c ON r.territory_id = c.territory_id
    WHERE r.seller_status = 'active' AND r.quota_amount_corp > 0
    GROUP BY ALL
),
gaps AS (
    SELECT
        t.period,
        t.territory_id,
        t.topdown_target,
        t.bottom_up_targets,
        t.quota_sum,
        CAST(t.topdown_target - t.bottom_up_targets AS DECIMAL(18, 2)) AS strategic_gap,
        t.unassigned_targets,
        t.depth,
        t.parent_territory_id,
        coalesce(b.eligible_seller_count, 0) AS eligible_seller_count,
        b.median_half_cents
    FROM marts.territory_rollup AS t
    LEFT JOIN books AS b ON t.territory_id = b.territory_id AND t.period = b.period
    WHERE t.topdown_target IS NOT NULL
),
sized AS (
    SELECT
        *,
        CASE
            WHEN median_half_cents > 0
                THEN (greatest(CAST(strategic_gap * 100 AS HUGEINT), 0) * 2
                    + median_half_cents - 1) // median_half_cents
        END AS headcount_needed,
        CAST(CAST((median_half_cents * 2 + 2) // 4 AS DECIMAL(38, 0)) * 0.01
            AS DECIMAL(18, 2)) AS median_seller_targets
    FROM gaps
)
SELECT
    period,
    territory_id,
    topdown_target,
    bottom_up_targets,
    quota_sum,
    strategic_gap,
    unassigned_targets,
    CAST(headcount_needed AS BIGINT) AS headcount_needed,
    list_filter([
        CASE WHEN unassigned_targets > 0 THEN
            'coverage: assign ' || show_money(unassigned_targets)
            || ' of unassigned account targets to active sellers'
        END,
        CASE WHEN headcount_needed > 0 THEN
            'headcount: ' || headcount_needed
            || CASE WHEN headcount_needed = 1 THEN ' more seller at a median of '
                ELSE ' more sellers at a median of ' END
            || show_money(median_seller_targets)
            || CASE WHEN headcount_needed = 1 THEN '' ELSE ' each' END
        END,
        CASE WHEN strategic_gap > 0 AND headcount_needed IS NULL THEN
            'corporate investment: ' || show_money(strategic_gap)
            || ' of top-down target with no active seller holding a quota to size headcount on'
        END
    ], lambda text: text IS NOT NULL) AS levers,
    depth,
    parent_territory_id,
    eligible_seller_count,
    median_seller_targets
FROM sized;
