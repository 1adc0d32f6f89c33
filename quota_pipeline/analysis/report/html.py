"""One self-contained HTML page: tables, Vega-Lite specs, and the Vega JavaScript inline.

Planners open the report from a file share or an e-mail, often offline, so nothing is
loaded from the network: the Vega, Vega-Lite and vega-embed bundle comes from the
vl-convert-python wheel (it ships them) and is written into the page. Building that bundle
takes seconds, so it is cached per vl-convert and Vega-Lite version. Every text cell is
HTML-escaped (extract values are typed by people); specs are JSON with ``</`` escaped.
When the charts have rendered, the page records it on <body> (data-charts-rendered), which
the browser test reads.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl


def vega_bundle(cache_dir: Path) -> str:
    """vega-embed + Vega-Lite + Vega as one script, from the vl-convert wheel (cached)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    cached = cache_dir / f"vega-embed-vlc{vl_convert.__version__}-vl{vl_version}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.name + ".partial")
    partial.write_text(bundle, encoding="utf-8")
    partial.replace(cached)
    return bundle


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape(str(value))


def table(frame: pl.DataFrame, *, limit: int | None = None, css_class: str = "") -> str:
    """An HTML table of ``frame`` (numbers right-aligned), with a note when cut."""
    shown = frame if limit is None else frame.head(limit)
    numeric = {name for name, dtype in frame.schema.items() if dtype.is_numeric()}
    head = "".join(f"<th>{html.escape(name)}</th>" for name in frame.columns)
    body = []
    for row in shown.iter_rows():
        cells = "".join(
            f'<td class="num">{cell(v)}</td>' if name in numeric else f"<td>{cell(v)}</td>"
            for name, v in zip(frame.columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return '<p class="empty">None.</p>'
    note = ""
    if limit is not None and frame.height > limit:
        note = f'<p class="note">{limit} of {frame.height:,} rows shown.</p>'
    return (
        f'<table class="{css_class}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def chart_div(chart_id: str) -> str:
    return f'<div class="chart" id="{html.escape(chart_id)}"></div>'


def page(
    *,
    title: str,
    subtitle: str,
    sections: Sequence[tuple[str, str]],
    charts: Mapping[str, dict[str, Any]],
    bundle: str,
) -> str:
    """The whole page: sections are (heading, inner HTML); charts by their div id."""
    specs = json.dumps(charts).replace("</", "<\\/")
    parts = [
        f"<section><h2>{html.escape(heading)}</h2>{inner}</section>" for heading, inner in sections
    ]
    return PAGE.format(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        sections="\n".join(parts),
        bundle=bundle.replace("</script", "<\\/script"),
        specs=specs,
    )


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }}
h1 {{ margin-bottom: 0; }} .subtitle {{ color: #666; margin-top: 4px; }}
section {{ margin: 28px 0; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 8px 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} td.num {{ text-align: right; white-space: nowrap; }}
.chart {{ display: inline-block; margin: 8px 24px 8px 0; min-height: 40px; }}
.note, .empty {{ color: #666; font-size: 13px; }}
</style>
<script>
{bundle}
</script>
</head>
<body>
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
{sections}
<script>
const charts = {specs};
const ids = Object.keys(charts);
Promise.all(ids.map((id) => vegaEmbed("#" + id, charts[id], {{actions: false, renderer: "svg"}})))
  .then(() => {{
    for (const id of ids) {{
      const box = document.getElementById(id).getBoundingClientRect();
      document.getElementById(id).dataset.box =
        [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height]
          .map(Math.round).join(",");
    }}
    document.body.dataset.chartsRendered = String(ids.length);
  }})
  .catch((error) => {{
    document.body.dataset.chartError = String(error);
    console.error(error);
  }});
</script>
</body>
</html>
"""
