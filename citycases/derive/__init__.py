"""Derivation: raw source files -> validated tidy tables in data/tidy/ (+ datapackage.json).

Each module in this package (other than this one and those starting with `_`) is one step for one
source family. A step defines

    SOURCES = ["source_id", ...]          # registry ids it reads
    SERIES_IDS = ["police", ...]          # series ids it may write (homicide tables only)
    def derive(ctx) -> dict[str, pandas.DataFrame]

returning rows for any of the tables in citycases.schema.TABLES (events come from data/events/).
Steps that cover many places read their parameters from data/cities.yml through
`ctx.cities_for(step_name)`, so adding a city covered by a source is a registry entry, not new code.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .. import schema, settings
from ..checks import first_bad
from ..files import atomic_write  # noqa: F401  (derive.atomic_write: its old home)
from . import _params
from ..cities import counts_only, load_cities
from ..errors import DataError
from ..intervals import rate_interval
from ..paths import BREAKS, DATA, DIFFERENCES, EVENTS, PERIODS, TIDY, sources_dir
from ..sources import Source, load_registry, raw_path, resolve_source


@dataclass
class Context:
    sources_root: Path
    registry: dict[str, Source]
    cities: list[dict]

    def source(self, source_id: str) -> Source:
        return resolve_source(source_id, self.registry, file="derivation step")

    def raw(self, source_id: str, rel_path: str) -> Path:
        """Path to a raw file, after checking it is listed in the registry and its sha256 matches."""
        return raw_path(self.source(source_id), rel_path, root=self.sources_root)

    def cities_for(self, step: str) -> list[tuple[dict, dict]]:
        """(city, parameters) for every city whose `derive:` block names this step."""
        return [(c, c["derive"][step] or {}) for c in self.cities if step in c["derive"]]

    def countries(self) -> list[str]:
        return sorted({c["country"] for c in self.cities})


def step_names() -> list[str]:
    pkg_dir = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(pkg_dir)]) if not m.name.startswith("_"))


def load_step(name: str):
    return importlib.import_module(f"{__name__}.{name}")


# --------------------------------------------------------------------------- validation
# Columns of homicides_annual that validation computes from the count and the population (never taken as given).
COMPUTED = ("homicide_rate", "rate_ci_low", "rate_ci_high")

def _coerce(df: pd.DataFrame, table: str, file: str) -> pd.DataFrame:
    spec = schema.TABLES[table]
    names = schema.columns(table)
    extra = [c for c in df.columns if c not in names]
    if extra:
        missing = [f["name"] for f in spec["fields"] if f["required"] and f["name"] not in df.columns
                   and not (table == "homicides_annual" and f["name"] in COMPUTED)]
        also = f" and required column(s) {missing} missing (renamed?)" if missing else ""
        raise DataError(file, f"table {table}: unexpected column(s) {extra}{also}", fix=f"columns are {names}")
    df = df.copy()
    for f in spec["fields"]:
        n = f["name"]
        if n not in df.columns:
            if f["required"] and not (table == "homicides_annual" and n in COMPUTED):
                raise DataError(file, f"table {table}: missing required column '{n}'")
            df[n] = pd.NA
    df = df[names].reset_index(drop=True)
    for f in spec["fields"]:
        n, t = f["name"], f["type"]
        col = df[n]
        if t in ("integer", "number"):
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            i = first_bad(bad)
            if i is not None:
                raise DataError(file, f"table {table}: not a number: {col[i]!r}", row=i + 2, field=n)
            if t == "integer":
                frac = num.notna() & (num != num.round())
                i = first_bad(frac)
                if i is not None:
                    raise DataError(file, f"table {table}: not a whole number: {num[i]!r}", row=i + 2, field=n)
                df[n] = num.round().astype("Int64")
            else:
                df[n] = num.astype("Float64")
        else:
            df[n] = col.astype("string").str.strip().replace("", pd.NA)
    return df


def _file_lines(validate):
    """Hand-written tables (schema.HAND_TABLES) are validated straight from their file, rows in file order: their
    errors name the line an editor shows (header = line 1), not a row."""
    @functools.wraps(validate)
    def wrapper(df, table, **kw):
        try:
            return validate(df, table, **kw)
        except DataError as exc:
            if table not in schema.HAND_TABLES or exc.row is None:
                raise
            raise DataError(exc.file, exc.problem, line=exc.row, field=exc.field, fix=exc.fix) from None
    return wrapper


@_file_lines
def validate_table(df: pd.DataFrame, table: str, *, registry: dict, cities: list[dict], file: str,
                   indicator_ids: dict[str, set] | None = None) -> pd.DataFrame:
    """Coerce types, then check required fields, constraints, keys and references. Returns sorted rows."""
    spec = schema.TABLES[table]
    df = _coerce(df, table, file)
    if table == "homicides_annual":
        computed = (df["homicides"].astype("Float64") / df["population"].astype("Float64") * 1e5)
        given = df["homicide_rate"]
        both = given.notna() & computed.notna()
        diff = (given - computed).abs()
        bad = both & (diff > 0.05 + 0.01 * given.abs())
        i = first_bad(bad)
        if i is not None:
            raise DataError(file, f"rate {given[i]} inconsistent with {df['homicides'][i]} homicides / population "
                                  f"{df['population'][i]} (= {computed[i]:.3f})", row=i + 2, field="homicide_rate")
        orphan = given.notna() & df["population"].isna()
        i = first_bad(orphan)
        if i is not None:
            raise DataError(file, "rate given without a population", row=i + 2, field="homicide_rate",
                            fix="record the population the rate was computed with, or leave the rate empty")
        df["homicide_rate"] = computed.round(3)
        low, high = [], []
        for k, pop in zip(df["homicides"], df["population"]):
            # invalid counts and populations are reported by the checks below
            ci = ((pd.NA, pd.NA) if pd.isna(k) or k < 0 or pd.isna(pop) or pop <= 0
                  else rate_interval(int(k), float(pop)))
            low.append(ci[0])
            high.append(ci[1])
        df["rate_ci_low"] = pd.array(low, dtype="Float64").round(3)
        df["rate_ci_high"] = pd.array(high, dtype="Float64").round(3)
        zero = df["population"].notna() & (df["population"] <= 0)
        i = first_bad(zero)
        if i is not None:
            raise DataError(file, f"population {df['population'][i]} is not positive", row=i + 2, field="population")
    for f in spec["fields"]:
        n, cons = f["name"], f.get("constraints", {})
        col = df[n]
        if f["required"]:
            miss = col.isna()
            i = first_bad(miss)
            if i is not None:
                raise DataError(file, f"table {table}: empty required field", row=i + 2, field=n)
        present = col.notna()
        if "minimum" in cons:
            bad = present & (col < cons["minimum"])
            i = first_bad(bad)
            if i is not None:
                what = "negative count" if cons["minimum"] == 0 else "value below the minimum"
                raise DataError(file, f"table {table}: {what} {col[i]} (minimum {cons['minimum']})",
                                row=i + 2, field=n)
        if "maximum" in cons:
            bad = present & (col > cons["maximum"])
            i = first_bad(bad)
            if i is not None:
                raise DataError(file, f"table {table}: {col[i]} outside the plausible range (maximum "
                                      f"{cons['maximum']})", row=i + 2, field=n)
        if "enum" in cons:
            bad = present & ~col.isin(cons["enum"])
            i = first_bad(bad)
            if i is not None:
                raise DataError(file, f"table {table}: {col[i]!r} is not one of {cons['enum']}", row=i + 2, field=n)
        if "pattern" in cons:
            bad = present & ~col.astype("string").str.fullmatch(cons["pattern"]).fillna(False)
            i = first_bad(bad)
            if i is not None:
                raise DataError(file, f"table {table}: malformed value {col[i]!r}", row=i + 2, field=n,
                                fix=f"write it as {f['description']}")
        if "maxLength" in cons:
            bad = present & (col.astype("string").str.len() > cons["maxLength"])
            i = first_bad(bad)
            if i is not None:
                raise DataError(file, f"table {table}: {col[i]!r} is longer than {cons['maxLength']} characters",
                                row=i + 2, field=n, fix="shorten it")
    for n in ("date", "start", "end"):  # the pattern lets 2010-02-30 through: a date must exist in the calendar
        if table in schema.HAND_TABLES and n in df.columns:
            for i, d in df[n].items():
                if pd.notna(d) and len(d) == 10:
                    try:
                        date.fromisoformat(d)
                    except ValueError:
                        raise DataError(file, f"table {table}: {d!r} is not a date in the calendar", row=i + 2,
                                        field=n, fix="check the day and month against the cited page; write "
                                                     "YYYY-MM or YYYY when the day is not known") from None
    if table == "periods":
        for i, (s, e) in df[["start", "end"]].iterrows():
            if pd.notna(e) and period_bounds(e)[1] <= period_bounds(s)[0]:
                raise DataError(file, f"period ends ({e}) before it starts ({s})", row=i + 2, field="end")
    key = spec["primary_key"]
    dup = df.duplicated(subset=key)
    i = first_bad(dup)
    if i is not None:
        vals = ", ".join(f"{k}={df.loc[i, k]}" for k in key)
        raise DataError(file, f"table {table}: duplicate key ({vals})", row=i + 2, field="/".join(key))
    slugs = {c["slug"]: c for c in cities}
    if "city" in df.columns:
        bad = ~df["city"].isin(list(slugs))
        i = first_bad(bad)
        if i is not None:
            raise DataError(file, f"table {table}: unknown city slug '{df['city'][i]}'", row=i + 2, field="city",
                            fix="add the city to data/cities.yml")
    for n in ("source_id", "population_source_id"):
        if n in df.columns:
            for i, sid in df[n].items():
                if pd.notna(sid):
                    resolve_source(sid, registry, file=file, row=i + 2, field=n)
    if table in ("breaks", "differences"):
        for i, (city, series) in df[["city", "series"]].iterrows():
            # a break may also concern one of the city's indicators (checked against them in derive_all)
            if table == "breaks" and series != "all" and series not in slugs[city]["series"] and \
                    re.fullmatch(r"[a-z0-9_]+", str(series)) and indicator_ids is None:
                continue
            known = slugs[city]["series"] if table == "differences" else \
                list(slugs[city]["series"]) + sorted((indicator_ids or {}).get(city, set()))
            if series != "all" and series not in known:
                raise DataError(file, f"series '{series}' of city '{city}' is not described in data/cities.yml",
                                row=i + 2, field="series", fix="name one of the city's series"
                                + (", one of its indicators, or 'all'" if table == "breaks" else ""))
    if table == "homicides_annual":
        for i, (city, series) in df[["city", "series"]].iterrows():
            if series not in slugs[city]["series"]:
                raise DataError(file, f"series '{series}' of city '{city}' is not described in data/cities.yml",
                                row=i + 2, field="series", fix="add it under the city's series: block")
    return df.sort_values(key, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- hand-written tables
def period_bounds(d: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of a date as precise as it is known: YYYY, YYYY-MM or YYYY-MM-DD."""
    d = str(d)
    if len(d) == 4:
        return pd.Timestamp(int(d), 1, 1), pd.Timestamp(int(d) + 1, 1, 1)
    if len(d) == 7:
        s = pd.Timestamp(d + "-01")
        return s, s + pd.offsets.MonthBegin(1)
    s = pd.Timestamp(d)
    return s, s + pd.Timedelta(days=1)


