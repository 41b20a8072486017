"""The city registry (data/cities.yml): one entry per city drives derivation, notebooks, toc and tests."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from .errors import DataError
from .prose import prose_fields, typed_figures
from .paths import CITIES_FILE

CITY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "name", "country", "country_name", "unit", "territory", "primary_series",
                 "primary_series_reason", "population_note", "series", "comparable", "comparability", "derive"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "name": {"type": "string", "minLength": 2},
        "country": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "country_name": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "minLength": 3},
        "territory": {"type": "string", "minLength": 3},
        "primary_series": {"type": "string"},
        "primary_series_reason": {"type": "string", "minLength": 10},
        "population_note": {"type": "string", "minLength": 10},
        # `population: none`: no source publishes a population for the city's territory, so its chapter gives
        # counts without rates (a counts-only city; CONTRIBUTING.md). Without it, rates are expected.
        "population": {"enum": ["none"]},
        "series": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["label", "definition"],
                # measure: what one unit of the series counts, in words used in chart and text ("police
                # notices of murder or manslaughter"); default "homicides" (SERIES_MEASURE_DEFAULT).
                "properties": {"label": {"type": "string"}, "definition": {"type": "string", "minLength": 10},
                               "measure": {"type": "string", "minLength": 3}},
            },
        },
        # The series set beside other cities and the country, and how it differs from the UNODC/ICCS
        # definition of intentional homicide (police killings, attempts, feminicide, territory).
        "comparable": {
            "type": "object",
            "additionalProperties": False,
            "required": ["series", "like_for_like", "includes", "excludes"],
            "properties": {
                "series": {"type": "string"},
                "like_for_like": {"type": "boolean"},
                "includes": {"type": "string", "minLength": 10},
                "excludes": {"type": "string", "minLength": 5},
                "note": {"type": "string", "minLength": 10},
            },
            "if": {"properties": {"like_for_like": {"const": False}}},
            "then": {"required": ["note"]},
        },
        "comparability": {"type": "string", "minLength": 20},
        "caveats": {"type": "array", "items": {"type": "string"}},
        "derive": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "object"},
        },
    },
}


def _todos(value, where: str = "") -> list[str]:
    """Dotted paths of every string still left as a scaffold 'TODO' placeholder, in file order."""
    if isinstance(value, str):
        return [where] if value.lstrip().startswith("TODO") else []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found: list[str] = []
    for k, v in items:
        found += _todos(v, f"{where}.{k}" if where else str(k))
    return found


def counts_only(city: dict) -> bool:
    """The registry says no source publishes a population for the city (`population: none`)."""
    return city.get("population") == "none"


SERIES_MEASURE_DEFAULT = "homicides"


def series_measure(city: dict, series: str) -> str:
    """What one unit of a series counts, lower case and plural ("homicides" unless the registry says)."""
    s = city.get("series", {}).get(series) or {}
    return s.get("measure") or SERIES_MEASURE_DEFAULT


def validate_cities(raw, path: Path) -> list[dict]:
    if not isinstance(raw, dict) or not isinstance(raw.get("cities"), list) or not raw["cities"]:
        raise DataError(path, "expected a top-level 'cities:' list with at least one city")
    validator = jsonschema.Draft202012Validator(CITY_SCHEMA)
    seen = set()
    for i, city in enumerate(raw["cities"], start=1):
        slug = city.get("slug", f"#{i}") if isinstance(city, dict) else f"#{i}"
        errors = sorted(validator.iter_errors(city), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            field = ".".join(str(p) for p in e.path) or None
            raise DataError(path, f"city '{slug}': {e.message}", field=field,
                            fix="compare with another city's entry and CONTRIBUTING.md")
        todos = _todos(city)
        if todos:  # all of them at once: one run of the check tells the contributor everything left to fill
            what = (f"field '{todos[0]}' still says TODO" if len(todos) == 1 else
                    f"{len(todos)} fields still say TODO: {', '.join(repr(t) for t in todos)}")
            raise DataError(path, f"city '{slug}': {what}", field=todos[0],
                            fix="fill them in (CONTRIBUTING.md explains each field)" if len(todos) > 1 else
                            "fill it in (CONTRIBUTING.md explains each field)")
        for field, text in prose_fields(city):
            figures = typed_figures(text)
            if figures:
                raise DataError(path, f"city '{slug}': field '{field}' types the figure(s) {figures}", field=field,
                                fix="describe without the figure: chapters compute figures from the tidy tables "
                                    "(years, dates and named codes such as 'DANE code 05001' are fine)")
        if slug in seen:
            raise DataError(path, f"city '{slug}' is listed twice", field="slug")
        seen.add(slug)
        if city["primary_series"] not in city["series"]:
            raise DataError(path, f"city '{slug}': primary_series '{city['primary_series']}' is not described "
                                  f"under series:", field="primary_series",
                            fix="add it under series: with a label and a definition")
        if city["comparable"]["series"] not in city["series"]:
            raise DataError(path, f"city '{slug}': comparable.series '{city['comparable']['series']}' is not "
                                  f"described under series:", field="comparable.series",
                            fix="name one of the city's series (the one closest to the UNODC definition)")
    return raw["cities"]


@lru_cache(maxsize=None)
def _load(path: str) -> tuple:
    p = Path(path)
    try:
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise DataError(p, f"not valid YAML: {exc}".replace("\n", " ")) from None
    return tuple(validate_cities(raw, p))


def load_cities(path: Path | None = None) -> list[dict]:
    """Every city entry, in registry order (which is also the book's order and colour order)."""
    return [dict(c) for c in _load(str(path or CITIES_FILE))]


def get_city(slug: str, path: Path | None = None) -> dict:
    cities = {c["slug"]: c for c in load_cities(path)}
    if slug not in cities:
        raise DataError(path or CITIES_FILE, f"unknown city slug '{slug}'", field="slug",
                        fix=f"use one of: {', '.join(cities)}")
    return cities[slug]
