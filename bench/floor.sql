-- The benchmark floor: the contract's marts and risk tables in one bare DuckDB script.
--
-- Why: the pipeline (Dagster + dbt-duckdb + Polars) pays for orchestration, raw tables
-- with lineage, validation, quarantine, checks, an ops database and an atomic publish.
-- This script does only the arithmetic of docs/contract.md sections 3, 3b and 3c on the
-- same CSV extracts, in one process and one DuckDB connection, so the pipeline's time and
-- memory can be read against what the computation itself costs. bench/floor_runner.py
-- runs it on a fresh DuckDB file after replacing the {placeholders}: the extracts folder,
-- the policy's allocation and outlook keys, and the table of the last published run.
--
-- Deliberate shortcuts, acceptable only because this is a benchmark floor, not product code:
--   * No validation and no quarantine: the generated extracts are clean, so every row is
--     used as it is. Required-column, type, key and reference checks are all skipped.
--   * Only the allocation and outlook blocks of the policy file are followed (the runner
--     puts them in as literals). Every other threshold is written here as a literal, the
--     defaults of docs/contract.md section 2: USD, risk bands 1.00 / 1.10 / 1.25, ramp
--     curve [0, 0.25, 0.50, 0.75, 1.0], the seniority and focus multipliers, 100000 for a
--     high-value account, 3 high-value accounts, top-1 share 0.40, ABC bounds 0.80 / 0.95,
--     quota-to-OTE 4-8x and quota rounding 1000. A change to those is not followed here.
--   * Only CSV extracts are read (the generator's default format).
--   * No raw.* or dq.* tables and no ops database: intermediate results are temp tables.
--   * The standard normal distribution function (attainment probability) is a Python
--     function the runner registers, normal_cdf; DuckDB has none.
--
-- Money is exact, as in the pipeline: DECIMAL sums, capacity and allocation in integer
-- cents, policy numbers as integers, each rounding one integer division, halves up.

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
    s.seller_id, s.territory_id, s.role, s.seniority, s.hire_date, s.strategic_focus,
    s.status,
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

-- The policy names the allocation's weight column (numeric, typed as staging types it)
-- and bucket column (text).
CREATE TEMP TABLE accounts AS
SELECT
    account_id,
    owner_seller_id,
    territory_id,
    CAST({weight_column} AS DECIMAL(18, 6)) AS allocation_weight,
    CAST({bucket_column} AS VARCHAR) AS allocation_bucket
FROM read_csv(
    '{extracts}/accounts.csv', header = true,
    types = {
        'account_id': 'VARCHAR', 'account_name': 'VARCHAR', 'owner_seller_id': 'VARCHAR',
        'territory_id': 'VARCHAR', 'segment': 'VARCHAR', 'industry': 'VARCHAR',
        'annual_revenue': 'DECIMAL(18,6)'
    }
);

-- The account_targets extract in the corporate currency (a null target stays a row).
CREATE TEMP TABLE bottom_up AS
SELECT
    t.account_id,
    t.period,
    to_corporate(t.target_amount, fx.rate_to_corporate) AS target_amount_corp
FROM read_csv(
    '{extracts}/account_targets.csv', header = true,
    types = {
        'account_id': 'VARCHAR', 'period': 'VARCHAR',
        'target_amount': 'DECIMAL(18,6)', 'currency_iso': 'VARCHAR'
    }
) AS t
LEFT JOIN fx ON t.currency_iso = fx.currency_iso;

-- The optional extract; the runner points {target_overrides_csv} at a header-only file
-- when the folder has none.
CREATE TEMP TABLE overrides AS
SELECT
    o.account_id,
    o.period,
    o.reason AS override_reason,
    o.overridden_by,
    to_corporate(o.target_amount, fx.rate_to_corporate) AS override_target
FROM read_csv(
    '{target_overrides_csv}', header = true,
    types = {
        'account_id': 'VARCHAR', 'period': 'VARCHAR', 'target_amount': 'DECIMAL(18,6)',
        'currency_iso': 'VARCHAR', 'reason': 'VARCHAR', 'overridden_by': 'VARCHAR'
    }
) AS o
LEFT JOIN fx ON o.currency_iso = fx.currency_iso;

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

-- ---------------------------------------------------------------- allocation (3b)

-- Each territory's allocation node per period: the nearest territory with a top-down
-- target among itself and its ancestors, itself first.
CREATE TEMP TABLE allocation_nodes AS
SELECT
    c.territory_id,
    d.period,
    arg_min(d.territory_id, c.levels_below) AS allocation_territory_id
FROM closure AS c
INNER JOIN topdown AS d ON c.ancestor_territory_id = d.territory_id
GROUP BY ALL;

-- Target nodes: T_n, the sum of the target nodes right below (those whose parent
-- territory's allocation node is n) and the pool left for n's own accounts.
CREATE TEMP TABLE target_nodes AS
WITH with_parent AS (
    SELECT d.period, d.territory_id, d.topdown_target, n.allocation_territory_id AS parent_node
    FROM topdown AS d
    INNER JOIN territories AS t ON d.territory_id = t.territory_id
    LEFT JOIN allocation_nodes AS n
        ON t.parent_territory_id = n.territory_id AND d.period = n.period
),
children AS (
    SELECT parent_node AS territory_id, period, sum(topdown_target) AS child_targets
    FROM with_parent
    WHERE parent_node IS NOT NULL
    GROUP BY ALL
)
SELECT
    w.period,
    w.territory_id,
    w.topdown_target,
    CAST(coalesce(c.child_targets, 0) AS DECIMAL(18, 2)) AS child_topdown_targets,
    CAST(w.topdown_target - coalesce(c.child_targets, 0) AS DECIMAL(18, 2)) AS pool
FROM with_parent AS w
LEFT JOIN children AS c ON w.territory_id = c.territory_id AND w.period = c.period;

-- Whole cents as a 128-bit integer, so R * w and R * w mod W stay exact.
CREATE TEMP MACRO to_cents(amount) AS CAST(CAST(amount AS DECIMAL(38, 2)) * 100 AS HUGEINT);
CREATE TEMP MACRO from_cents(amount_cents) AS
    CAST(CAST(amount_cents AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));
-- weighted: the column times 10^6 is whole (DECIMAL(18,6)); null counts as 0
CREATE TEMP MACRO account_weight(weight) AS
    CAST(CAST(coalesce(weight, 0) AS DECIMAL(38, 6)) * 1000000 AS HUGEINT);

-- One statement, as the pipeline's model: every account x period with a bottom-up row, an
-- override or an allocation node, its input the override, else the non-null bottom-up
-- amount (0 is an input, null is not). Only the open rows (a node, no bottom-up amount)
-- are split; under even the cents left go to the first R mod N accounts by account_id,
-- which is largest remainder with equal weights, on the rank the window already gives.
CREATE TABLE marts.account_target_allocation AS
WITH account_inputs AS (
    SELECT
        p.period,
        a.account_id,
        a.territory_id,
        a.allocation_weight,
        a.allocation_bucket,
        n.allocation_territory_id,
        b.target_amount_corp AS bottom_up_target,
        o.override_target
    FROM accounts AS a
    CROSS JOIN fiscal_periods AS p
    LEFT JOIN allocation_nodes AS n ON a.territory_id = n.territory_id AND p.period = n.period
    LEFT JOIN bottom_up AS b ON a.account_id = b.account_id AND p.period = b.period
    LEFT JOIN overrides AS o ON a.account_id = o.account_id AND p.period = o.period
    WHERE n.allocation_territory_id IS NOT NULL
        OR b.account_id IS NOT NULL
        OR o.account_id IS NOT NULL
),
-- Per node: preserved inputs and eligible accounts, with the overrides and without them
-- (calculated_target), and the remainders (pool - preserved) in cents.
node_inputs AS (
    SELECT
        allocation_territory_id AS territory_id,
        period,
        coalesce(sum(coalesce(override_target, bottom_up_target)), 0) AS preserved_targets,
        count(*) FILTER (WHERE override_target IS NULL AND bottom_up_target IS NULL)
            AS eligible,
        coalesce(sum(bottom_up_target), 0) AS calculated_preserved_targets,
        count(*) FILTER (WHERE bottom_up_target IS NULL) AS calculated_eligible,
        bool_or(override_target IS NOT NULL) AS has_override
    FROM account_inputs
    WHERE allocation_territory_id IS NOT NULL
    GROUP BY ALL
),
node_remainders AS (
    SELECT
        i.period,
        i.territory_id,
        i.has_override,
        CAST(i.eligible AS HUGEINT) AS eligible,
        CAST(i.calculated_eligible AS HUGEINT) AS calculated_eligible,
        to_cents(t.pool) - to_cents(i.preserved_targets) AS remainder_cents,
        to_cents(t.pool) - to_cents(i.calculated_preserved_targets) AS calculated_remainder_cents
    FROM node_inputs AS i
    LEFT JOIN target_nodes AS t ON i.territory_id = t.territory_id AND i.period = t.period
),
-- The open rows ranked once per node and period: account_order among all (the calculated
-- split's eligible accounts), final_order among those without an override (the final
-- split's), and both splits' weight sums.
open_inputs AS (
    SELECT
        *,
        row_number() OVER node_accounts AS account_order,
        count(*) FILTER (WHERE override_target IS NULL) OVER (
            node_accounts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS final_order,
        sum(CASE WHEN override_target IS NULL THEN account_weight(allocation_weight) ELSE 0 END)
            OVER (node_accounts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            AS final_weight_sum,
        sum(account_weight(allocation_weight)) OVER (
            node_accounts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS calculated_weight_sum
    FROM account_inputs
    WHERE allocation_territory_id IS NOT NULL AND bottom_up_target IS NULL
    WINDOW node_accounts AS (PARTITION BY allocation_territory_id, period ORDER BY account_id)
),
open_accounts AS (
    SELECT
        o.*,
        r.has_override,
        r.eligible,
        r.calculated_eligible,
        r.remainder_cents,
        r.calculated_remainder_cents
    FROM open_inputs AS o
    INNER JOIN node_remainders AS r
        ON o.allocation_territory_id = r.territory_id AND o.period = r.period
),
-- even: R // N each, one more cent for the first R % N by account_id
even_allocated AS (
    SELECT
        *,
        CASE WHEN override_target IS NULL AND remainder_cents > 0 THEN 'even' END
            AS method_used,
        CASE WHEN override_target IS NULL AND remainder_cents > 0
            THEN remainder_cents // eligible
                + CASE WHEN final_order <= remainder_cents % eligible THEN 1 ELSE 0 END
        END AS final_cents,
        CASE WHEN has_override AND calculated_remainder_cents > 0
            THEN calculated_remainder_cents // calculated_eligible
                + CASE WHEN account_order <= calculated_remainder_cents % calculated_eligible
                    THEN 1 ELSE 0 END
        END AS calculated_cents
    FROM open_accounts
    WHERE '{allocation_method}' = 'even'
),
-- weighted and bucketed: the eligible accounts of each split with a positive remainder
spread_accounts AS (
    SELECT
        'final' AS split, period, allocation_territory_id AS territory_id, account_id,
        account_order, account_weight(allocation_weight) AS account_weight,
        coalesce(allocation_bucket, 'none') AS bucket, final_weight_sum AS weight_sum,
        remainder_cents, eligible
    FROM open_accounts
    WHERE override_target IS NULL AND remainder_cents > 0
        AND '{allocation_method}' <> 'even'
    UNION ALL
    SELECT
        'calculated', period, allocation_territory_id, account_id,
        account_order, account_weight(allocation_weight),
        coalesce(allocation_bucket, 'none'), calculated_weight_sum,
        calculated_remainder_cents, calculated_eligible
    FROM open_accounts
    WHERE has_override AND calculated_remainder_cents > 0
        AND '{allocation_method}' <> 'even'
),
-- bucketed, first stage: the remainder over the buckets present, by bucket weight
-- ({bucket_weights}: the policy's weights as integers in one scale; unlisted weigh 0),
-- largest remainder with ties by bucket value.
present_buckets AS (
    SELECT
        s.split, s.period, s.territory_id, s.bucket,
        max(s.remainder_cents) AS remainder_cents,
        CAST(count(*) AS HUGEINT) AS bucket_accounts,
        CAST(coalesce(max(w.weight), 0) AS HUGEINT) AS bucket_weight
    FROM spread_accounts AS s
    LEFT JOIN (VALUES {bucket_weights}) AS w (bucket, weight) ON s.bucket = w.bucket
    WHERE '{allocation_method}' = 'bucketed'
    GROUP BY ALL
),
bucket_parts AS (
    SELECT
        *,
        remainder_cents * bucket_weight // total AS base,
        remainder_cents * bucket_weight % total AS fraction
    FROM (
        SELECT *, sum(bucket_weight) OVER (PARTITION BY split, period, territory_id) AS total
        FROM present_buckets
    )
    WHERE total > 0
),
bucket_shares AS (
    SELECT
        split, period, territory_id, bucket, bucket_accounts,
        base + CASE
            WHEN row_number() OVER (
                PARTITION BY split, period, territory_id ORDER BY fraction DESC, bucket ASC
            ) <= remainder_cents - sum(base) OVER (PARTITION BY split, period, territory_id)
                THEN 1 ELSE 0
        END AS bucket_cents
    FROM bucket_parts
),
-- The items split by largest remainder (amount R, weight w, total W per split group), with
-- the method each node used: a weighted node whose weights sum to 0, or a bucketed one
-- whose present buckets weigh 0, falls back to even.
allocation_items AS (
    SELECT
        split, period, territory_id, account_id, account_order, 'all' AS split_group,
        remainder_cents AS amount,
        CASE WHEN weight_sum > 0 THEN account_weight ELSE 1 END AS weight,
        CASE WHEN weight_sum > 0 THEN weight_sum ELSE eligible END AS total,
        CASE WHEN weight_sum > 0 THEN 'weighted' ELSE 'even' END AS method_used
    FROM spread_accounts
    WHERE '{allocation_method}' = 'weighted'
    UNION ALL
    SELECT
        s.split, s.period, s.territory_id, s.account_id, s.account_order,
        coalesce(b.bucket, 'all'),
        coalesce(b.bucket_cents, s.remainder_cents),
        CAST(1 AS HUGEINT),
        coalesce(b.bucket_accounts, s.eligible),
        CASE WHEN b.bucket IS NOT NULL THEN 'bucketed' ELSE 'even' END
    FROM spread_accounts AS s
    LEFT JOIN bucket_shares AS b
        ON s.split = b.split AND s.period = b.period AND s.territory_id = b.territory_id
        AND s.bucket = b.bucket
    WHERE '{allocation_method}' = 'bucketed'
),
-- Largest remainder in integer cents: floor(R * w / W) each, then the cents left one each
-- to the largest R * w mod W, ties by account_id (account_order orders as it does).
item_parts AS (
    SELECT *, amount * weight // total AS base, amount * weight % total AS fraction
    FROM allocation_items
),
item_cents AS (
    SELECT
        split,
        period,
        account_id,
        method_used,
        base + CASE
            WHEN row_number() OVER split_items
                <= amount - sum(base) OVER (
                    split_items ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                )
                THEN 1 ELSE 0
        END AS allocated_cents
    FROM item_parts
    WINDOW split_items AS (
        PARTITION BY split, period, territory_id, split_group
        ORDER BY fraction DESC, account_order ASC
    )
),
method_allocated AS (
    SELECT
        o.*,
        f.method_used,
        f.allocated_cents AS final_cents,
        c.allocated_cents AS calculated_cents
    FROM open_accounts AS o
    LEFT JOIN item_cents AS f
        ON f.split = 'final' AND o.account_id = f.account_id AND o.period = f.period
    LEFT JOIN item_cents AS c
        ON c.split = 'calculated' AND o.account_id = c.account_id AND o.period = c.period
    WHERE '{allocation_method}' <> 'even'
),
open_allocated AS (
    SELECT * FROM even_allocated
    UNION ALL
    SELECT * FROM method_allocated
),
-- An eligible account of a node that spread nothing (remainder <= 0) is allocated 0.00.
targets_by_source AS (
    SELECT
        o.period,
        o.account_id,
        o.territory_id,
        o.allocation_territory_id,
        o.bottom_up_target,
        o.override_target,
        from_cents(coalesce(CASE WHEN o.has_override THEN o.calculated_cents
            ELSE o.final_cents END, 0)) AS calculated_target,
        coalesce(o.override_target, from_cents(coalesce(o.final_cents, 0))) AS final_target,
        CASE WHEN o.override_target IS NOT NULL THEN 'override' ELSE 'allocated' END
            AS target_source,
        CASE WHEN o.override_target IS NULL THEN o.method_used END AS allocation_method
    FROM open_allocated AS o
    UNION ALL
    SELECT
        period,
        account_id,
        territory_id,
        allocation_territory_id,
        bottom_up_target,
        override_target,
        bottom_up_target,
        coalesce(override_target, bottom_up_target),
        CASE
            WHEN override_target IS NOT NULL THEN 'override'
            WHEN bottom_up_target IS NOT NULL THEN 'bottom_up'
            ELSE 'none'
        END,
        CAST(NULL AS VARCHAR)
    FROM account_inputs
    WHERE bottom_up_target IS NOT NULL OR allocation_territory_id IS NULL
)
SELECT
    t.period,
    t.account_id,
    t.territory_id,
    t.allocation_territory_id,
    t.bottom_up_target,
    t.override_target,
    o.override_reason,
    o.overridden_by,
    t.calculated_target,
    t.final_target,
    t.target_source,
    t.allocation_method
FROM targets_by_source AS t
LEFT JOIN overrides AS o ON t.account_id = o.account_id AND t.period = o.period;

-- Per target node: pool = preserved + allocated + unallocated - over_committed.
CREATE TABLE marts.territory_allocation AS
WITH node_accounts AS (
    SELECT
        allocation_territory_id AS territory_id,
        period,
        coalesce(sum(final_target) FILTER (WHERE target_source <> 'allocated'), 0)
            AS preserved_targets,
        count(*) FILTER (WHERE target_source = 'allocated') AS eligible_account_count,
        max(allocation_method) AS method_used
    FROM marts.account_target_allocation
    WHERE allocation_territory_id IS NOT NULL
    GROUP BY ALL
),
remainders AS (
    SELECT
        t.*,
        CAST(coalesce(n.preserved_targets, 0) AS DECIMAL(18, 2)) AS preserved_targets,
        coalesce(n.eligible_account_count, 0) AS eligible_account_count,
        n.method_used,
        t.pool - coalesce(n.preserved_targets, 0) AS remainder
    FROM target_nodes AS t
    LEFT JOIN node_accounts AS n ON t.territory_id = n.territory_id AND t.period = n.period
)
SELECT
    period,
    territory_id,
    topdown_target,
    child_topdown_targets,
    pool,
    preserved_targets,
    eligible_account_count,
    CAST(CASE WHEN remainder > 0 AND eligible_account_count > 0 THEN remainder ELSE 0 END
        AS DECIMAL(18, 2)) AS allocated_targets,
    CAST(CASE WHEN remainder > 0 AND eligible_account_count = 0 THEN remainder ELSE 0 END
        AS DECIMAL(18, 2)) AS unallocated,
    CAST(CASE WHEN remainder < 0 THEN -remainder ELSE 0 END AS DECIMAL(18, 2))
        AS over_committed,
    method_used
FROM remainders;

-- The account targets section 3 reads (allocation.targets_basis): the extract, or with
-- `allocated` every allocation row's final_target (a null one is a missing target).
CREATE TEMP TABLE targets AS
WITH basis AS (
    SELECT account_id, period, target_amount_corp
    FROM bottom_up
    WHERE '{targets_basis}' = 'bottom_up'
    UNION ALL
    SELECT account_id, period, final_target
    FROM marts.account_target_allocation
    WHERE '{targets_basis}' = 'allocated'
)
SELECT
    t.account_id,
    t.period,
    a.owner_seller_id,
    s.status AS owner_status,
    a.territory_id,
    t.target_amount_corp
FROM basis AS t
INNER JOIN accounts AS a ON t.account_id = a.account_id
LEFT JOIN sellers AS s ON a.owner_seller_id = s.seller_id;

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
    -- SAT less the targets ranked above the account (accounts_to_break counts on it)
    CAST(sat - coalesce(cumulative_targets, 0) + coalesce(target_amount_corp, 0)
        AS DECIMAL(18, 2)) AS remaining_targets,
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
        sum(target_amount_corp) FILTER (WHERE is_high_value) AS high_value_targets,
        max(account_id) FILTER (WHERE rank_in_seller = 1) AS top1_account_id,
        -- the outlook's spread: sum of (target_sd of the tier x target)^2
        sum(power(CASE abc_tier
            WHEN 'A' THEN {target_sd_a} WHEN 'B' THEN {target_sd_b} ELSE {target_sd_c}
        END * CAST(target_amount_corp AS DOUBLE), 2)) AS target_spread_squared,
        -- least k with SAT less the k largest targets below the quota
        count(*) FILTER (WHERE remaining_targets >= quota_amount_corp) AS accounts_to_break
    FROM marts.account_target_distribution AS d
    LEFT JOIN quotas AS q USING (seller_id, period)
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
    p.end_date AS period_end_date,
    s.role,
    CAST(coalesce(b.top1_targets, 0) AS DECIMAL(18, 2)) AS top1_target,
    b.top1_account_id,
    coalesce(b.target_spread_squared, 0) AS target_spread_squared,
    CASE WHEN q.quota_amount_corp > 0 THEN coalesce(b.accounts_to_break, 0) END
        AS accounts_to_break
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

-- quota_risk without the outlook's sentences, which need the outlook (below) first.
CREATE TEMP TABLE quota_risk_base AS
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
        -- capacity 0 with nothing to sell is told apart from capacity 0 while ramping
        quota > 0 AND adjusted_capacity = 0 AND sum_account_targets = 0
            AS no_targeted_accounts,
        quota > 0 AND adjusted_capacity = 0 AND sum_account_targets <> 0 AS no_capacity,
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
        CASE WHEN no_targeted_accounts THEN
            'owns no account with a target above 0 in ' || period
            || ': nothing to sell against a quota of ' || show_money(quota)
            || ' (critical whenever capacity is 0)'
        END,
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
        CASE WHEN capacity_over OR no_capacity OR no_targeted_accounts OR concentrated
            OR few_high_value THEN 'add accounts' END,
        CASE WHEN few_high_value OR concentrated THEN 'marketing support' END,
        CASE
            WHEN (capacity_over OR no_capacity OR (ramping AND quota > adjusted_capacity)
                OR ote_above) AND recommended_quota < quota AND NOT no_targeted_accounts
                THEN 'lower quota to ' || show_money(recommended_quota)
        END
    ], lambda text: text IS NOT NULL) AS recommended_actions,
    recommended_quota,
    seller_status,
    accounts_missing_target,
    fiscal_year,
    ramp_factor * seniority_multiplier * focus_multiplier AS f
FROM banded;

-- ---------------------------------------------------------------- risk.seller_outlook (3c)

-- Per row of quota_risk: fragility, attainment probability, peers and change. The peer
-- group is (period, role, parent of the home territory), a root's sellers by their root.
CREATE TEMP TABLE seller_outlook_detail AS
WITH base AS (
    SELECT
        q.*,
        r.role,
        r.top1_target,
        r.top1_account_id,
        r.target_spread_squared,
        r.accounts_to_break,
        t.parent_territory_id AS peer_parent,
        CASE WHEN t.parent_territory_id IS NULL THEN q.territory_id END AS peer_root,
        CAST(q.quota * 100 AS HUGEINT) AS quota_cents,
        CAST(q.adjusted_capacity * 100 AS HUGEINT) AS capacity_cents
    FROM quota_risk_base AS q
    LEFT JOIN marts.seller_target_rollup AS r USING (period, seller_id)
    LEFT JOIN territories AS t ON q.territory_id = t.territory_id
),
ranked AS (
    SELECT
        *,
        row_number() OVER (peers ORDER BY quota_to_capacity_ratio, seller_id) AS k,
        count(*) OVER peers AS members
    FROM base
    WHERE quota_to_capacity_ratio IS NOT NULL
    WINDOW peers AS (PARTITION BY period, role, peer_parent, peer_root)
),
-- the middle member(s): the same one twice for an odd count
medians AS (
    SELECT
        period, role, peer_parent, peer_root,
        (max(quota_to_capacity_ratio) FILTER (WHERE k = (members - 1) // 2 + 1)
            + max(quota_to_capacity_ratio) FILTER (WHERE k = members // 2 + 1)) / 2
            AS peer_median_ratio,
        max(quota_cents) FILTER (WHERE k = (members - 1) // 2 + 1) AS quota_low,
        max(capacity_cents) FILTER (WHERE k = (members - 1) // 2 + 1) AS capacity_low,
        max(quota_cents) FILTER (WHERE k = members // 2 + 1) AS quota_high,
        max(capacity_cents) FILTER (WHERE k = members // 2 + 1) AS capacity_high
    FROM ranked
    GROUP BY ALL
    HAVING max(members) >= {min_peer_group}
),
measured AS (
    SELECT
        b.*,
        CASE WHEN b.quota_to_capacity_ratio IS NOT NULL AND m.peer_median_ratio > 0
            THEN m.peer_median_ratio END AS peer_median,
        m.quota_low, m.capacity_low, m.quota_high, m.capacity_high,
        p.quota AS previous_quota,
        p.sum_account_targets AS previous_sat,
        CAST(b.sum_account_targets AS DOUBLE) * b.f AS expected,
        b.f * sqrt(coalesce(b.target_spread_squared, 0)) AS spread
    FROM base AS b
    LEFT JOIN medians AS m
        ON b.period = m.period
        AND b.role IS NOT DISTINCT FROM m.role
        AND b.peer_parent IS NOT DISTINCT FROM m.peer_parent
        AND b.peer_root IS NOT DISTINCT FROM m.peer_root
    LEFT JOIN previous_quota_risk AS p ON b.period = p.period AND b.seller_id = p.seller_id
)
SELECT
    *,
    CAST(coalesce(top1_target, 0) AS DECIMAL(18, 2)) AS top1_target_money,
    CASE WHEN quota > 0
        THEN CAST(sum_account_targets - coalesce(top1_target, 0) AS DOUBLE)
            / CAST(quota AS DOUBLE)
    END AS coverage_without_top1,
    CASE WHEN quota > 0 THEN coalesce(accounts_to_break, 0) END AS accounts_to_break_n,
    CASE
        WHEN quota = 0 THEN 1.0
        WHEN spread = 0 THEN CASE WHEN expected >= CAST(quota AS DOUBLE) THEN 1.0 ELSE 0.0 END
        ELSE normal_cdf((expected - CAST(quota AS DOUBLE)) / spread)
    END AS attainment_probability,
    peer_median AS peer_median_ratio,
    quota_to_capacity_ratio / peer_median - 1 AS stretch_vs_peers,
    -- capacity x (q_lo / c_lo + q_hi / c_hi) / 2 to the nearest 1000 (100000 cents),
    -- halves up, in one integer division
    CASE WHEN peer_median IS NOT NULL THEN from_cents(
        (capacity_cents * (quota_low * capacity_high + quota_high * capacity_low) * 2
            + 2 * capacity_low * capacity_high * 100000)
        // (4 * capacity_low * capacity_high * 100000) * 100000
    ) END AS fair_quota,
    abs(quota_to_capacity_ratio / peer_median - 1) > {max_stretch_deviation} AS unfair,
    CAST(sum_account_targets - previous_sat AS DECIMAL(18, 2)) AS sat_change,
    CASE WHEN previous_sat IS NOT NULL THEN previous_quota = quota
        AND previous_sat - sum_account_targets
            > CAST('{relief_min_drop}' AS DECIMAL(38, 10)) * CAST(quota AS DECIMAL(38, 2))
    END AS relief_candidate
FROM measured;

CREATE TABLE risk.seller_outlook AS
SELECT
    period,
    seller_id,
    top1_target_money AS top1_target,
    coverage_without_top1,
    accounts_to_break_n AS accounts_to_break,
    attainment_probability,
    peer_median_ratio,
    stretch_vs_peers,
    fair_quota,
    unfair,
    sat_change,
    relief_candidate
FROM seller_outlook_detail;

-- quota_risk with the outlook's sentences after its own, and its levers without repeats.
CREATE TABLE risk.quota_risk AS
WITH outlook AS (
    SELECT
        period,
        seller_id,
        list_filter([
            CASE WHEN accounts_to_break_n = 1 THEN
                'one account away from missing: losing ' || top1_account_id || ' leaves '
                || show_percent(coverage_without_top1) || '% of quota covered'
            END,
            CASE WHEN unfair AND stretch_vs_peers <> 0 THEN
                'stretched ' || show_percent(abs(stretch_vs_peers))
                || CASE WHEN stretch_vs_peers > 0 THEN '% more' ELSE '% less' END
                || ' than peers (peer median quota ' || show_percent(peer_median_ratio)
                || '% of capacity, limit {stretch_limit_percent}%); fair quota '
                || show_money(fair_quota)
            END,
            CASE WHEN relief_candidate AND quota > 0 THEN
                'targets fell by ' || show_money(previous_sat - sum_account_targets)
                || ' since the last published run ('
                || show_percent(CAST(previous_sat - sum_account_targets AS DOUBLE)
                    / CAST(quota AS DOUBLE))
                || '% of quota, relief above {relief_limit_percent}%) while the quota stayed at '
                || show_money(quota)
            END
        ], lambda text: text IS NOT NULL) AS outlook_reasons,
        list_filter([
            CASE WHEN accounts_to_break_n = 1 THEN 'add accounts' END,
            CASE WHEN unfair AND fair_quota < quota THEN
                'align quota with peers at ' || show_money(fair_quota)
            END,
            CASE WHEN relief_candidate AND quota > 0 THEN
                'quota relief: accounts moved away and the quota did not follow'
            END
        ], lambda text: text IS NOT NULL) AS outlook_actions
    FROM seller_outlook_detail
)
SELECT
    q.* EXCLUDE (reasons, recommended_actions, recommended_quota, seller_status,
        accounts_missing_target, fiscal_year, f),
    list_concat(q.reasons, o.outlook_reasons) AS reasons,
    list_concat(
        q.recommended_actions,
        list_filter(o.outlook_actions, lambda action: NOT list_contains(q.recommended_actions, action))
    ) AS recommended_actions,
    q.recommended_quota,
    q.seller_status,
    q.accounts_missing_target,
    q.fiscal_year
FROM quota_risk_base AS q
INNER JOIN outlook AS o USING (period, seller_id);

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
            'coverage: ' || show_money(unassigned_targets)
            || ' of account targets are counted in the bottom-up number but nobody sells'
            || ' them (no owner, or a terminated one): assign those accounts to active sellers'
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

-- ---------------------------------------------------------------- risk.territory_outlook

-- Per row of strategic_gaps, over the sellers homed in the subtree with a quota in the
-- period; balance over the child territories with a non-terminated seller.
CREATE TABLE risk.territory_outlook AS
WITH subtree AS (
    SELECT
        c.ancestor_territory_id AS territory_id,
        q.period,
        q.adjusted_capacity,
        q.quota_to_capacity_ratio AS ratio,
        o.attainment_probability
    FROM risk.quota_risk AS q
    INNER JOIN risk.seller_outlook AS o USING (period, seller_id)
    INNER JOIN closure AS c ON q.territory_id = c.territory_id
),
-- Gini: sum_i sum_j |x_i - x_j| = 2 sum_k (2k - n - 1) x_(k), x ascending, nulls left out
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY territory_id, period, ratio IS NULL ORDER BY ratio)
            AS k,
        count(ratio) OVER (PARTITION BY territory_id, period) AS n
    FROM subtree
),
sellers AS (
    SELECT
        territory_id,
        period,
        count(*) AS seller_count,
        sum(attainment_probability) AS expected_sellers,
        sum(adjusted_capacity) AS capacity_sum,
        count(ratio) AS ratios,
        sum(ratio) AS ratio_sum,
        sum(ratio * (2 * k - n - 1)) AS ratio_spread
    FROM ranked
    GROUP BY ALL
),
balance AS (
    SELECT
        parent_territory_id AS territory_id,
        period,
        count(*) AS children,
        avg(CAST(bottom_up_targets AS DOUBLE) / seller_count) AS mean,
        stddev_pop(CAST(bottom_up_targets AS DOUBLE) / seller_count) AS deviation
    FROM marts.territory_rollup
    WHERE parent_territory_id IS NOT NULL AND seller_count > 0
    GROUP BY ALL
),
joined AS (
    SELECT
        t.period,
        t.territory_id,
        t.topdown_target,
        t.quota_sum,
        s.expected_sellers,
        s.expected_sellers / s.seller_count AS share_expected_at_quota,
        s.capacity_sum,
        CASE WHEN s.ratios >= 2 AND s.ratio_sum > 0
            THEN s.ratio_spread / (s.ratios * s.ratio_sum) END AS capacity_gini,
        CASE WHEN b.children >= 2 AND b.mean > 0 THEN b.deviation / b.mean END AS balance_cv
    FROM marts.territory_rollup AS t
    LEFT JOIN sellers AS s ON t.territory_id = s.territory_id AND t.period = s.period
    LEFT JOIN balance AS b ON t.territory_id = b.territory_id AND t.period = b.period
    WHERE t.topdown_target IS NOT NULL
)
SELECT
    period,
    territory_id,
    CASE WHEN topdown_target > 0
        THEN CAST(quota_sum AS DOUBLE) / CAST(topdown_target AS DOUBLE)
    END AS quota_over_assignment,
    CASE WHEN topdown_target > 0
        THEN quota_sum > CAST('{max_over_assignment}' AS DECIMAL(38, 10))
            * CAST(topdown_target AS DECIMAL(38, 2))
    END AS over_assigned,
    coalesce(expected_sellers, 0.0) AS expected_sellers_at_quota,
    share_expected_at_quota,
    CASE
        WHEN share_expected_at_quota < {attainment_min} THEN 'below'
        WHEN share_expected_at_quota > {attainment_max} THEN 'above'
        WHEN share_expected_at_quota IS NOT NULL THEN 'healthy'
    END AS attainment_health,
    CASE WHEN topdown_target > 0
        THEN CAST(coalesce(capacity_sum, 0) AS DOUBLE) / CAST(topdown_target AS DOUBLE)
    END AS expected_coverage,
    capacity_gini,
    balance_cv
FROM joined;
