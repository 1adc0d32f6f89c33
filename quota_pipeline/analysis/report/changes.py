"""What changed since the last published run: risk level moves and newly quarantined rows.

Plain Polars over two snapshots (the run being published, and the warehouse it replaces),
so the rules are unit-tested on small frames without any database.
"""

from __future__ import annotations

import polars as pl

RISK_ORDER = ("low", "medium", "high", "critical")
QUARANTINE_KEY = ("extract", "record_key", "reason")


def risk_moves(previous: pl.DataFrame | None, current: pl.DataFrame) -> pl.DataFrame:
    """Sellers whose risk level moved, per period; worse moves first.

    Both frames have period, seller_id, risk_level. A seller-period new in this run is
    listed with previous_level null; one that disappeared is not (it has no level now).
    """
    columns = ["period", "seller_id", "previous_level", "risk_level", "direction"]
    if previous is None:
        return pl.DataFrame(schema={name: pl.String for name in columns})
    rank = {level: index for index, level in enumerate(RISK_ORDER)}
    joined = current.select("period", "seller_id", "risk_level").join(
        previous.select("period", "seller_id", pl.col("risk_level").alias("previous_level")),
        on=["period", "seller_id"],
        how="left",
    )
    moved = joined.filter(
        pl.col("previous_level").is_null() | (pl.col("previous_level") != pl.col("risk_level"))
    )
    now = pl.col("risk_level").replace_strict(rank, default=-1)
    before = pl.col("previous_level").replace_strict(rank, default=-1)
    return (
        moved.with_columns(
            pl.when(pl.col("previous_level").is_null())
            .then(pl.lit("new"))
            .when(now > before)
            .then(pl.lit("worse"))
            .otherwise(pl.lit("better"))
            .alias("direction"),
            (now - before).alias("_steps"),
        )
        .sort(["_steps", "period", "seller_id"], descending=[True, False, False])
        .select(columns)
    )


def new_quarantine(previous: pl.DataFrame | None, current: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows of this run that the last published run did not have."""
    if previous is None or previous.is_empty():
        return current
    seen = previous.select(*QUARANTINE_KEY).unique()
    return current.join(seen, on=list(QUARANTINE_KEY), how="anti", nulls_equal=True)
