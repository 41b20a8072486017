"""Unit tests of citycases.load on HAND-MADE TEST TABLES written to a temporary folder (invented numbers, labelled
as test input, never real data). The city registry is the real one: the test uses its first two slugs."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases import schema
from citycases.cities import load_cities
from citycases.errors import DataError
from citycases.load import NATIONAL_RATE, export_city_tables, load_all, load_city, read_table


@pytest.fixture()
def tidy(tmp_path):
    cities = load_cities()
    a, b = cities[0], cities[1]
    tables = {
        "homicides_annual": [
            {"city": a["slug"], "year": 2001, "series": a["primary_series"], "homicides": 10, "population": 100000,
             "homicide_rate": 10.0, "unit": "test unit", "source_id": "hand_made_test", "status": "final"},
            {"city": a["slug"], "year": 2000, "series": a["primary_series"], "homicides": 20, "population": 100000,
             "homicide_rate": 20.0, "unit": "test unit", "source_id": "hand_made_test", "status": "final"},
            {"city": b["slug"], "year": 2000, "series": b["primary_series"], "homicides": 5, "unit": "test unit",
             "source_id": "hand_made_test", "status": "preliminary"},
        ],
        "homicides_monthly": [{"city": a["slug"], "month": "2000-01", "homicides": 2, "series": a["primary_series"],
                               "source_id": "hand_made_test"}],
        "homicides_subcity": [{"city": b["slug"], "year": 2000, "area_id": "1", "area_name": "Test area",
                               "area_type": "test", "homicides": 3, "source_id": "hand_made_test"}],
        "indicators": [{"city": a["slug"], "year": 2000, "indicator": "test_indicator", "value": 1.5,
                        "unit": "test", "source_id": "hand_made_test"}],
        "country_context": [
            {"country": a["country"], "year": 2000, "indicator": NATIONAL_RATE, "value": 4.0, "unit": "per 100,000",
             "source_id": "hand_made_test"},
            {"country": "ZZZ", "year": 2000, "indicator": NATIONAL_RATE, "value": 9.0, "unit": "per 100,000",
             "source_id": "hand_made_test"}],
        "indicator_definitions": [
            {"indicator": NATIONAL_RATE, "label": "Test rate", "definition": "Hand-made test definition.",
             "unit": "per 100,000", "scope": "country"},
            {"indicator": "test_indicator", "label": "Test indicator", "definition": "Hand-made test definition.",
             "unit": "test", "scope": "city"},
            {"indicator": "unused_indicator", "label": "Unused", "definition": "Hand-made test definition.",
             "unit": "test", "scope": "city"}],
        "events": [{"city": a["slug"], "date": "2000-06", "category": "policing", "title": "Test event",
                    "source_id": "hand_made_test"}],
    }
    for t in schema.TABLES:   # every table, empty where the test has no rows for it
        pd.DataFrame(tables.get(t, []), columns=schema.columns(t)).to_csv(tmp_path / f"{t}.csv", index=False)
    return tmp_path, a, b


def test_load_city_filters_every_table(tidy):
    folder, a, b = tidy
    c = load_city(a["slug"], tidy=folder)
    assert c.name == a["name"] and c.index == 0 and c.entry["country"] == a["country"]
    assert list(c.primary["year"]) == [2000, 2001]                       # sorted by year
    assert str(c.annual["homicides"].dtype) == "Int64" and str(c.annual["homicide_rate"].dtype) == "Float64"
    assert len(c.monthly) == 1 and c.subcity.empty and len(c.indicators) == 1 and len(c.events) == 1
    assert list(c.country["country"].unique()) == [a["country"]]
    assert list(c.national_rate["value"]) == [4.0]
    assert c.definition("test_indicator")["label"] == "Test indicator"
    assert c.definition("no_such")["label"] == "no_such"


def test_tables_hold_only_the_city_and_used_definitions(tidy):
    folder, a, _ = tidy
    t = load_city(a["slug"], tidy=folder).tables()
    # the evaluations' panels (small areas, Colombian capitals) are not part of a chapter's downloads
    assert set(t) == set(schema.TABLES) - {"homicides_area_panel", "homicides_colombia_capitals"}
    assert set(t["indicator_definitions"]["indicator"]) == {NATIONAL_RATE, "test_indicator"}
    for name, df in t.items():
        if "city" in df:
            assert set(df["city"]) <= {a["slug"]}, name


def test_load_all_keeps_registry_order(tidy):
    folder, a, b = tidy
    cities = load_all(tidy=folder)
    assert [c.slug for c in cities] == [c["slug"] for c in load_cities()]
    second = cities[1]
    assert second.slug == b["slug"] and second.index == 1
    assert second.primary["homicide_rate"].isna().all() and len(second.subcity) == 1


def test_export_city_tables_writes_the_city_rows(tidy, tmp_path_factory):
    folder, a, _ = tidy
    dest = tmp_path_factory.mktemp("export")
    (dest / "homicides_subcity.csv").write_text("stale")                   # a table the city no longer has
    files = export_city_tables(load_city(a["slug"], tidy=folder), dest)
    names = {f.name for f in files}
    assert "homicides_annual.csv" in names and "homicides_subcity.csv" not in names
    assert not (dest / "homicides_subcity.csv").exists()
    back = pd.read_csv(dest / "homicides_annual.csv")
    assert list(back.columns) == schema.columns("homicides_annual") and set(back["city"]) == {a["slug"]}


def test_errors_are_one_line_and_actionable(tidy, tmp_path_factory):
    folder, _, _ = tidy
    with pytest.raises(DataError, match="unknown city slug"):
        load_city("no-such-city", tidy=folder)
    with pytest.raises(DataError, match="not found"):
        read_table("events", tidy=tmp_path_factory.mktemp("empty"))
    with pytest.raises(KeyError):
        read_table("no_such_table", tidy=folder)
