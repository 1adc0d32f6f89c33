"""The territory tree must be a forest: every parent exists and no territory is its own ancestor.

Territories are few (thousands at most), so the walk is plain Python over a parent map;
the problems come back as readable reasons for dq.quarantine. A child of a rejected
territory is rejected too, otherwise the rollups would lose part of a subtree silently.
"""

from __future__ import annotations

from collections.abc import Iterable


def territory_problems(
    rows: Iterable[tuple[str | None, str | None, bool]],
) -> dict[str, str]:
    """Map territory_id -> reason for every territory that cannot sit in the tree.

    ``rows`` are (territory_id, parent_territory_id, already_quarantined).
    """
    parent_of: dict[str, str | None] = {}
    rejected: set[str] = set()
    for territory_id, parent_id, quarantined in rows:
        if territory_id is None:
            continue
        parent_of[territory_id] = parent_id
        if quarantined:
            rejected.add(territory_id)
    problems: dict[str, str] = {}
    for territory_id in parent_of:
        if territory_id in rejected:
            continue
        problem = _walk(territory_id, parent_of, rejected)
        if problem:
            problems[territory_id] = problem
    return problems


def _walk(start: str, parent_of: dict[str, str | None], rejected: set[str]) -> str | None:
    path = [start]
    seen = {start}
    current = start
    while True:
        parent = parent_of.get(current)
        if parent is None:
            return None
        if parent not in parent_of:
            if current == start:
                return f"parent_territory_id {parent} is not a known territory"
            return f"parent_territory_id {parent_of[start]}: ancestor {current} has unknown parent {parent}"
        if parent in seen:
            cycle = [*path[path.index(parent) :], parent]
            return (
                f"parent_territory_id {parent_of[start]}: territory hierarchy cycle: "
                + " -> ".join(cycle)
            )
        if parent in rejected:
            return f"parent_territory_id {parent_of[start]}: ancestor territory {parent} is quarantined"
        path.append(parent)
        seen.add(parent)
        current = parent
