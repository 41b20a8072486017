"""python -m citycases.derive [--sources DIR] [--out DIR] [--step NAME ...]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import derive_all, step_names
from ..errors import DataError
from ..paths import TIDY


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.derive",
                                 description="Re-derive the tidy tables in data/tidy from the raw sources.")
    ap.add_argument("--sources", help="raw sources folder (default $CITYCASES_SOURCES or ../shared/sources)")
    ap.add_argument("--out", help="output folder for the tidy CSVs (default data/tidy; with --step, nothing is "
                                  "written unless --out is given, since the tables would be partial)")
    ap.add_argument("--step", action="append", help=f"run only these steps (of {', '.join(step_names())})")
    ap.add_argument("--check", action="store_true", help="validate only, write nothing")
    ap.add_argument("--verify", action="store_true",
                    help="derive into a temporary folder and fail if the committed tables differ")
    args = ap.parse_args(argv)
    if args.verify:
        import tempfile
        from . import compare_with_committed
        with tempfile.TemporaryDirectory() as tmp:
            try:
                derive_all(sources_root=args.sources, out_dir=Path(tmp) / "tidy")
            except DataError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            problems = compare_with_committed(Path(tmp) / "tidy")
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        if not problems:
            print("the committed tidy tables match a fresh derivation")
        return 1 if problems else 0
    try:
        out = Path(args.out) if args.out else TIDY
        write = not args.check and (args.out is not None or not args.step)
        tables = derive_all(sources_root=args.sources, out_dir=out, steps=args.step, write=write)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for t, df in tables.items():
        print(f"{t}: {len(df)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
