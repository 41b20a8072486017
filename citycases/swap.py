"""Put a freshly built site in place of the published one without a moment where neither exists.

    python -m citycases.swap NEW TARGET    # NEW replaces TARGET; NEW is gone afterwards

On Linux the two directories are exchanged in one step (renameat2 with RENAME_EXCHANGE), then the old site is
deleted; where the file system cannot exchange (or TARGET does not exist yet) two renames follow each other
within microseconds. Standard library only: the Makefile runs it outside the notebooks' environment needs.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import sys
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def swap_in(new: Path, target: Path) -> None:
    """Replace the directory `target` by `new`."""
    new, target = Path(new), Path(target)
    if not new.is_dir():
        raise SystemExit(f"error: {new} is not a directory")
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new)          # `new` now holds the previous site
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m citycases.swap NEW TARGET", file=sys.stderr)
        return 2
    swap_in(Path(args[0]), Path(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
