"""What a planner sees of a scenario: a short terminal summary and scenarios/<name>.html.

Both read only the scenario file's compare schema, so what they say is what an analyst
finds with `quota-pipeline query --scenario`. The page is built like the planning report
(quota_pipeline/analysis/report/): Altair specs, the Vega JavaScript written into the page
from the cached vl-convert bundle, every text cell escaped, so it opens offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from quota_pipeline.analysis.report.html import cell, chart_div, page, table, vega_bundle

CHART_IDS = ("risk_levels", "strategic_gap")
SUMMARY_LINES = 15
SIDE_COLOURS = ("#9e9e9e", "#1565c0")  # baseline grey, scenario blue
RISK_ORDER = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class ScenarioView:
    """The compare schema of one scenario file, as frames."""

    scenario: dict[str, Any]
    changes: pl.DataFrame
    sellers: pl.DataFrame
    territories: pl.DataFrame

    @property
    def moves(self) -> pl.DataFrame:
        """Seller-periods whose risk level moved (or appeared, or went), worse first."""
        order = {"worse": 0, "new": 1, "removed": 2, "better": 3}
        return (
            self.sellers.filter(pl.col("risk_direction") != "same")
            .with_columns(pl.col("risk_direction").replace_strict(order, default=9).alias("_o"))
            .sort("_o", "period", "seller_id")
            .drop("_o")
        )

    @property
    def changed_territories(self) -> pl.DataFrame:
        return self.territories.filter(pl.col("changed")).sort(
            pl.col("strategic_gap_change").abs(), descending=True, nulls_last=True
        )


def read_view(path: Path) -> ScenarioView:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute("select * from compare.scenario")
        names = [column[0] for column in cursor.description or []]
        scenario = dict(zip(names, cursor.fetchall()[0], strict=True))

        def frame(sql: str) -> pl.DataFrame:
            return pl.from_arrow(con.sql(sql).to_arrow_table())  # type: ignore[return-value]

        return ScenarioView(
            scenario=scenario,
            changes=frame("select * from compare.changes order by list, position"),
            sellers=frame("select * from compare.sellers"),
            territories=frame("select * from compare.territories"),
        )


def summary_lines(view: ScenarioView) -> list[str]:
    """The terminal summary: risk moves by direction, territories whose gap or hires change."""
    moves = view.moves
    lines = [f"  note: {note}" for note in view.scenario["notes"] or []]
    counts = dict(moves.group_by("risk_direction").len().iter_rows())
    by_direction = ", ".join(
        f"{counts[d]} {d}" for d in ("worse", "better", "new", "removed") if d in counts
    )
    lines.append(
        f"sellers whose risk level moves: {moves.height}"
        + (f" ({by_direction})" if moves.height else "")
    )
    for row in moves.head(SUMMARY_LINES).iter_rows(named=True):
        lines.append(
            f"  {row['period']} {row['seller_id']}: {row['baseline_risk_level'] or '-'} -> "
            f"{row['scenario_risk_level'] or '-'} ({row['risk_direction']}; quota "
            f"{_money(row['baseline_quota'])} -> {_money(row['scenario_quota'])}, adjusted capacity "
            f"{_money(row['baseline_adjusted_capacity'])} -> {_money(row['scenario_adjusted_capacity'])})"
        )
    if moves.height > SUMMARY_LINES:
        lines.append(f"  ... and {moves.height - SUMMARY_LINES} more (compare.sellers)")
    changed = view.changed_territories
    lines.append(f"territories whose strategic gap or headcount changes: {changed.height}")
    for row in changed.head(SUMMARY_LINES).iter_rows(named=True):
        lines.append(
            f"  {row['period']} {row['territory_id']}: strategic gap "
            f"{_money(row['baseline_strategic_gap'])} -> {_money(row['scenario_strategic_gap'])}, "
            f"headcount needed {_count(row['baseline_headcount_needed'])} -> "
            f"{_count(row['scenario_headcount_needed'])}"
        )
    if changed.height > SUMMARY_LINES:
        lines.append(f"  ... and {changed.height - SUMMARY_LINES} more (compare.territories)")
    return lines


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def write_page(view: ScenarioView, out: Path, cache_dir: Path) -> Path:
    """scenarios/<name>.html: summary, changes, moves, territories, two charts."""
    name = view.scenario["name"]
    baseline = view.scenario["baseline_run_id"] or "the published warehouse"
    html_text = page(
        title=f"What-if scenario {name}",
        subtitle=(
            f"{view.scenario['changes']} changes from {view.scenario['changes_file']} on run "
            f"{baseline}; computed {view.scenario['created_at']:%Y-%m-%d %H:%M} UTC."
        ),
        sections=_sections(view),
        charts={
            "risk_levels": risk_levels_chart(view.sellers),
            "strategic_gap": strategic_gap_chart(view.territories),
        },
        bundle=vega_bundle(cache_dir),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html_text, encoding="utf-8")
    partial.replace(out)
    return out


def _sections(view: ScenarioView) -> list[tuple[str, str]]:
    notes = "".join(f"<li>{cell(note)}</li>" for note in view.scenario["notes"] or [])
    headlines = [line for line in summary_lines(view) if not line.startswith(" ")]
    summary = "".join(f"<li>{cell(line)}</li>" for line in headlines)
    return [
        ("Summary", f"<ul>{summary}</ul>" + (f"<h3>Notes</h3><ul>{notes}</ul>" if notes else "")),
        ("Changes applied", table(view.changes)),
        ("Risk level per seller: baseline and scenario", chart_div("risk_levels")),
        ("Sellers whose risk level moves", table(view.moves, limit=200)),
        (
            "Territories whose strategic gap or headcount changes",
            chart_div("strategic_gap") + table(view.changed_territories, limit=200),
        ),
        ("Every changed seller-period", table(view.sellers.filter(pl.col("changed")), limit=500)),
    ]


def risk_levels_chart(sellers: pl.DataFrame) -> dict[str, Any]:
    """Sellers by risk level, baseline beside scenario (every period)."""
    import altair as alt

    from quota_pipeline.analysis.report.charts import _named, _spec

    sides = [
        sellers.select(pl.lit(side).alias("side"), pl.col(f"{side}_risk_level").alias("risk_level"))
        for side in ("baseline", "scenario")
    ]
    counts = (
        pl.concat(sides)
        .drop_nulls("risk_level")
        .group_by("side", "risk_level")
        .len(name="sellers")
        .sort("side", "risk_level")
    )
    chart = (
        alt.Chart(_named())
        .mark_bar()
        .encode(
            x=alt.X("risk_level:N", sort=list(RISK_ORDER), title="risk level"),
            xOffset=alt.XOffset("side:N", sort=["baseline", "scenario"]),
            y=alt.Y("sellers:Q", title="seller-periods"),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["baseline", "scenario"], range=list(SIDE_COLOURS)),
                title="",
            ),
            tooltip=["side:N", "risk_level:N", "sellers:Q"],
        )
        .properties(width=420, height=240, title="Seller-periods by risk level")
    )
    return _spec(chart, counts)


def strategic_gap_chart(territories: pl.DataFrame, limit: int = 30) -> dict[str, Any]:
    """Strategic gap, baseline and scenario, of the territories that change most (or all)."""
    import altair as alt

    from quota_pipeline.analysis.report.charts import _named, _spec

    ranked = (
        territories.with_columns(
            pl.concat_str("territory_id", pl.lit(" "), "period").alias("territory_period")
        )
        .sort(pl.col("strategic_gap_change").abs().fill_null(0), descending=True)
        .head(limit)
    )
    long = pl.concat(
        [
            ranked.select(
                "territory_period",
                pl.lit(side).alias("side"),
                pl.col(f"{side}_strategic_gap").alias("strategic_gap"),
            )
            for side in ("baseline", "scenario")
        ]
    ).drop_nulls("strategic_gap")
    chart = (
        alt.Chart(_named())
        .mark_bar()
        .encode(
            y=alt.Y("territory_period:N", title="territory and period"),
            yOffset=alt.YOffset("side:N", sort=["baseline", "scenario"]),
            x=alt.X("strategic_gap:Q", title="strategic gap (top-down - bottom-up)"),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["baseline", "scenario"], range=list(SIDE_COLOURS)),
                title="",
            ),
            tooltip=["territory_period:N", "side:N", alt.Tooltip("strategic_gap:Q", format=",.2f")],
        )
        .properties(width=520, height=alt.Step(12), title="Strategic gap: baseline and scenario")
    )
    return _spec(chart, long)