def _rel(path: Path) -> str:
    return os.path.relpath(path, DATA.parent) if path.is_relative_to(DATA.parent) else str(path)


def _read_hand_file(path: Path, table: str, columns: list[str]) -> pd.DataFrame:
    """A hand-written CSV: exact columns, every row sourced (a registry id or a citation URL)."""
    rel = _rel(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(df.columns) != columns:
        raise DataError(rel, f"columns must be exactly {columns}; found {list(df.columns)}")
    for i, r in df.iterrows():
        if not r.get("source_id") and not r["citation_url"]:
            raise DataError(rel, f"{table[:-1]} has no source", line=i + 2, field="source_id",
                            fix="give a source_id from data/sources/ or a citation and the citation_url of a page "
                                "that states it")
        if r["citation_url"] and not r["citation_url"].startswith(("http://", "https://")):
            raise DataError(rel, f"citation_url is not a URL: {r['citation_url']!r}", line=i + 2, field="citation_url",
                            fix="give the full address, starting with https://")
    return df


def _load_per_city(table: str, columns: list[str], registry: dict, cities: list[dict], folder: Path) -> pd.DataFrame:
    frames = []
    slugs = {c["slug"] for c in cities}
    for path in sorted(folder.glob("*.csv")):
        rel = _rel(path)
        if path.stem not in slugs:
            raise DataError(rel, f"{table[:-1]} file for unknown city '{path.stem}'",
                            fix="name it <slug>.csv after data/cities.yml")
        df = _read_hand_file(path, table, columns)
        df.insert(0, "city", path.stem)
        frames.append(validate_table(df, table, registry=registry, cities=cities, file=rel))
    if not frames:
        return pd.DataFrame(columns=schema.columns(table))
    return pd.concat(frames, ignore_index=True)


def load_events(registry: dict, cities: list[dict], folder: Path = EVENTS) -> pd.DataFrame:
    """Hand-curated event files data/events/<slug>.csv, each row sourced."""
    return _load_per_city("events", schema.EVENT_COLUMNS, registry, cities, folder)


def load_periods(registry: dict, cities: list[dict], folder: Path = PERIODS) -> pd.DataFrame:
    """Hand-curated context periods data/periods/<slug>.csv, each row sourced."""
    return _load_per_city("periods", schema.PERIOD_COLUMNS, registry, cities, folder)


def load_differences(registry: dict, cities: list[dict], path: Path = DIFFERENCES) -> pd.DataFrame:
    """Hand-written explanations of differences with published figures, data/differences.csv."""
    if not path.exists():
        return pd.DataFrame(columns=schema.columns("differences"))
    df = _read_hand_file(path, "differences", schema.DIFFERENCE_COLUMNS)
    return validate_table(df, "differences", registry=registry, cities=cities, file=_rel(path))


def load_breaks(registry: dict, cities: list[dict], path: Path = BREAKS,
                indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hand-curated series breaks data/breaks.csv (all cities in one file), each row sourced. `series` names
    a series of the city, 'all', or (given the indicators table) one of the city's indicators."""
    if not path.exists():
        return pd.DataFrame(columns=schema.columns("breaks"))
    df = _read_hand_file(path, "breaks", schema.BREAK_COLUMNS)
    ids = None if indicators is None else indicators.groupby("city")["indicator"].agg(set).to_dict()
    return validate_table(df, "breaks", registry=registry, cities=cities, file=_rel(path), indicator_ids=ids)


# --------------------------------------------------------------------------- writing
def _format(df: pd.DataFrame, table: str) -> pd.DataFrame:
    out = df.copy()
    for f in schema.TABLES[table]["fields"]:
        n = f["name"]
        if f["type"] == "number":
            d = f.get("decimals", 4)
            out[n] = [("" if pd.isna(v) else (f"{float(v):.{d}f}".rstrip("0").rstrip(".") or "0")) for v in out[n]]
            out[n] = out[n].replace("-0", "0")
        elif f["type"] == "integer":
            out[n] = ["" if pd.isna(v) else str(int(v)) for v in out[n]]
        else:
            out[n] = ["" if pd.isna(v) else str(v) for v in out[n]]
    return out


def to_csv_text(df: pd.DataFrame, table: str) -> str:
    return _format(df, table).to_csv(index=False, lineterminator="\n")


def datapackage(tables: dict[str, pd.DataFrame], registry: dict[str, Source]) -> dict:
    used = set()
    for df in tables.values():
        for n in ("source_id", "population_source_id"):
            if n in df.columns:
                used |= set(df[n].dropna())
    resources = []
    for name, spec in schema.TABLES.items():
        fields = []
        for f in spec["fields"]:
            fd = {"name": f["name"], "type": f["type"], "description": f["description"]}
            cons = dict(f.get("constraints", {}))
            if f["required"]:
                cons["required"] = True
            if cons:
                fd["constraints"] = cons
            fields.append(fd)
        resources.append({
            "name": name.replace("_", "-"), "path": f"tidy/{name}.csv", "profile": "tabular-data-resource",
            "title": spec["title"], "description": spec["description"], "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": spec["primary_key"], "missingValues": [""]},
        })
    sources = [{"title": f"{s.producer}: {s.title}", "path": s.url_main, "id": s.id,
                "download": s.url_download, "licence": s.licence, "accessed": s.date_accessed}
               for sid, s in sorted(registry.items()) if sid in used]
    return {
        "profile": "tabular-data-package",
        "name": "citycases",
        "title": "citycases: violence and local governance in comparable city case studies",
        "description": "Tidy tables derived from public sources by citycases/derive; see data/README.md.",
        "licenses": [{"name": "see-sources", "title": "Each source keeps its own licence; see sources"}],
        "sources": sources,
        "resources": resources,
    }


def derive_all(*, sources_root: Path | None = None, out_dir: Path = TIDY, steps: list[str] | None = None,
               write: bool = True) -> dict[str, pd.DataFrame]:
    """Run every step, validate every table, and only then write them all (atomically, one by one)."""
    registry = load_registry()
    cities = load_cities()
    ctx = Context(sources_dir(sources_root), registry, cities)
    available = step_names()
    for c in cities if steps is None else []:  # subset runs (development) skip steps not yet written
        for step in c["derive"]:
            if step not in available:
                raise DataError("data/cities.yml", f"city '{c['slug']}' names derivation step '{step}', which "
                                                   f"does not exist", field="derive",
                                fix=f"use one of {available} or add citycases/derive/{step}.py")
    _params.check_all(cities, available, load_step)  # a misspelt key is named before any step runs
    selected = steps or available
    for name in selected:
        if name not in available:
            raise DataError("citycases/derive", f"unknown step '{name}'", fix=f"use one of {available}")
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in schema.TABLES if t not in schema.HAND_TABLES}
    for name in selected:
        mod = load_step(name)
        result = mod.derive(ctx)
        declared = getattr(mod, "SERIES_IDS", [])
        for table, df in result.items():
            if table not in parts:
                raise DataError(f"citycases/derive/{name}.py", f"returned unknown table '{table}'")
            if table in ("homicides_annual", "homicides_monthly") and df is not None and len(df):
                undeclared = sorted(set(df["series"]) - set(declared))
                if undeclared:
                    raise DataError(f"citycases/derive/{name}.py", f"writes series {undeclared} not listed in "
                                                                   f"SERIES_IDS", field="SERIES_IDS",
                                    fix="list every series id the step writes in its SERIES_IDS")
            if df is not None and len(df):
                parts[table].append(df)
    tables: dict[str, pd.DataFrame] = {}
    for table, frames in parts.items():
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=schema.columns(table))
        tables[table] = validate_table(df, table, registry=registry, cities=cities, file=f"data/tidy/{table}.csv")
    tables["events"] = load_events(registry, cities)
    tables["periods"] = load_periods(registry, cities)
    # With a subset of steps, a break may name an indicator that those steps do not produce.
    tables["breaks"] = load_breaks(registry, cities, indicators=tables["indicators"] if steps is None else None)
    tables["differences"] = load_differences(registry, cities)
    # With a subset of steps, only cities fully derived by that subset can be checked for coverage.
    check_coverage(tables, [c for c in cities if set(c["derive"]) <= set(selected)])
    if write:
        texts = {t: to_csv_text(df, t) for t, df in tables.items()}
        for t, text in texts.items():
            atomic_write(out_dir / f"{t}.csv", text)
        atomic_write(out_dir.parent / "datapackage.json",
                     json.dumps(datapackage(tables, registry), indent=2, ensure_ascii=False) + "\n")
    return tables


