"""Load one city's facts: its registry entry and its rows of every tidy table, plus its country's context.

    city = load_city("medellin")
    city.primary            # annual rows of the primary series, by year
    city.national_rate      # the country's homicide rate per 100,000, by year
    city.tables()           # the city's rows of every tidy table (what the chapter's download links serve)

    python -m citycases.load export [--dest book/_static/data]   # write every city's rows as CSV
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import paths, schema, settings
from .cities import load_cities
from .errors import DataError
from .sources import Source, load_registry

# Aliases: the national-rate indicator and the headline governance indicators are set in citycases/settings.py.
NATIONAL_RATE = settings.NATIONAL_RATE
GOVERNANCE_HEADLINE = settings.GOVERNANCE_HEADLINE
TABLES = list(schema.TABLES)
# The tables a City is built from (every tidy table but the small-area panel, which only the evaluations
# notebook reads: at 2.7 MB it is the largest table, and no chapter needs it).
CITY_TABLES = ["homicides_annual", "homicides_monthly", "homicides_subcity", "indicators", "indicators_monthly",
               "events", "country_context", "indicator_definitions", "breaks", "periods", "differences"]


# --------------------------------------------------------------------------- tidy tables
def _dtypes(table: str) -> dict:
    out = {}
    for f in schema.TABLES[table]["fields"]:
        out[f["name"]] = {"integer": "Int64", "number": "Float64"}.get(f["type"], "string")
    return out


@lru_cache(maxsize=64)
def _read(path: str, mtime: float, table: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=_dtypes(table), keep_default_na=False, na_values=[""], encoding="utf-8")
    except (ValueError, TypeError, pd.errors.ParserError):
        # a malformed committed table (e.g. 'NaN' in an integer column): the data check names the line and field
        from .derive._check import check_committed_table
        tidy = Path(path).parent
        check_committed_table(table, tidy)  # raises a DataError naming file, line, field and fix
        raise DataError(path, f"table {table}: not readable with the schema's column types",
                        fix="run `make data-check` to find the line, or `make data` to re-derive it") from None
    missing = [c for c in schema.columns(table) if c not in df.columns]
    if missing:
        raise DataError(path, f"table {table}: missing column(s) {missing}",
                        fix="re-derive the tidy tables with `make data`")
    return df[schema.columns(table)]


def read_table(table: str, tidy: Path | None = None) -> pd.DataFrame:
    """One tidy table with the schema's column types (a copy: callers may modify it)."""
    if table not in schema.TABLES:
        raise KeyError(f"unknown table {table!r}; tables are {TABLES}")
    path = Path(tidy or paths.TIDY) / f"{table}.csv"
    if not path.exists():
        raise DataError(path, f"tidy table {table} not found", fix="derive the tables with `make data`")
    return _read(str(path), path.stat().st_mtime, table).copy()


