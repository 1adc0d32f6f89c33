"""The dbt docs site of a run, generated against its build file and published beside it.

`dbt docs generate --static` writes one self-contained static_index.html (manifest and
catalog inlined), which opens from a file share with no server. The night's dbt build
already parsed the project, so its partial_parse.msgpack is copied into a private target
folder; dbt then compiles the project (writing a manifest.json of this very code: the
nightly build writes none) and queries the build file's catalog. It costs 4-5 s whatever
the data size (dbt start-up and project load), hence a step of its own.

What the site shows depends on the dbt project (models, macros, their YAML), the vars,
the dbt version and the warehouse's schema (catalog.json holds column names and types,
no row counts), never on the rows. So a run whose docs key (a digest of exactly those)
equals the published site's copies that site instead of running dbt: most nights, as the
code and the schema change far less often than the data. The manifest's descriptions are
written into the build file (docs.*) at every run, for `quota-pipeline tables`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path

import duckdb

from quota_pipeline.analysis.tables import descriptions_from_manifest, write_descriptions

DOCS_FILES = {"static_index.html": "index.html", "manifest.json": None, "catalog.json": None}
# Beside the site's files: the docs key it was generated for.
DOCS_KEY_FILE = "docs_key.txt"
DOCUMENTED_SCHEMAS = ("raw", "dq", "staging", "intermediate", "marts", "risk")


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
    if (parsed_target / "partial_parse.msgpack").exists():
        shutil.copy2(parsed_target / "partial_parse.msgpack", work_dir / "partial_parse.msgpack")
    command = [
        dbt_executable, "docs", "generate", "--static",
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


def docs_key(build_file: Path, project_dir: Path, dbt_vars: str, target: str) -> str:
    """Digest of what the docs site shows: dbt project files, vars, dbt version, schema."""
    digest = hashlib.sha256(f"dbt {installed_version('dbt-core')} {target} {dbt_vars}\n".encode())
    files = [project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests"):
        files += sorted(path for path in (project_dir / folder).rglob("*") if path.is_file())
    for path in files:
        digest.update(f"{path.relative_to(project_dir).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    schemas = ", ".join(f"'{schema}'" for schema in DOCUMENTED_SCHEMAS)
    with duckdb.connect(str(build_file), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type, ordinal_position "
            f"from information_schema.columns where table_schema in ({schemas}) "
            "order by all"
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def reuse_published_docs(published: Path, out_dir: Path, key: str) -> bool:
    """Copy the published site into ``out_dir`` when it was generated for ``key``."""
    key_file = published / DOCS_KEY_FILE
    if not key_file.is_file() or key_file.read_text(encoding="utf-8").strip() != key:
        return False
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(published, out_dir)
    return True


def stamp_docs(out_dir: Path, key: str) -> None:
    (out_dir / DOCS_KEY_FILE).write_text(key + "\n", encoding="utf-8")


def describe_build(build_file: Path, manifest_path: Path) -> int:
    """Write the manifest's table and column descriptions into the build file (docs.*)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    with duckdb.connect(str(build_file)) as con:
        return write_descriptions(con, descriptions_from_manifest(manifest))
