"""Content fingerprint of a run's inputs, so an unchanged night costs seconds, not minutes.

A run's result depends on the extract files' contents, the planning policy and the code
(Python package and dbt project). When all of them hash the same as for the last
published run, and that warehouse is still in place, recomputing would rebuild identical
tables: `quota-pipeline run` says so and stops, unless `--force`.

Contents are hashed, not modification times: a nightly export that rewrites the same bytes
is unchanged; a file edited within the same second is not. SHA-256 runs on the CPU's SHA
instructions at about 1.4 GB/s per core here (BLAKE2b: 0.75), and the extracts are hashed
on every core at once: 2 GB of 10M-account extracts in under a second, not 3.3 s.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quota_pipeline.ingest.files import ExtractFile
from quota_pipeline.settings import DBT_PROJECT_DIR, PROJECT_ROOT

# What decides the tables besides the inputs: the code, the GX suites, the dbt project.
CODE_ROOTS = (
    PROJECT_ROOT / "quota_pipeline",
    PROJECT_ROOT / "expectations",
    DBT_PROJECT_DIR / "models",
    DBT_PROJECT_DIR / "macros",
)
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".json"}


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def code_files(roots: Iterable[Path] = CODE_ROOTS) -> list[Path]:
    """The source files whose change must trigger a recomputation, in a stable order."""
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file()]
    return sorted(found)


def input_fingerprint(extracts: Iterable[ExtractFile], policy_file: Path) -> str:
    """One hex digest over every extract (name, format, bytes), the policy and the code."""
    ordered = sorted(extracts, key=lambda e: e.spec.name)
    # hashlib releases the GIL while it hashes, so threads hash files side by side
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        digests = list(pool.map(file_digest, [extract.path for extract in ordered]))
    combined = hashlib.sha256()
    for extract, digest in zip(ordered, digests, strict=True):
        suffix = "parquet" if extract.is_parquet else "csv"
        combined.update(f"extract {extract.spec.name}.{suffix} {digest}\n".encode())
    combined.update(f"policy {file_digest(policy_file)}\n".encode())
    for path in code_files():
        relative = path.relative_to(PROJECT_ROOT)
        combined.update(f"code {relative.as_posix()} {file_digest(path)}\n".encode())
    return combined.hexdigest()