def read_tables(tidy: Path | None = None, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Several tidy tables by name (default: every table)."""
    return {t: read_table(t, tidy) for t in (TABLES if tables is None else tables)}


# --------------------------------------------------------------------------- one city
@dataclass
class City:
    """A city's registry entry and its rows of every tidy table."""
    slug: str
    name: str
    entry: dict
    index: int                      # position in the registry: fixes the city's colour book-wide
    annual: pd.DataFrame            # homicides_annual rows of every series
    monthly: pd.DataFrame
    subcity: pd.DataFrame
    indicators: pd.DataFrame        # the city's own indicators (long)
    events: pd.DataFrame
    country: pd.DataFrame           # country_context rows of the city's country
    definitions: pd.DataFrame       # indicator_definitions (all)
    breaks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=schema.columns("breaks")))
    periods: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=schema.columns("periods")))
    differences: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=schema.columns("differences")))
    indicators_monthly: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=schema.columns("indicators_monthly")))
    sources: dict = field(default_factory=dict, repr=False)   # the source registry, by id

    # ---- registry shortcuts
    @property
    def country_code(self) -> str:
        return self.entry["country"]

    @property
    def country_name(self) -> str:
        return self.entry["country_name"]

    @property
    def primary_series(self) -> str:
        return self.entry["primary_series"]

    @property
    def comparable_series(self) -> str:
        """The series set beside other cities and the country (data/cities.yml `comparable:`)."""
        return self.entry["comparable"]["series"]

    @property
    def like_for_like(self) -> bool:
        return bool(self.entry["comparable"]["like_for_like"])

    @property
    def comparable_note(self) -> str | None:
        """One phrase on how the comparable series differs from intentional homicide, or None."""
        return None if self.like_for_like else self.entry["comparable"].get("note")

    @property
    def comparable(self) -> pd.DataFrame:
        return self.series_rows(self.comparable_series)

    def series_label(self, series: str) -> str:
        s = self.entry["series"].get(series)
        return s["label"] if s else series

    def series_definition(self, series: str) -> str:
        s = self.entry["series"].get(series)
        return s["definition"] if s else ""

    @property
    def series_ids(self) -> list[str]:
        """Series with rows, primary first, then in registry order, then any others present."""
        present = list(dict.fromkeys(self.annual["series"].dropna()))
        order = [self.primary_series] + [s for s in self.entry["series"] if s != self.primary_series]
        return [s for s in order if s in present] + [s for s in present if s not in order]

    def source(self, source_id) -> Source | None:
        if source_id is None or pd.isna(source_id):
            return None
        return self.sources.get(str(source_id))

    # ---- rows
    def series_rows(self, series: str | None = None) -> pd.DataFrame:
        s = series or self.primary_series
        return self.annual[self.annual["series"] == s].sort_values("year").reset_index(drop=True)

    @property
    def primary(self) -> pd.DataFrame:
        return self.series_rows(self.primary_series)

    def monthly_rows(self, series: str | None = None) -> pd.DataFrame:
        """Monthly rows of one series: the requested one, else the primary if it has monthly rows, else the
        series with most months."""
        m = self.monthly
        if m.empty:
            return m.copy()
        if series is None:
            counts = m["series"].value_counts()
            series = self.primary_series if self.primary_series in counts.index else counts.index[0]
        return m[m["series"] == series].sort_values("month").reset_index(drop=True)

    @property
    def monthly_series_ids(self) -> list[str]:
        present = list(dict.fromkeys(self.monthly["series"].dropna()))
        return sorted(present, key=lambda s: (s != self.primary_series, s))

    def country_indicator(self, indicator: str) -> pd.DataFrame:
        c = self.country
        return c[c["indicator"] == indicator].sort_values("year").reset_index(drop=True)

    @property
    def national_rate(self) -> pd.DataFrame:
        """The country's homicide rate per 100,000: columns year, value, source_id."""
        return self.country_indicator(NATIONAL_RATE)[["year", "value", "source_id"]]

    def definition(self, indicator: str) -> dict:
        d = self.definitions[self.definitions["indicator"] == indicator]
        if d.empty:
            return {"indicator": indicator, "label": indicator, "definition": "", "unit": "", "scope": ""}
        return d.iloc[0].to_dict()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The city's rows of every tidy table (country_context: its country's rows; indicator_definitions:
        the definitions of the indicators present)."""
        used = (set(self.indicators["indicator"]) | set(self.indicators_monthly["indicator"])
                | set(self.country["indicator"]))
        return {
            "homicides_annual": self.annual,
            "homicides_monthly": self.monthly,
            "homicides_subcity": self.subcity,
            "indicators": self.indicators,
            "indicators_monthly": self.indicators_monthly,
            "country_context": self.country,
            "indicator_definitions": self.definitions[self.definitions["indicator"].isin(used)]
            .reset_index(drop=True),
            "events": self.events,
            "breaks": self.breaks,
            "periods": self.periods,
            "differences": self.differences,
        }

    def breaks_of(self, series: str, kinds=None) -> pd.DataFrame:
        """Breaks that apply to one series (its own and the city's 'all' rows), optionally of some kinds."""
        b = self.breaks[self.breaks["series"].isin([series, "all"])]
        if kinds is not None:
            b = b[b["kind"].isin(list(kinds))]
        return b.sort_values("date").reset_index(drop=True)


def _city_from(entry: dict, index: int, t: dict[str, pd.DataFrame], registry: dict) -> City:
    slug = entry["slug"]

    def rows(table, col="city", key=slug):
        df = t[table]
        return df[df[col] == key].reset_index(drop=True)

    return City(
        slug=slug, name=entry["name"], entry=entry, index=index,
        annual=rows("homicides_annual"), monthly=rows("homicides_monthly"), subcity=rows("homicides_subcity"),
        indicators=rows("indicators"), events=rows("events").sort_values("date").reset_index(drop=True),
        country=rows("country_context", "country", entry["country"]),
        definitions=t["indicator_definitions"].reset_index(drop=True),
        breaks=rows("breaks").sort_values("date").reset_index(drop=True),
        periods=rows("periods").sort_values("start").reset_index(drop=True),
        differences=rows("differences").sort_values(["years", "series"]).reset_index(drop=True),
        indicators_monthly=rows("indicators_monthly").sort_values(["indicator", "month"]).reset_index(drop=True),
        sources=registry,
    )


def load_city(slug: str, *, tidy: Path | None = None) -> City:
    """The city's registry entry and its rows of every tidy table."""
    cities = load_cities()
    for i, entry in enumerate(cities):
        if entry["slug"] == slug:
            return _city_from(entry, i, read_tables(tidy, CITY_TABLES), load_registry())
    raise DataError(paths.CITIES_FILE, f"unknown city slug '{slug}'", field="slug",
                    fix=f"use one of: {', '.join(c['slug'] for c in cities)}")


def load_all(*, tidy: Path | None = None) -> list[City]:
    """Every city in registry order."""
    t = read_tables(tidy, CITY_TABLES)
    reg = load_registry()
    return [_city_from(e, i, t, reg) for i, e in enumerate(load_cities())]


# --------------------------------------------------------------------------- export for readers
def export_city_tables(city: City | str, dest: Path) -> list[Path]:
    """Write the city's rows of every non-empty tidy table to dest/<table>.csv (the files the chapter's
    'Data and citation' section links to). Returns the files written."""
    from .derive import to_csv_text
    from .files import atomic_write

    if isinstance(city, str):
        city = load_city(city)
    dest = Path(dest)
    written = []
    for table, df in city.tables().items():
        target = dest / f"{table}.csv"
        if df.empty:
            if target.exists():
                target.unlink()
            continue
        atomic_write(target, to_csv_text(df, table))
        written.append(target)
    return written


def export_comparison_table(cities: list[City], dest: Path) -> Path:
    """Write the comparison page's headline figures (one row per city) to dest/headline_figures.csv."""
    from . import metrics
    from .files import atomic_write

    t = metrics.comparison_table(cities)
    target = Path(dest) / "headline_figures.csv"
    atomic_write(target, t.to_csv(index=False, lineterminator="\n", float_format="%.3f"))
    return target


def export_path(slug: str, root: Path | None = None) -> Path:
    """Where a city's CSV files live in the book source: book/_static/data/<slug>/."""
    return Path(root or paths.BOOK) / "_static" / "data" / slug


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.load")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="write each city's tidy rows to <dest>/<slug>/<table>.csv")
    ex.add_argument("--dest", default=str(paths.BOOK / "_static" / "data"))
    ex.add_argument("--city", action="append", help="only these slugs (default: every city)")
    args = ap.parse_args(argv)
    try:
        cities = load_all()
        for c in cities:
            if args.city and c.slug not in args.city:
                continue
            files = export_city_tables(c, Path(args.dest) / c.slug)
            print(f"{c.slug}: {len(files)} tables -> {Path(args.dest) / c.slug}")
        if not args.city:
            print(f"comparison: {export_comparison_table(cities, Path(args.dest) / 'comparison')}")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
