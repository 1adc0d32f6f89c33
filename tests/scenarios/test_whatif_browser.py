"""scenarios/<name>.html in a real headless Chromium, as the planning report is tested.

The page must load offline (every request goes to a dead proxy) with no console message,
and both charts must render: the page marks <body> once vega-embed has drawn them, records
each chart's box, and the screenshot of every box must hold more than a few colours.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from support import cli

from quota_pipeline.scenarios.render import CHART_IDS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--proxy-server=http://127.0.0.1:9", "--enable-logging=stderr", "--v=0",
    "--virtual-time-budget=15000",
]  # fmt: skip


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def page(baseline, tmp_path_factory) -> Path:
    changes = tmp_path_factory.mktemp("page") / "CHANGES.yaml"
    changes.write_text(
        yaml.safe_dump(
            {
                "name": "browser",
                "quotas": [
                    {"seller_id": "S1", "period": "FY2027-Q1", "quota_amount": "400000",
                     "currency_iso": "USD"},
                ],
                "account_owners": [{"account_id": "A05", "owner_seller_id": None}],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    ran = cli(baseline, "whatif", str(changes))
    assert ran.returncode == 0, ran.stderr
    return Path(baseline["QUOTA_WAREHOUSE"]).parent / "scenarios" / "browser.html"


def test_scenario_page_loads_offline_and_renders_both_charts(page, tmp_path):
    loaded = chromium(tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    console = [line for line in loaded.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = loaded.stdout
    assert "data-chart-error" not in dom
    assert f'data-charts-rendered="{len(CHART_IDS)}"' in dom
    assert "Sellers whose risk level moves" in dom
    boxes = dict(re.findall(r'id="(\w+)"[^>]*data-box="([\d,]+)"', dom))
    assert set(boxes) == set(CHART_IDS), boxes

    from PIL import Image

    boxes_px = {name: tuple(int(v) for v in box.split(",")) for name, box in boxes.items()}
    height = max(top + h for _left, top, _w, h in boxes_px.values()) + 50
    shot = tmp_path / "page.png"
    taken = chromium(
        tmp_path / "profile-shot", f"--screenshot={shot}", f"--window-size=1400,{height}",
        page.as_uri(),
    )  # fmt: skip
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    with Image.open(shot) as image:
        rendered = image.convert("RGB")
        for name, (left, top, width, box_height) in boxes_px.items():
            assert width > 50 and box_height > 50, (name, width, box_height)
            chart = rendered.crop((left, top, left + width, top + box_height))
            colours = chart.getcolors(maxcolors=1_000_000) or []
            assert len(colours) > 10, f"chart {name} looks blank ({len(colours)} colours)"
