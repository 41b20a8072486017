"""python -m citycases.derive [--sources DIR] [--out DIR] [--step NAME ...]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import derive_all, step_names
from ..errors import DataError
from ..paths import TIDY, sources_dir
from ..sources import checked_sources_dir, load_registry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.derive",
                                 description="Re-derive the tidy tables in data/tidy from the raw sources.")
    ap.add_argument("--sources", help="raw sources folder (default $CITYCASES_SOURCES or ../shared/sources)")
    ap.add_argument("--out", help="output folder for the tidy CSVs (default data/tidy; with --step, nothing is "
                                  "written unless --out is given, since the tables would be partial)")
    ap.add_argument("--step", action="append", help=f"run only these steps (of {', '.join(step_names())})")
    ap.add_argument("--check", action="store_true",
                    help="the data check: validate the committed tables in data/tidy and, where the raw sources "
                         "are present, re-derive every table in memory and compare; write nothing")
    ap.add_argument("--verify", action="store_true",
                    help="derive into a temporary folder and fail if the committed tables differ")
    args = ap.parse_args(argv)
    try:
        root = checked_sources_dir(args.sources)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check and not args.out:
        return check(root, args.step)
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


def check(root: Path | None, steps: list[str] | None) -> int:
    """The data check: committed tables valid (file, line, fix), then equal to a fresh derivation."""
    from . import _params, load_step
    from ..cities import load_cities
    from ._check import check_committed, compare_texts

    try:
        check_committed()
        _params.check_all(load_cities(), step_names(), load_step)  # with or without the raw sources
        if root is None:
            print(f"note: no raw sources at {sources_dir()}: the committed tables were validated, the "
                  f"re-derivation check was skipped (set CITYCASES_SOURCES to the raw sources folder)")
            return 0
        tables = derive_all(sources_root=root, steps=steps, write=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = [] if steps else compare_texts(tables, load_registry())
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    print("data check passed: the committed tables are valid" + ("" if steps else " and match a fresh derivation"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
