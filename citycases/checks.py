"""Expectations a derivation step asserts about raw data. Each failure is a DataError naming file/row/field."""
from __future__ import annotations

import pandas as pd

from .errors import DataError


def expect_columns(df: pd.DataFrame, required, file, *, exact: bool = False) -> None:
    """Fail if a required column is missing (or, with exact=True, if there is any other column)."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(file, f"missing column(s) {missing}; found {list(df.columns)}",
                        fix="the raw file's layout changed: check its PROVENANCE.md")
    if exact:
        extra = [c for c in df.columns if c not in required]
        if extra:
            raise DataError(file, f"unexpected column(s) {extra}",
                            fix="the raw file's layout changed: check its PROVENANCE.md")


def first_bad(mask: pd.Series):
    """The index label of the first row where `mask` is true (missing counts as false), or None: the row a
    DataError names when a check fails."""
    hit = mask.index[mask.fillna(False).astype(bool).to_numpy()]
    return hit[0] if len(hit) else None


def csv_row(index) -> int:
    """Row number as a person sees it in the CSV file (header is row 1)."""
    return int(index) + 2


def to_count(series: pd.Series, file, field: str, *, allow_missing: bool = False) -> pd.Series:
    """Parse a column of counts: numeric, whole, non-negative; the first bad cell is reported."""
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & (series.notna() if allow_missing else True)
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"not a number: {series.loc[i]!r}", row=csv_row(i), field=field)
    neg = numeric < 0
    i = first_bad(neg)
    if i is not None:
        raise DataError(file, f"negative count {numeric.loc[i]:g}", row=csv_row(i), field=field)
    frac = numeric.notna() & (numeric != numeric.round())
    i = first_bad(frac)
    if i is not None:
        raise DataError(file, f"count is not a whole number: {numeric.loc[i]!r}", row=csv_row(i), field=field)
    return numeric.astype("Int64")


def to_number(series: pd.Series, file, field: str, *, allow_missing: bool = False) -> pd.Series:
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & (series.notna() if allow_missing else True)
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"not a number: {series.loc[i]!r}", row=csv_row(i), field=field)
    return numeric.astype(float)


def expect_unique(df: pd.DataFrame, keys, file) -> None:
    dup = df.duplicated(subset=list(keys), keep="first")
    i = first_bad(dup)
    if i is not None:
        vals = ", ".join(f"{k}={df.loc[i, k]}" for k in keys)
        raise DataError(file, f"duplicate key ({vals})", row=csv_row(i), field="/".join(keys))


def expect_years(years: pd.Series, file, *, first: int | None = None, last: int | None = None,
                 lo: int = 1950, hi: int = 2030, field: str = "year", allow_gaps=()) -> None:
    """Years plausible (lo..hi) and, when given, covering at least first..last (except years in allow_gaps)."""
    y = pd.to_numeric(years, errors="coerce")
    out = y.isna() | (y < lo) | (y > hi)
    i = first_bad(out)
    if i is not None:
        raise DataError(file, f"year {years.loc[i]!r} outside the plausible range {lo}-{hi}",
                        row=csv_row(i), field=field)
    present = set(int(v) for v in y)
    want = set(range(first if first is not None else min(present), (last if last is not None else max(present)) + 1))
    missing = sorted(want - present - set(allow_gaps))
    if missing:
        raise DataError(file, f"expected years {min(want)}-{max(want)}, missing {missing}", field=field)


def expect_rate_consistent(homicides, population, rate, file, *, rel_tol: float = 0.01, abs_tol: float = 0.05,
                           rows=None) -> None:
    """A published rate must match homicides / population * 100,000 within tolerance."""
    h = pd.Series(homicides, dtype="float").reset_index(drop=True)
    p = pd.Series(population, dtype="float").reset_index(drop=True)
    r = pd.Series(rate, dtype="float").reset_index(drop=True)
    computed = h / p * 1e5
    diff = (computed - r).abs()
    bad = r.notna() & p.notna() & (diff > abs_tol + rel_tol * r.abs())
    i = first_bad(bad)
    if i is not None:
        row = rows[i] if rows is not None else None
        raise DataError(file, f"rate {r[i]:g} inconsistent with {h[i]:g} homicides / population {p[i]:g} "
                              f"(= {computed[i]:.3f} per 100,000)", row=row, field="homicide_rate")
