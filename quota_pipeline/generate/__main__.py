"""``python -m quota_pipeline.generate``: the same as ``quota-pipeline generate``.

Kept for scripts that call the generator as a module; the options and output are the
CLI's own, so there is one place that defines them.
"""

from __future__ import annotations

import sys

from quota_pipeline.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``quota-pipeline generate`` with these options."""
    return cli_main(["generate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
