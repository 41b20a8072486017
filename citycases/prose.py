"""Registry prose must not carry hand-typed figures: chapters compute every figure from the tidy tables.

A number in a registry text is accepted only as a year (1900-2099), the day of a date ("7 April"), or an
identifier named as such ("DANE code 05001", "CISP 42", "NUTS 3", "Tabell 23", "416-bis").
"""
from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![\w.\-/])\d+(?:[.,]\d+)*(?![\w/])")
MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
IDENTIFIER_BEFORE = re.compile(r"(?:\bcode|\bkommun|\bCISP|\bNUTS|\bTabell|\bprovince|\bCounty \(|\bfase)\s*$")
IDENTIFIER_AFTER = re.compile(rf"^(?:\s+(?:{MONTHS})\b|-bis\b|\s+Ore\b)")


def prose_fields(city: dict):
    """(field, text) for every free-text field of a city entry that the chapter prints."""
    for key in ("territory", "primary_series_reason", "population_note", "comparability"):
        yield key, city[key]
    for i, text in enumerate(city.get("caveats", [])):
        yield f"caveats.{i}", text
    for key in ("includes", "excludes", "note"):
        if key in city.get("comparable", {}):
            yield f"comparable.{key}", city["comparable"][key]
    for sid, s in city["series"].items():
        yield f"series.{sid}.definition", s["definition"]


def typed_figures(text: str) -> list[str]:
    """Numbers in text that are neither years, days of a date, nor named identifiers."""
    found = []
    for m in NUMBER.finditer(text):
        value = m.group()
        if re.fullmatch(r"(19|20)\d\d", value):
            continue
        if IDENTIFIER_BEFORE.search(text[:m.start()]) or IDENTIFIER_AFTER.match(text[m.end():]):
            continue
        found.append(value)
    return found
