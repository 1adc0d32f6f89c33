"""Errors a user can cause, each carrying the exit code of docs/contract.md section 5.

A user's mistake (bad input, bad policy, bad usage) must end in one readable line,
never a traceback, so these are raised with a finished sentence and caught by the CLI.
"""

from __future__ import annotations


class QuotaPipelineError(Exception):
    """A failure explained in one line; ``exit_code`` is what the CLI returns."""

    exit_code: int = 1


class UsageError(QuotaPipelineError):
    """Bad usage or unreadable input: exit 2."""

    exit_code = 2


class PolicyError(UsageError):
    """planning_policy.yaml is missing, unreadable or invalid."""


class ExtractError(UsageError):
    """An extract file is missing, unreadable, empty or lacks a required column."""


class BlockingCheckError(QuotaPipelineError):
    """A blocking data check failed: nothing is published (exit 1)."""


class RunInProgressError(QuotaPipelineError):
    """Another run holds the build lock."""
