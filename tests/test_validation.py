"""Bad input reaching the tidy-table validator gives one actionable error line and writes nothing.

All tables below are HAND-MADE TEST INPUTS (tiny, labelled), never book data.
"""
from __future__ import annotations

import pandas as pd
import pytest

from citycases import derive
from citycases.errors import DataError

CITIES = [{"slug": "testville", "series": {"police": {"label": "x", "definition": "hand-made test series"}},
           "primary_series": "police", "derive": {}}]


class FakeSource:
    id = "test_source"


REGISTRY = {"test_source": FakeSource()}


def annual(**overrides):
    """A hand-made two-year annual table for one fictitious city; overrides replace columns."""
    df = pd.DataFrame({
        "city": ["testville", "testville"], "year": [2001, 2002], "series": ["police", "police"],
        "homicides": [10, 12], "population": [100000, 100000], "unit": ["municipality"] * 2,
        "source_id": ["test_source"] * 2, "population_source_id": ["test_source"] * 2,
        "status": ["final", "final"],
    })
    for k, v in overrides.items():
        df[k] = v
    return df


def check(df, table="homicides_annual"):
    return derive.validate_table(df, table, registry=REGISTRY, cities=CITIES, file="data/tidy/x.csv")


def test_valid_table_gets_rates():
    out = check(annual())
    assert list(out["homicide_rate"]) == [10.0, 12.0]


@pytest.mark.parametrize("overrides, message, field", [
    ({"homicides": ["10", "many"]}, "not a number: 'many'", "homicides"),
    ({"homicides": [10, -3]}, "negative count", "homicides"),
    ({"year": [2001, 2001]}, "duplicate key", "city/series/year"),
    ({"year": [2001, 2099]}, "outside the plausible range", "year"),
    ({"population": [100000, 0]}, "population 0 is not positive", "population"),
    ({"source_id": ["test_source", "nowhere"]}, "unknown source id 'nowhere'", "source_id"),
    ({"city": ["testville", "atlantis"]}, "unknown city slug 'atlantis'", "city"),
    ({"homicide_rate": [10.0, 50.0]}, "inconsistent with 12 homicides", "homicide_rate"),
    ({"series": ["police", "rumour"]}, "series 'rumour'", "series"),
    ({"status": ["final", "maybe"]}, "is not one of", "status"),
])
def test_bad_annual_rows_are_named(overrides, message, field):
    with pytest.raises(DataError) as err:
        check(annual(**overrides))
    text = str(err.value)
    assert message in text
    assert "data/tidy/x.csv, row 3" in text  # the second data row is row 3 of the CSV
    assert f"field '{field}'" in text
    assert "\n" not in text


def test_missing_and_extra_columns():
    with pytest.raises(DataError, match="missing required column 'homicides'"):
        check(annual().drop(columns=["homicides"]))
    with pytest.raises(DataError, match=r"unexpected column\(s\) \['victims'\]"):
        check(annual(victims=[1, 2]))


def test_malformed_month_and_event_date():
    monthly = pd.DataFrame({"city": ["testville"], "month": ["2020-13"], "homicides": [1],
                            "series": ["police"], "source_id": ["test_source"]})
    with pytest.raises(DataError, match="malformed value '2020-13'"):
        check(monthly, "homicides_monthly")
    events = pd.DataFrame({"city": ["testville"], "date": ["2010-02-30x"], "category": ["policing"],
                           "title": ["hand-made event"], "source_id": ["test_source"], "citation": [""],
                           "citation_url": [""]})
    with pytest.raises(DataError, match="field 'date'"):
        check(events, "events")


def test_event_files_need_a_source(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "testville.csv").write_text(
        "date,category,title,source_id,citation,citation_url\n2010-01-01,policing,hand-made event,,,\n",
        encoding="utf-8")
    with pytest.raises(DataError, match="line 2, field 'source_id': event has no source"):
        derive.load_events(REGISTRY, CITIES, folder=folder)


def test_failed_derivation_writes_nothing(tmp_path, monkeypatch):
    """A step whose rows are bad must leave every output file untouched."""
    out = tmp_path / "tidy"
    out.mkdir()
    sentinel = out / "homicides_annual.csv"
    sentinel.write_text("previous content\n", encoding="utf-8")

    class BadStep:
        SERIES_IDS = ["police"]

        @staticmethod
        def derive(ctx):
            return {"homicides_annual": annual(homicides=[10, -1])}

    monkeypatch.setattr(derive, "step_names", lambda: ["bad"])
    monkeypatch.setattr(derive, "load_step", lambda name: BadStep)
    monkeypatch.setattr(derive, "load_cities", lambda: CITIES)
    monkeypatch.setattr(derive, "load_registry", lambda: REGISTRY)
    with pytest.raises(DataError, match="negative count"):
        derive.derive_all(out_dir=out)
    assert sentinel.read_text(encoding="utf-8") == "previous content\n"
    assert sorted(p.name for p in out.iterdir()) == ["homicides_annual.csv"]
    assert not (tmp_path / "datapackage.json").exists()


def test_atomic_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "t.csv"
    derive.atomic_write(target, "a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_atomic_write_respects_the_umask(tmp_path):
    import os
    old = os.umask(0o022)
    try:
        derive.atomic_write(tmp_path / "t.csv", "a\n")
        os.umask(0o027)
        derive.atomic_write(tmp_path / "u.csv", "a\n")
    finally:
        os.umask(old)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o644   # not mkstemp's 0600
    assert (tmp_path / "u.csv").stat().st_mode & 0o777 == 0o640


def test_first_bad_names_the_first_true_row():
    from citycases.checks import first_bad
    assert first_bad(pd.Series([False, True, True], index=[5, 7, 9])) == 7
    assert first_bad(pd.Series([False, False])) is None
    assert first_bad(pd.Series([pd.NA, True], dtype="boolean")) == 1   # missing is not bad
    assert first_bad(pd.Series([], dtype=bool)) is None


def monthly(**overrides):
    """A hand-made two-month table for the fictitious city."""
    df = pd.DataFrame({"city": ["testville"] * 2, "series": ["police"] * 2, "month": ["2020-01", "2020-02"],
                       "homicides": [3, 4], "source_id": ["test_source"] * 2})
    for k, v in overrides.items():
        df[k] = v
    return df


def test_duplicate_month_is_named():
    assert len(check(monthly(), "homicides_monthly")) == 2
    with pytest.raises(DataError) as err:
        check(monthly(month=["2020-01", "2020-01"]), "homicides_monthly")
    text = str(err.value)
    assert "data/tidy/x.csv, row 3, field 'city/series/month'" in text and "duplicate key" in text
    assert "month=2020-01" in text and "\n" not in text


def test_renamed_column_names_both_sides():
    with pytest.raises(DataError) as err:
        check(annual().rename(columns={"homicides": "victims"}))
    text = str(err.value)
    assert "unexpected column(s) ['victims']" in text and "['homicides'] missing (renamed?)" in text


def test_event_date_must_exist_in_the_calendar():
    events = pd.DataFrame({"city": ["testville"] * 2, "date": ["2010-02-28", "2010-02-30"],
                           "category": ["policing"] * 2, "title": ["hand-made event", "another hand-made event"],
                           "source_id": ["test_source"] * 2, "citation": [""] * 2, "citation_url": [""] * 2})
    with pytest.raises(DataError, match=r"line 3, field 'date': table events: '2010-02-30' is not a date"):
        check(events, "events")
