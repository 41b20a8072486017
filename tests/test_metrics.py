"""Unit tests of citycases.metrics (the claims are tested in tests/test_claims.py).

Every frame here is a HAND-MADE TEST INPUT (small invented numbers chosen to make the expected answer obvious);
none of these values is data about any real city, and none of them reaches the book.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from citycases import metrics
from citycases.load import NATIONAL_RATE, City
from citycases.sources import Source


# --------------------------------------------------------------------------- hand-made test inputs
def annual(values: dict[int, float], *, series="main", city="testville", pop=100_000, unit="municipality",
           source="test_source", status=None) -> pd.DataFrame:
    """Hand-made homicides_annual rows: counts given; population 100,000, so the rate equals the count."""
    rows = []
    for y, h in values.items():
        rows.append({"city": city, "year": y, "series": series, "homicides": h, "population": pop,
                     "homicide_rate": None if pop is None else h * 1e5 / pop, "unit": unit, "source_id": source,
                     "population_source_id": "test_population" if pop else None,
                     "status": (status or {}).get(y, "final")})
    df = pd.DataFrame(rows)
    df["homicide_rate"] = df["homicide_rate"].astype("Float64")
    df["population"] = df["population"].astype("Int64")
    return df


def monthly(counts, start="2000-01", *, series="main", city="testville") -> pd.DataFrame:
    months = pd.period_range(start, periods=len(counts), freq="M").strftime("%Y-%m")
    return pd.DataFrame({"city": city, "month": months, "homicides": counts, "series": series,
                         "source_id": "test_source"})


def subcity(table: dict[int, dict[str, int]], city="testville") -> pd.DataFrame:
    rows = [{"city": city, "year": y, "area_id": a, "area_name": f"Area {a}", "area_type": "district",
             "homicides": h, "source_id": "test_source"} for y, areas in table.items() for a, h in areas.items()]
    return pd.DataFrame(rows)


def empty(cols):
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


TEST_SOURCE = Source(id="test_source", producer="Test producer", title="Hand-made test data",
                     citation="Hand-made test input, not real data", url_main="https://example.org/test",
                     url_download="https://example.org/test.csv", date_accessed="2020-01-01", licence="CC0",
                     files=(), registry_file=None, extra={})


def make_city(*, slug="testville", name="Testville", index=0, annual_rows=None, monthly_rows=None,
              subcity_rows=None, events=None, national=None, country="TST", country_rows=None,
              indicators=None, series=None, comparable=None, like_for_like=True, breaks=None,
              periods=None) -> City:
    """A City object built from hand-made test frames (no files read)."""
    a = annual_rows if annual_rows is not None else annual({2000: 10, 2001: 20, 2002: 5})
    series = series or {s: {"label": f"Series {s}", "definition": f"Hand-made test series {s}."}
                        for s in dict.fromkeys(a["series"])}
    entry = {"slug": slug, "name": name, "country": country, "country_name": "Testland", "unit": "municipality",
             "territory": "Hand-made test territory", "primary_series": next(iter(series)),
             "primary_series_reason": "Hand-made test input.", "population_note": "Hand-made test population.",
             "series": series, "comparable": {"series": comparable or next(iter(series)), "like_for_like": like_for_like,
                                              "includes": "hand-made test homicides", "excludes": "nothing (test)",
                                              "note": "a hand-made test series"},
             "comparability": "Hand-made test input, not real data.", "caveats": ["Test caveat."],
             "derive": {"test": {}}}
    ctx = country_rows if country_rows is not None else empty(["country", "year", "indicator", "value", "unit",
                                                               "source_id"])
    if national is not None:
        nat = pd.DataFrame({"country": country, "year": list(national), "indicator": NATIONAL_RATE,
                            "value": list(national.values()), "unit": "per 100,000", "source_id": "test_source"})
        ctx = pd.concat([ctx, nat], ignore_index=True) if len(ctx) else nat
    ev = events if events is not None else empty(["city", "date", "category", "title", "source_id", "citation",
                                                  "citation_url"])
    defs = pd.DataFrame({"indicator": [NATIONAL_RATE], "label": ["National rate (test)"],
                         "definition": ["Hand-made test indicator."], "unit": ["per 100,000"], "scope": ["country"]})
    return City(slug=slug, name=name, entry=entry, index=index, annual=a,
                monthly=monthly_rows if monthly_rows is not None else empty(["city", "month", "homicides", "series",
                                                                             "source_id"]),
                subcity=subcity_rows if subcity_rows is not None else empty(["city", "year", "area_id", "area_name",
                                                                             "area_type", "homicides", "source_id"]),
                indicators=indicators if indicators is not None else empty(["city", "year", "indicator", "value",
                                                                            "unit", "source_id"]),
                events=ev, country=ctx, definitions=defs, sources={"test_source": TEST_SOURCE},
                **({"breaks": breaks} if breaks is not None else {}),
                **({"periods": periods} if periods is not None else {}))


# --------------------------------------------------------------------------- annual measures
def test_peak_latest_change_and_halving():
    rows = annual({2000: 40, 2001: 100, 2002: 80, 2003: 60, 2004: 50, 2005: 45, 2006: 30})
    assert metrics.peak(rows) == {"year": 2001, "value": 100.0}
    assert metrics.latest(rows)["year"] == 2006 and metrics.latest(rows)["value"] == 30.0
    assert metrics.change_from_peak(rows) == pytest.approx(-70.0)
    # Half of the peak (50) is first reached in 2004: three years after the peak.
    assert metrics.years_to_halve(rows) == {"year": 2004, "years": 3, "value": 50.0}


def test_halving_never_and_ties_and_missing_values():
    rows = annual({2000: 10, 2001: 10, 2002: 8})
    assert metrics.peak(rows)["year"] == 2000          # earliest of tied maxima
    assert metrics.years_to_halve(rows) is None
    no_pop = annual({2000: 10, 2001: 12}, pop=None)
    assert metrics.peak(no_pop, metrics.RATE) is None   # rates missing: no peak rate
    assert metrics.best_measure(no_pop) == metrics.COUNT
    assert metrics.peak(no_pop, metrics.COUNT)["value"] == 12


def test_change_between_and_pct_change():
    rows = annual({2002: 200, 2010: 50, 2014: 30})
    ch = metrics.change_between(rows, 2002, 2014)
    assert ch["pct"] == pytest.approx(-85.0)
    assert metrics.change_between(rows, 2003, 2014) is None
    assert math.isnan(metrics.pct_change(0, 5))


def test_coverage_reports_gaps_and_preliminary_years():
    rows = annual({2000: 1, 2001: 2, 2004: 3, 2005: 4}, status={2005: "preliminary"})
    cov = metrics.coverage(rows)
    assert (cov["first"], cov["last"], cov["years"]) == (2000, 2005, 4)
    assert cov["missing"] == [2002, 2003]
    assert cov["preliminary"] == [2005]


def test_ratio_to_national_uses_common_years():
    rows = annual({2000: 30, 2001: 20, 2002: 10})
    nat = pd.DataFrame({"year": [2001, 2002, 2003], "value": [10.0, 5.0, 4.0]})
    r = metrics.ratio_to_national(rows, nat)
    assert list(r["year"]) == [2001, 2002]
    assert list(r["ratio"]) == [2.0, 2.0]
    assert metrics.latest_ratio(rows, nat)["year"] == 2002


def test_headline_of_a_city():
    c = make_city(annual_rows=annual({2000: 40, 2001: 100, 2002: 50}), national={2000: 10.0, 2002: 25.0})
    h = metrics.headline(c)
    assert h["peak"]["year"] == 2001 and h["halved"]["years"] == 1
    assert h["ratio"]["ratio"] == pytest.approx(2.0)
    assert h["coverage"]["missing"] == []


def test_series_differences_only_compares_same_territory():
    a = pd.concat([annual({2000: 100, 2001: 100}), annual({2000: 110, 2001: 150}, series="other"),
                   annual({2000: 900, 2001: 950}, series="region", unit="region")], ignore_index=True)
    c = make_city(annual_rows=a)
    d = metrics.series_differences(c).set_index("series")
    assert d.loc["other", "mean_diff_pct"] == pytest.approx(30.0)
    assert d.loc["other", "max_abs_diff_pct"] == pytest.approx(50.0) and d.loc["other", "max_year"] == 2001
    assert not d.loc["region", "same_unit"] and pd.isna(d.loc["region", "mean_diff_pct"])


# --------------------------------------------------------------------------- monthly measures
def test_rolling_mean_is_trailing_and_needs_a_full_window():
    r = metrics.rolling_mean(monthly(list(range(1, 25))), 12)
    assert r["rolling_mean"].iloc[:11].isna().all()
    assert r["rolling_mean"].iloc[11] == pytest.approx(6.5)      # mean of 1..12
    assert r["rolling_mean"].iloc[23] == pytest.approx(18.5)     # mean of 13..24


def test_rolling_mean_keeps_gaps_as_gaps():
    m = monthly([5] * 14).drop(index=[3]).reset_index(drop=True)
    r = metrics.rolling_mean(m, 12)
    assert len(r) == 14 and r["homicides"].isna().sum() == 1
    assert r["rolling_mean"].isna().all()                        # no complete window without the gap


def test_sharpest_changes_find_a_step():
    counts = [10] * 36 + [40] * 36                               # a step up after three years
    ch = metrics.sharpest_changes(monthly(counts), n=1)
    rise = ch[ch["kind"] == "rise"].iloc[0]
    assert rise["month"] == pd.Timestamp("2003-12-01")           # the 12 months to Dec 2003 vs the 12 before
    assert rise["change"] == pytest.approx(360.0)
    assert (ch["kind"] == "fall").sum() == 0


def test_seasonality_detects_a_summer_peak():
    rng = np.random.default_rng(1)
    months = np.tile(np.arange(12), 8)
    counts = 100 + 30 * (months == 6) + rng.integers(-3, 4, months.size)   # July is high every year
    s = metrics.seasonality(monthly(list(counts)))
    assert s["high_month"] == "July" and s["p_value"] < 0.01
    assert metrics.seasonality(monthly([5] * 20)) is None                  # too short


# --------------------------------------------------------------------------- segmented regression
def test_segmented_regression_recovers_a_known_break():
    rng = np.random.default_rng(42)
    t = np.arange(2000, 2012, 1 / 12)
    b = 2006.0
    post = t >= b
    y = 50 + 2 * (t - b) + post * (-15 - 3 * (t - b)) + rng.normal(0, 1, t.size)
    fit = metrics.segmented_regression(t, y, b)
    assert fit.level == pytest.approx(-15, abs=1.0) and fit.level_low < -15 < fit.level_high
    assert fit.slope == pytest.approx(-3, abs=0.3) and fit.slope_low < -3 < fit.slope_high
    assert fit.pre_slope == pytest.approx(2, abs=0.3)
    hac = metrics.segmented_regression(t, y, b, hac_lags=12)
    assert hac.cov == "HAC(12)" and hac.level == pytest.approx(fit.level)


def test_segmented_regression_without_a_break_finds_none():
    rng = np.random.default_rng(7)
    t = np.arange(1990, 2010, 1.0)
    y = 10 + 0.5 * (t - 1990) + rng.normal(0, 0.5, t.size)
    fit = metrics.segmented_regression(t, y, 2000.0)
    assert fit.level_low < 0 < fit.level_high and fit.slope_low < 0 < fit.slope_high


def test_segmented_regression_needs_points_on_both_sides():
    with pytest.raises(ValueError):
        metrics.segmented_regression([1, 2, 3, 4], [1, 2, 3, 4], 3.5)


def test_event_interval_precision():
    assert metrics.event_interval("2008") == (pd.Timestamp("2008-01-01"), pd.Timestamp("2009-01-01"))
    assert metrics.event_interval("2008-03") == (pd.Timestamp("2008-03-01"), pd.Timestamp("2008-04-01"))
    assert metrics.event_interval("2008-03-15")[1] == pd.Timestamp("2008-03-16")


def test_event_effects_use_monthly_data_and_skip_context_events():
    t = np.arange(72)
    counts = list((40 - 20 * (t >= 36)).astype(int))              # level drops by 20 at month 36 (Jan 2003)
    events = pd.DataFrame({"city": "testville", "date": ["2003-01-01", "2001-06"],
                           "category": ["policing", "criminal event"], "title": ["Test policing", "Test context"],
                           "source_id": "test_source", "citation": None, "citation_url": None})
    c = make_city(monthly_rows=monthly(counts), events=events)
    eff, fits = metrics.event_effects(c)
    assert list(eff["title"]) == ["Test policing"]
    assert eff.iloc[0]["data"] == "monthly"
    assert eff.iloc[0]["level"] == pytest.approx(-20, abs=1e-6)


def _step_city(**kw):
    """Hand-made monthly counts with a level drop of 20 at January 2003, and one policing event then."""
    t = np.arange(72)
    counts = list((40 - 20 * (t >= 36)).astype(int))
    events = pd.DataFrame({"city": "testville", "date": ["2003-01-01"], "category": ["policing"],
                           "title": ["Test policing"], "source_id": "test_source", "citation": None,
                           "citation_url": None})
    return make_city(monthly_rows=monthly(counts), events=events, **kw)


def hand_breaks(date, kind, series="main"):
    """HAND-MADE TEST INPUT: one break row."""
    return pd.DataFrame({"city": ["testville"], "date": [date], "series": [series], "kind": [kind],
                         "description": ["Hand-made test break."], "source_id": ["test_source"],
                         "citation": [None], "citation_url": [None]})


def test_event_window_across_a_definition_break_is_refused():
    c = _step_city(breaks=hand_breaks("2002-06", "definition"))
    eff, fits = metrics.event_effects(c)
    assert eff.empty and fits == {}
    refused = eff.attrs["refused"]
    assert list(refused["title"]) == ["Test policing"] and refused.iloc[0]["break_kind"] == "definition"
    # the same data without the break gives the estimate
    eff2, _ = metrics.event_effects(_step_city())
    assert len(eff2) == 1 and eff2.attrs["refused"].empty


@pytest.mark.parametrize("date,kind,series", [
    ("2010-01", "definition", "main"),        # outside the window (three years each side)
    ("2002-06", "exceptional_event", "main"),  # not a change of what is counted
    ("2002-06", "population", "main"),         # counts, not rates: the population base does not matter
    ("2002-06", "territory", "other"),         # another series
])
def test_breaks_that_do_not_block_a_window(date, kind, series):
    eff, _ = metrics.event_effects(_step_city(breaks=hand_breaks(date, kind, series)))
    assert len(eff) == 1 and eff.attrs["refused"].empty


def test_all_series_break_blocks_and_is_explained_in_text():
    from citycases import text
    c = _step_city(breaks=hand_breaks("2004", "territory", "all"))
    eff, _ = metrics.event_effects(c)
    assert eff.empty and len(eff.attrs["refused"]) == 1
    out = text.effects_md(c, eff)
    assert "No estimate is made for" in out and "straddle" in out and "territory" in out


def test_interventions_on_the_same_date_share_one_estimate():
    t = np.arange(72)
    counts = list((40 - 20 * (t >= 36)).astype(int))
    events = pd.DataFrame({"city": "testville", "date": ["2003", "2003"], "category": ["policing", "law"],
                           "title": ["Test A", "Test B"], "source_id": "test_source", "citation": None,
                           "citation_url": None})
    eff, fits = metrics.event_effects(make_city(monthly_rows=monthly(counts), events=events))
    assert len(eff) == 1 and len(fits) == 1
    assert eff.iloc[0]["title"] == "Test A; Test B" and eff.iloc[0]["category"] == "policing; law"


# --------------------------------------------------------------------------- concentration
SUB = subcity({2000: {"a": 50, "b": 30, "c": 10, "d": 5, "e": 5},
               2001: {"a": 10, "b": 10, "c": 40, "d": 30, "e": 10}})


def test_top_k_share_and_fixed_set():
    s = metrics.top_k_share(SUB, 2).set_index("year")
    assert s.loc[2000, "share"] == pytest.approx(80.0) and s.loc[2001, "share"] == pytest.approx(70.0)
    f = metrics.fixed_set_share(SUB, 2).set_index("year")          # areas a and b, the top two of 2000
    assert f.loc[2000, "share"] == pytest.approx(80.0) and f.loc[2001, "share"] == pytest.approx(20.0)
    assert metrics.concentration_k(SUB, 0.2) == 1
    assert metrics.concentration_k(SUB, 0.5) == 3


def test_concentration_table_and_areas_needed():
    c = metrics.concentration(SUB, 0.4)
    assert set(c["measure"]) == {"top", "top1", "fixed"} and set(c["k"]) == {2, 1}
    need = metrics.area_share_needed(SUB, 50).set_index("year")
    assert need.loc[2000, "areas_needed"] == 1 and need.loc[2001, "areas_needed"] == 2
    top = metrics.top_areas(SUB, 1)
    assert top.iloc[0]["area_id"] == "a" and top.iloc[0]["share"] == pytest.approx(30.0)


def test_indexed_to_peak():
    idx = metrics.indexed_to_peak(annual({2000: 50, 2001: 200, 2002: 100}))
    assert list(idx["index"]) == [25.0, 100.0, 50.0] and list(idx["since_peak"]) == [-1, 0, 1]
