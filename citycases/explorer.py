"""The data behind the explorer page (book/explorer.md): every city's annual series, as one script file.

    python -m citycases.explorer [--dest book/_static/data/explorer-data.js]

Built from the tidy table homicides_annual and the city and source registries at build time (`make downloads`),
never committed. The page runs in the reader's browser with no server, also from `file://`, where a fetch() of a
JSON file is refused; so the data is a script that sets `window.CITYCASES_EXPLORER = {...}` and the page loads it
with a <script> tag. book/_static/explorer.js draws the chart and builds the CSV of the current view from it.

Layout (compact: one array per row, the city and series given by id and described once):

    {"cities":  [{"slug", "name", "colour", "chapter", "main", "comparable", "like_for_like", "comparable_note",
                  "series": [{"id", "label", "main", "comparable"}]}],   # registry order, main series first
     "sources": {"<source_id>": {"producer", "title"}},                  # every source a row names
     "fields":  ["city", "series", "year", "homicides", ...],             # FIELDS, the order of each row
     "rows":    [["medellin", "police", 1990, 5000, ...], ...],           # one per row of homicides_annual
     "chart":   {"config", "width", "height", "dashes", "legend_limit"}}  # the book's chart look (charts.py)

Rows are every row of homicides_annual for the registry's cities, in registry order, then series order, then year;
missing values are null. The text is JSON (sorted keys, no raw "<", ">" or "&"), the same bytes on every build.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataError

# The columns of each row, as in homicides_annual (homicide_rate shortened to rate).
FIELDS = ["city", "series", "year", "homicides", "population", "rate", "rate_ci_low", "rate_ci_high", "unit",
          "source_id", "population_source_id", "status"]
_COLUMNS = {"rate": "homicide_rate"}
GLOBAL_NAME = "CITYCASES_EXPLORER"
RATE_DECIMALS = 3  # as in the tidy table


def default_dest(root: Path | None = None) -> Path:
    return Path(root or paths.BOOK) / "_static" / "data" / "explorer-data.js"


def _value(v, field: str):
    """A JSON value: None for missing, int for counts and years, rounded float for rates, str otherwise."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if field in {"year", "homicides", "population"}:
        return int(v)
    if field in {"rate", "rate_ci_low", "rate_ci_high"}:
        return round(float(v), RATE_DECIMALS)
    return str(v)


def explorer_data(cities, registry: dict | None = None) -> dict:
    """The explorer's data from City objects (citycases.load.City) and the source registry (id -> Source)."""
    from .charts import ALT_DASHES, HEIGHT, LEGEND_LIMIT, WIDTH, _theme, city_colour

    out_cities, rows, used_sources = [], [], []
    for city in cities:
        series_ids = city.series_ids
        out_cities.append({
            "slug": city.slug,
            "name": city.name,
            "colour": city_colour(city),
            "chapter": f"cities/{city.slug}.html",
            "main": city.primary_series,
            "comparable": city.comparable_series,
            "like_for_like": city.like_for_like,
            "comparable_note": city.comparable_note,
            "series": [{"id": s, "label": city.series_label(s), "main": s == city.primary_series,
                        "comparable": s == city.comparable_series} for s in series_ids],
        })
        for s in series_ids:
            for rec in city.series_rows(s).to_dict("records"):
                rec["city"] = city.slug
                row = [_value(rec.get(_COLUMNS.get(f, f)), f) for f in FIELDS]
                rows.append(row)
                for key in ("source_id", "population_source_id"):
                    sid = rec.get(key)
                    if isinstance(sid, str) and sid:
                        used_sources.append(sid)
    registry = registry if registry is not None else next((c.sources for c in cities if c.sources), {})
    sources = {}
    for sid in sorted(set(used_sources)):
        s = registry.get(sid)
        sources[sid] = {"producer": s.producer if s else sid, "title": s.title if s else sid}
    # the book's chart look (theme, size, dashes of alternative series), so the explorer draws like the chapters
    chart = {"config": _theme()["config"], "width": WIDTH, "height": HEIGHT, "dashes": ALT_DASHES,
             "legend_limit": LEGEND_LIMIT}
    return {"cities": out_cities, "sources": sources, "fields": FIELDS, "rows": rows, "chart": chart}


def script_text(data: dict) -> str:
    """The JavaScript file: one assignment to window.CITYCASES_EXPLORER."""
    from .display import _script_safe_json

    return (f"// Generated by `python -m citycases.explorer` from data/ (do not edit; not committed).\n"
            f"window.{GLOBAL_NAME} = {_script_safe_json(data)};\n")


def write(dest: Path | None = None, *, tidy: Path | None = None) -> Path:
    from .files import atomic_write
    from .load import load_all

    dest = Path(dest) if dest else default_dest()
    cities = load_all(tidy=tidy)
    atomic_write(dest, script_text(explorer_data(cities)))
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.explorer",
                                 description="write the explorer page's data (a script setting "
                                             f"window.{GLOBAL_NAME})")
    ap.add_argument("--dest", default=str(default_dest()))
    args = ap.parse_args(argv)
    try:
        print(f"explorer data -> {write(Path(args.dest))}")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
