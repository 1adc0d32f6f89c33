"""The planning report in a real headless Chromium (Debian's package, installed by `make test`).

The page must load with no console message at all (errors, warnings, failed loads) while
every network request goes to a dead proxy, so it truly opens offline; each chart must
render: the page marks <body> once vega-embed has drawn them, records each chart's box,
and the screenshot of every box must hold more than one colour.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from two_published_runs import PublishedRuns

from quota_pipeline.analysis.report import CHART_IDS
from quota_pipeline.analysis.report.allocation import HEADING as ALLOCATION_HEADING

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    # Any request leaving the machine fails (and is logged): the page must need none.
    "--proxy-server=http://127.0.0.1:9",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
]


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (make test installs it: apt-get install chromium)"
        )
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(published_runs: PublishedRuns) -> Path:
    return sorted((published_runs.warehouse.parent / "reports").glob("report-*.html"))[-1]


def test_report_loads_with_no_console_message_and_renders_every_chart(report, tmp_path):
    loaded = chromium(tmp_path / "profile-dom", "--dump-dom", report.as_uri())
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    console = [line for line in loaded.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = loaded.stdout
    assert "data-chart-error" not in dom
    assert f'data-charts-rendered="{len(CHART_IDS)}"' in dom
    boxes = dict(re.findall(r'id="(\w+)"[^>]*data-box="([\d,]+)"', dom))
    assert set(boxes) == set(CHART_IDS), boxes
    assert ALLOCATION_HEADING in dom and "Every override (" in dom

    from PIL import Image

    boxes_px = {name: tuple(int(v) for v in box.split(",")) for name, box in boxes.items()}
    height = max(top + h for _left, top, _w, h in boxes_px.values()) + 50
    shot = tmp_path / "report.png"
    taken = chromium(
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        f"--window-size=1400,{height}",
        report.as_uri(),
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    with Image.open(shot) as image:
        page = image.convert("RGB")
        for name, (left, top, width, box_height) in boxes_px.items():
            assert width > 50 and box_height > 50, (name, width, box_height)
            chart = page.crop((left, top, left + width, top + box_height))
            colours = chart.getcolors(maxcolors=1_000_000) or []
            assert len(colours) > 10, f"chart {name} looks blank ({len(colours)} colours)"
