"""The data check (`make data-check`, `python -m citycases.derive --check`): before any notebook runs,

1. every committed table in data/tidy/ is read as the notebooks will read it and validated like a derived one
   (types, required fields, ranges, keys, references), and must be in the form the derivation writes; a
   problem names the file, the line as an editor shows it, the field and the fix;
2. where the raw sources are present, every table is derived again in memory and compared with the committed
   one: a difference means data/tidy is stale (an edited events file, registry or step) -> `make data`.

Nothing is written.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import schema
from ..cities import load_cities
from ..errors import DataError
from ..paths import DATA, TIDY
from ..sources import load_registry

REDERIVE = "run `make data` to re-derive data/tidy from the raw sources (its files are written by the derivation, " \
           "never by hand), then commit it"


def _rel(path: Path) -> str:
    return str(path.relative_to(DATA.parent)) if path.is_relative_to(DATA.parent) else str(path)


def check_committed_table(table: str, tidy: Path = TIDY, *, registry: dict | None = None,
                          cities: list[dict] | None = None) -> pd.DataFrame:
    """Validate one committed table as a file: DataError naming its line (header = line 1) and the fix."""
    from . import to_csv_text, validate_table

    path = Path(tidy) / f"{table}.csv"
    rel = _rel(path)
    if not path.is_file():
        raise DataError(rel, f"table {table} is missing", fix=REDERIVE)
    text = path.read_text(encoding="utf-8")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(rel, f"not a readable CSV table: {' '.join(str(exc).split())}", fix=REDERIVE) from None
    if list(df.columns) != schema.columns(table):
        raise DataError(rel, f"columns are {list(df.columns)}, the schema's are {schema.columns(table)}", line=1,
                        fix=REDERIVE)
    try:
        # rows in file order: row i of the frame is line i + 2 of the file
        checked = validate_table(df.replace("", pd.NA), table, file=rel,
                                 registry=load_registry() if registry is None else registry,
                                 cities=load_cities() if cities is None else cities)
    except DataError as exc:
        line = exc.line if exc.line is not None else exc.row
        raise DataError(rel, exc.problem, line=line, field=exc.field,
                        fix=f"{exc.fix}; or {REDERIVE}" if exc.fix else REDERIVE) from None
    canonical = to_csv_text(checked, table).splitlines()
    lines = text.splitlines()
    if canonical != lines:
        i = next((k for k, (a, b) in enumerate(zip(canonical, lines)) if a != b), min(len(canonical), len(lines)))
        had = lines[i] if i < len(lines) else "<end of file>"
        want = canonical[i] if i < len(canonical) else "<end of file>"
        raise DataError(rel, f"not as the derivation writes it: {had!r}, expected {want!r} (rows sorted by key, "
                             f"rates computed from count and population)", line=i + 1, fix=REDERIVE)
    return checked


def check_committed(tidy: Path = TIDY) -> None:
    """Every table of the schema, committed in data/tidy/, is valid and in canonical form."""
    registry, cities = load_registry(), load_cities()
    for table in schema.TABLES:
        check_committed_table(table, tidy, registry=registry, cities=cities)


def compare_texts(tables: dict[str, pd.DataFrame], registry: dict, committed_dir: Path = TIDY) -> list[str]:
    """Differences between tables derived in memory and the committed files, one sentence per file."""
    from . import datapackage, first_difference, to_csv_text

    problems = []
    for table, df in tables.items():
        new_lines = to_csv_text(df, table).splitlines()
        old = Path(committed_dir) / f"{table}.csv"
        old_lines = old.read_text(encoding="utf-8").splitlines() if old.exists() else []
        diff = first_difference(new_lines, old_lines)
        if diff:
            line, had, got = diff
            problems.append(f"{_rel(old)}, line {line}: committed {had!r}, derivation gives {got!r}: the tidy "
                            f"tables are stale (fix: {REDERIVE})")
    pkg = Path(committed_dir).parent / "datapackage.json"
    text = json.dumps(datapackage(tables, registry), indent=2, ensure_ascii=False) + "\n"
    if not pkg.is_file() or pkg.read_text(encoding="utf-8") != text:
        problems.append(f"{_rel(pkg)} differs from a fresh derivation (fix: {REDERIVE})")
    return problems
