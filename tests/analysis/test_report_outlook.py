"""The report's outlook section on small frames: charts, the band, the lead sentence."""

from __future__ import annotations

import polars as pl

from quota_pipeline.analysis.report import _with_section
from quota_pipeline.analysis.report.outlook import (
    DesignBand,
    OutlookData,
    outlook_charts,
    outlook_section,
)

REGIONS = pl.DataFrame(
    {
        "region": ["AMER", "EMEA"],
        "region_name": ["Americas", "Europe"],
        "sellers_with_quota": [10, 4],
        "expected_at_quota": [3.5, 2.6],
        "expected_at_quota_pct": [35.0, 65.0],
        "health": ["below", "healthy"],
    }
)


def data(**summary: object) -> OutlookData:
    empty = pl.DataFrame({"seller_id": []}, schema={"seller_id": pl.String})
    return OutlookData(
        summary={
            "sellers": 14,
            "expected_at_quota": 6.1,
            "fragile": 2,
            "unfair": 3,
            "relief": 1,
            "over_assigned": 0,
            **summary,
        },
        distribution=pl.DataFrame(
            {"from_pct": [0, 10], "chance": ["0-10%", "10-20%"], "sellers": [9, 5]}
        ),
        regions=REGIONS,
        fragile=empty,
        unfair=empty,
        relief=empty,
        over_assigned=empty,
    )


def test_region_chart_draws_the_design_band() -> None:
    specs = outlook_charts(data(), DesignBand(0.6, 0.7))
    assert set(specs) == {"attainment_distribution", "region_attainment"}
    layers = specs["region_attainment"]["layer"]
    rules = [layer["encoding"]["y"]["datum"] for layer in layers if layer["mark"]["type"] == "rule"]
    assert rules == [60.0, 70.0]
    assert specs["region_attainment"]["datasets"]["rows"][0]["region"] == "AMER"
    assert "60-70%" in specs["region_attainment"]["title"]
    assert len(specs["attainment_distribution"]["datasets"]["rows"]) == 2


def test_without_a_band_the_chart_has_bars_only() -> None:
    layers = outlook_charts(data(), None)["region_attainment"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar"]


def test_lead_sentence_gives_the_counts() -> None:
    heading, inner = outlook_section(data(), DesignBand(0.6, 0.7))
    assert heading.startswith("Outlook")
    assert (
        "Of 14 sellers with a quota, 6.1 are expected to make it: 44% (design band 60-70%)" in inner
    )
    assert "2 are one lost account away from missing" in inner
    assert 'id="attainment_distribution"' in inner and 'id="region_attainment"' in inner


def test_no_sellers_reads_as_not_applicable() -> None:
    _heading, inner = outlook_section(data(sellers=0, expected_at_quota=None), None)
    assert "Of 0 sellers with a quota, 0.0 are expected to make it: n/a." in inner


def test_outlook_goes_before_the_long_lists() -> None:
    sections = [("a", ""), ("Top", ""), ("z", "")]
    assert [h for h, _ in _with_section(sections, ("new", ""), before="Top")] == [
        "a",
        "new",
        "Top",
        "z",
    ]
    assert _with_section(sections, ("new", ""), before="missing")[-1] == ("new", "")