# A city whose registry entry does not say `population: none` needs this many years with a rate of its primary
# series (a rate needs a population of the same territory as the count); set in citycases/settings.py.
MIN_RATE_YEARS = settings.MIN_RATE_YEARS


def check_coverage(tables: dict[str, pd.DataFrame], cities: list[dict]) -> None:
    """Every city has rows of its primary series, with rates (at least MIN_RATE_YEARS years) unless its entry says
    `population: none` (and then none); every series has rows; every indicator id is defined."""
    annual = tables["homicides_annual"]
    for c in cities:
        rows = annual[(annual["city"] == c["slug"]) & (annual["series"] == c["primary_series"])]
        if rows.empty:
            raise DataError("data/cities.yml", f"city '{c['slug']}' has no rows of its primary series "
                                               f"'{c['primary_series']}' in homicides_annual",
                            fix="implement or fix the derivation step named in its derive: block")
        rated = int(rows["population"].replace("", pd.NA).notna().sum())
        if counts_only(c) and rated:
            raise DataError("data/cities.yml", f"city '{c['slug']}' says population: none, but {rated} year(s) of "
                                               f"its primary series have a population", field="population",
                            fix="remove `population: none` from its entry: the chapter can give rates")
        if not counts_only(c) and rated < MIN_RATE_YEARS:
            raise DataError("data/cities.yml", f"city '{c['slug']}': only {rated} year(s) of its primary series "
                                               f"'{c['primary_series']}' have a population, so fewer than "
                                               f"{MIN_RATE_YEARS} years have a rate", field="population",
                            fix="add the population of the same territory to its derivation step; if no source "
                                "publishes one, write `population: none` in its entry: a counts-only chapter "
                                "(CONTRIBUTING.md)")
    monthly = tables["homicides_monthly"]
    for c in cities:
        for series in c["series"]:
            found = ((annual["city"] == c["slug"]) & (annual["series"] == series)).any() or (
                (monthly["city"] == c["slug"]) & (monthly["series"] == series)).any()
            if not found:
                raise DataError("data/cities.yml", f"series '{series}' of city '{c['slug']}' has no source: no "
                                                   f"derivation step produced rows for it", field="series",
                                fix="name the step that derives it in the city's derive: block, or remove the series")
    defined = set(tables["indicator_definitions"]["indicator"])
    for t in ("indicators", "indicators_monthly", "country_context"):
        if t not in tables:      # a check of some tables only (tests of hand-made tables)
            continue
        undefined = sorted(set(tables[t]["indicator"]) - defined)
        if undefined:
            raise DataError(f"data/tidy/{t}.csv", f"indicator id(s) without a definition: {undefined}",
                            fix="return an indicator_definitions row from the step that derives them")


