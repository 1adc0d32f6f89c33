"""CHANGES.yaml -> a validated ChangeSet, before any data is touched.

Values are kept as the text a CSV extract would hold (YAML's numbers and dates are read
back as the characters written, never through a float), so the ingest rules check a
change exactly as they check an extract row, and money stays exact. Everything that can be
said without data is said here, in one line naming the list and position of the change:
an unknown list or column, a change that is not a mapping, a missing key, the same key
changed twice. The rules that need the data (unknown ids, negative amounts, bad enums) are
the ingest rules themselves, applied in ``apply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from quota_pipeline.errors import UsageError
from quota_pipeline.ingest.specs import SPECS

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ChangeKind:
    """One list of CHANGES.yaml: the extract it edits and how.

    ``upsert``: the row with the change's key is updated with the given columns, or added
    when there is none. ``update``: the row must exist; only the given columns change.
    ``append``: a new row (its key must be new, which the duplicate-key rule checks).
    """

    name: str
    extract: str
    mode: str
    key: tuple[str, ...]
    columns: tuple[str, ...]


def _kind(name: str, extract: str, mode: str, columns: tuple[str, ...] | None = None) -> ChangeKind:
    spec = SPECS[extract]
    return ChangeKind(name, extract, mode, spec.key, columns or spec.column_names)


def change_kinds() -> dict[str, ChangeKind]:
    """The lists CHANGES.yaml may hold (target_overrides once that extract exists)."""
    kinds = [
        _kind("quotas", "quotas", "upsert"),
        _kind("account_owners", "accounts", "update", ("account_id", "owner_seller_id")),
        _kind("new_sellers", "sellers", "append"),
    ]
    if "target_overrides" in SPECS:
        kinds.append(_kind("target_overrides", "target_overrides", "upsert"))
    return {kind.name: kind for kind in kinds}


@dataclass(frozen=True)
class Change:
    """One entry of a list: its values as extract text (None = empty field)."""

    kind: ChangeKind
    position: int
    values: dict[str, str | None]

    @property
    def label(self) -> str:
        return f"{self.kind.name}[{self.position}]"

    def key(self) -> tuple[str | None, ...]:
        return tuple(self.values.get(column) for column in self.kind.key)


@dataclass(frozen=True)
class ChangeSet:
    source: str
    name: str
    changes: tuple[Change, ...]

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind.name == kind]

    def extracts(self) -> list[str]:
        return sorted({change.kind.extract for change in self.changes})


class ChangeError(UsageError):
    """A change that cannot apply: one line naming the file, the list and the position."""


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps numbers, dates and booleans as the text written."""


def _as_written(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)  # type: ignore[return-value]


for _tag in ("int", "float", "timestamp", "bool"):
    _TextLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _as_written)


def read_changes(path: Path, name: str | None = None) -> ChangeSet:
    """Read and check ``path``; ``name`` (from --name) wins over the file's ``name:``."""
    source = path.name
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextLoader)
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise UsageError(f"{path}: {problem}{where}") from None
    return parse_changes(document, source, name)


def parse_changes(document: Any, source: str, name: str | None = None) -> ChangeSet:
    """The ChangeSet of a parsed YAML document; ChangeError (one line) when malformed."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ChangeError(f"{source}: expected a mapping of change lists at the top")
    kinds = change_kinds()
    allowed = ("name", *kinds)
    for key in document:
        if key not in allowed:
            raise ChangeError(f"{source}: unknown list {key!r} (expected {', '.join(allowed)})")
    scenario_name = scenario_name_of(name if name is not None else document.get("name"), source)
    changes: list[Change] = []
    for kind in kinds.values():
        entries = document.get(kind.name) or []
        if not isinstance(entries, list):
            raise ChangeError(f"{source}: {kind.name}: expected a list of changes")
        for position, entry in enumerate(entries):
            changes.append(_change(kind, position, entry, source))
    if not changes:
        raise ChangeError(f"{source}: no changes (give quotas, account_owners, new_sellers ...)")
    _check_repeated_keys(changes, source)
    return ChangeSet(source=source, name=scenario_name, changes=tuple(changes))


def scenario_name_of(value: Any, source: str) -> str:
    """A valid scenario name: letters, digits, - and _ (it becomes a file name)."""
    if value is None:
        raise ChangeError(f"{source}: the scenario has no name (give name: in the file or --name)")
    text = str(value)
    if not NAME_PATTERN.match(text):
        raise ChangeError(
            f"{source}: scenario name {text!r} may hold only letters, digits, - and _ (at most 64)"
        )
    return text


def _change(kind: ChangeKind, position: int, entry: Any, source: str) -> Change:
    label = f"{source}: {kind.name}[{position}]"
    if not isinstance(entry, dict):
        raise ChangeError(f"{label}: expected a mapping of column: value")
    values: dict[str, str | None] = {}
    for column, value in entry.items():
        if column not in kind.columns:
            raise ChangeError(
                f"{label}: unknown column {column!r} ({kind.name} takes {', '.join(kind.columns)})"
            )
        values[str(column)] = _text(value, label, column)
    for column in kind.key:
        if values.get(column) is None:
            raise ChangeError(f"{label}: {column} is missing (it says which row to change)")
    if kind.mode == "update" and len(values) == len(kind.key):
        raise ChangeError(f"{label}: nothing to change (give {', '.join(kind.columns[1:])})")
    return Change(kind=kind, position=position, values=values)


def _text(value: Any, label: str, column: str) -> str | None:
    """A YAML value as the CSV field it stands for: an empty field is null."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise ChangeError(f"{label}: {column} must be a single value")
    text = str(value)
    return text if text != "" else None


def _check_repeated_keys(changes: list[Change], source: str) -> None:
    seen: dict[tuple[str, tuple[str | None, ...]], Change] = {}
    for change in changes:
        marker = (change.kind.name, change.key())
        if marker in seen:
            raise ChangeError(
                f"{source}: {change.label}: changes the same row as {seen[marker].label} "
                f"({', '.join(change.kind.key)} {' '.join(str(v) for v in change.key())})"
            )
        seen[marker] = change
