"""The dbt docs site of a run, generated against its build file and published beside it.

`dbt docs generate --static` writes one self-contained static_index.html (manifest and
catalog inlined), which opens from a file share with no server. The run already parsed
the project (manifest.json and partial_parse.msgpack in dbt_project/target), so those are
copied into a private target folder and dbt runs with --no-compile: it only queries the
build file's catalog. Measured at about 12-15 s whatever the data size (dbt start-up and
project load dominate), hence a step of its own. The manifest's descriptions are also
written into the build file (docs.*), for `quota-pipeline tables`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from quota_pipeline.analysis.tables import descriptions_from_manifest, write_descriptions

DOCS_FILES = {"static_index.html": "index.html", "manifest.json": None, "catalog.json": None}


@dataclass(frozen=True)
class DocsResult:
    folder: Path
    index: Path
    descriptions: int


def generate_docs(
    *,
    dbt_executable: str,
    project_dir: Path,
    parsed_target: Path,
    work_dir: Path,
    out_dir: Path,
    dbt_vars: str,
    target: str,
    env: dict[str, str],
) -> Path:
    """Run dbt docs generate into ``work_dir`` and copy the site into ``out_dir``."""
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    for name in ("manifest.json", "partial_parse.msgpack"):
        if (parsed_target / name).exists():
            shutil.copy2(parsed_target / name, work_dir / name)
    command = [
        dbt_executable, "docs", "generate", "--static", "--no-compile",
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target", target, "--vars", dbt_vars, "--target-path", str(work_dir), "--quiet",
    ]  # fmt: skip
    completed = subprocess.run(
        command, env={**os.environ, **env}, cwd=project_dir, capture_output=True, text=True
    )
    if completed.returncode != 0:
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"dbt docs generate failed: {' | '.join(tail)}")
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    for name, renamed in DOCS_FILES.items():
        shutil.copy2(work_dir / name, out_dir / (renamed or name))
    shutil.rmtree(work_dir, ignore_errors=True)
    return out_dir / "index.html"


def describe_build(build_file: Path, manifest_path: Path) -> int:
    """Write the manifest's table and column descriptions into the build file (docs.*)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    with duckdb.connect(str(build_file)) as con:
        return write_descriptions(con, descriptions_from_manifest(manifest))