def first_difference(new_lines: list[str], old_lines: list[str]) -> tuple[int, str, str] | None:
    """(line number, committed line, derived line) of the first line where two texts differ, or None."""
    if new_lines == old_lines:
        return None
    i = next((k for k, (a, b) in enumerate(zip(new_lines, old_lines)) if a != b),
             min(len(new_lines), len(old_lines)))
    got = new_lines[i] if i < len(new_lines) else "<end of file>"
    had = old_lines[i] if i < len(old_lines) else "<end of file>"
    return i + 1, had, got


def compare_with_committed(out_dir: Path, committed_dir: Path = TIDY) -> list[str]:
    """Differences between freshly derived tables and the committed ones, one sentence per file."""
    problems = []
    for table in schema.TABLES:
        new, old = out_dir / f"{table}.csv", committed_dir / f"{table}.csv"
        new_lines = new.read_text(encoding="utf-8").splitlines()
        old_lines = old.read_text(encoding="utf-8").splitlines() if old.exists() else []
        diff = first_difference(new_lines, old_lines)
        if diff:
            line, had, got = diff
            problems.append(f"data/tidy/{table}.csv, line {line}: committed {had!r}, derivation gives {got!r} "
                            f"(fix: run `make data` and commit data/tidy, or fix the step)")
    for name in ("datapackage.json",):
        if (out_dir.parent / name).read_bytes() != (committed_dir.parent / name).read_bytes():
            problems.append(f"data/{name} differs from a fresh derivation (fix: run `make data` and commit it)")
    return problems
