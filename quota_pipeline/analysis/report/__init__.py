"""The planning report: one self-contained HTML page per run, built before the publish.

It reads the run's build file (what is about to be published) and the warehouse still
published (the previous run) for "what changed", so a failure here stops the run before
anything is published, as any other failed step does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from quota_pipeline.analysis.report import allocation, charts, outlook
from quota_pipeline.analysis.report.changes import new_quarantine, risk_moves
from quota_pipeline.analysis.report.data import ReportData, load_report_data, read_snapshot
from quota_pipeline.analysis.report.html import chart_div, page, table, vega_bundle

CHART_IDS = (
    "region_risk",
    "risk_distribution",
    "quota_vs_targets",
    "strategic_gap",
    *outlook.CHART_IDS,
    *allocation.CHART_IDS,
)

TOP_RISKS_HEADING = "Top at-risk sellers, with reasons and recommended quota"


@dataclass(frozen=True)
class ReportResult:
    path: Path
    period: str
    seconds: float
    risk_moves: int
    new_quarantined: int
    top_risks: pl.DataFrame


def previous_snapshot(previous: Path | None) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """Risk levels and quarantine of the last published run; (None, None) when none is."""
    if previous is None or not previous.exists():
        return None, None
    with duckdb.connect(str(previous), read_only=True) as con:
        return read_snapshot(con)


def build_report(
    current: Path,
    previous: Path | None,
    out: Path,
    *,
    generated_at: datetime,
    run_id: str,
    cache_dir: Path,
    today: date | None = None,
    design: outlook.DesignBand | None = None,
) -> ReportResult:
    """Write the report of ``current`` (compared with ``previous``) to ``out``.

    ``design`` is the policy's attainment design band the outlook section draws.
    """
    started = time.perf_counter()
    data = load_report_data(current, today or generated_at.date())
    odds = outlook.load_outlook(current, data.period)
    allocated = allocation.load_allocation(current, data.period)
    old_levels, old_quarantine = previous_snapshot(previous)
    moves = risk_moves(old_levels, data.risk_levels)
    quarantined = new_quarantine(old_quarantine, data.quarantine)
    compared = "the last published run" if old_levels is not None else "nothing (first publish)"
    html_text = page(
        title=f"Quota planning report, {data.period}",
        subtitle=(
            f"Run {run_id}, built {generated_at:%Y-%m-%d %H:%M} UTC; changes compared with "
            f"{compared}. Periods in the warehouse: {', '.join(data.periods)}."
        ),
        sections=_with_section(
            _with_section(
                _sections(data, moves, quarantined),
                outlook.outlook_section(odds, design),
                before=TOP_RISKS_HEADING,
            ),
            allocation.allocation_section(allocated),
            before=TOP_RISKS_HEADING,
        ),
        charts={
            "region_risk": charts.region_risk(data.regions),
            "risk_distribution": charts.risk_distribution(data.risk_counts),
            "quota_vs_targets": charts.quota_vs_targets(data.sellers),
            "strategic_gap": charts.strategic_gap(data.gaps),
            **outlook.outlook_charts(odds, design),
            **allocation.allocation_charts(allocated),
        },
        bundle=vega_bundle(cache_dir),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html_text, encoding="utf-8")
    partial.replace(out)
    return ReportResult(
        path=out,
        period=data.period,
        seconds=time.perf_counter() - started,
        risk_moves=moves.height,
        new_quarantined=quarantined.height,
        top_risks=data.top_risks,
    )


def _sections(
    data: ReportData, moves: pl.DataFrame, quarantined: pl.DataFrame
) -> list[tuple[str, str]]:
    worse = moves.filter(pl.col("direction") == "worse").height
    return [
        (
            f"Summary per region ({data.period})",
            table(data.regions) + chart_div("region_risk"),
        ),
        ("Risk distribution", chart_div("risk_distribution")),
        ("Quota against sum of account targets", chart_div("quota_vs_targets")),
        (
            "Strategic gap per territory",
            chart_div("strategic_gap") + table(data.gaps, limit=10),
        ),
        (TOP_RISKS_HEADING, table(data.top_risks, css_class="risks")),
        (
            "What changed since the last published run",
            f"<p>{moves.height:,} seller-periods changed risk level ({worse:,} worse); "
            f"{quarantined.height:,} newly quarantined rows.</p>"
            "<h3>Risk level moves</h3>"
            + table(moves, limit=50)
            + "<h3>Newly quarantined rows</h3>"
            + table(quarantined, limit=50),
        ),
    ]


def _with_section(
    sections: list[tuple[str, str]], section: tuple[str, str], *, before: str
) -> list[tuple[str, str]]:
    """``sections`` with ``section`` inserted before the one headed ``before`` (at the end
    when there is none): the overview first, the long lists of sellers and changes after."""
    headings = [heading for heading, _inner in sections]
    at = headings.index(before) if before in headings else len(sections)
    return [*sections[:at], section, *sections[at:]]
