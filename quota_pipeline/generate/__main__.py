"""``python -m quota_pipeline.generate``: the options of ``quota-pipeline generate``.

A thin stand-alone entry point (no Dagster import) for benchmarks and scripts; it prints
the rows written per extract and the elapsed time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from quota_pipeline.generate.synthetic import FORMATS, GenerateError, generate_extracts


def main(argv: list[str] | None = None) -> int:
    """Parse the options, write the extracts, print one line per extract."""
    parser = argparse.ArgumentParser(
        prog="python -m quota_pipeline.generate",
        description="Write realistic synthetic CRM extracts; the same seed gives the same files.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--sellers", type=int, default=None, help="default: accounts // 100")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt")
    parser.add_argument("--corporate-currency", default="USD")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        rows = generate_extracts(
            args.out,
            accounts=args.accounts,
            sellers=args.sellers,
            seed=args.seed,
            fmt=args.fmt,
            corporate_currency=args.corporate_currency,
        )
    except GenerateError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    for name, count in rows.items():
        print(f"{name:<16} {count:>12,}")
    print(f"written to {args.out} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
