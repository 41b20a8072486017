"""Seasonality needs counts: no pattern is computed from fewer than metrics.SEASONALITY_MIN_MEAN events a month
on average, and the monthly text and charts name the series' own measure (e.g. police notices), not homicides.

Every frame here is a HAND-MADE TEST INPUT (invented counts chosen to make the answer obvious); none of these
values is data about any real city, and none of them reaches the book.
"""
from __future__ import annotations

import numpy as np
import pytest

from citycases import charts, metrics, text
from citycases.cities import SERIES_MEASURE_DEFAULT, series_measure
from test_metrics import annual, make_city, monthly

NOTICES = "police notices of test incidents"


def seasonal(base: float, bump: float, years: int = 8, seed: int = 3) -> list[int]:
    """Hand-made monthly counts: `base` a month, July `bump` higher every year, small noise."""
    rng = np.random.default_rng(seed)
    months = np.tile(np.arange(12), years)
    counts = base + bump * (months == 6) + rng.integers(-1, 2, months.size) * max(1, base // 20)
    return [max(0, int(c)) for c in counts]


def test_seasonality_refuses_a_low_count_series():
    # About two events a month, with July double: a seasonal ratio would be computed from one or two events.
    m = monthly(seasonal(2, 2))
    assert metrics.monthly_mean(m) < metrics.SEASONALITY_MIN_MEAN
    assert metrics.seasonality(m) is None


def test_seasonality_accepts_a_high_count_series():
    m = monthly(seasonal(60, 30))
    assert metrics.monthly_mean(m) >= metrics.SEASONALITY_MIN_MEAN
    s = metrics.seasonality(m)
    assert s is not None and s["high_month"] == "July" and s["p_value"] < 0.01


def test_threshold_is_on_the_mean_not_on_single_months():
    # Months of nine and eleven alternate: the mean is ten, so the series qualifies.
    m = monthly([9, 11] * 48)
    assert metrics.monthly_mean(m) == pytest.approx(10.0)
    assert metrics.seasonality(m) is not None
    assert metrics.seasonality(monthly([9] * 96)) is None


def _city(counts, measure=None):
    series = {"main": {"label": "Main test series", "definition": "Hand-made test series, annual."},
              "notices": {"label": "Test notices", "definition": "Hand-made test notices, monthly only."}}
    if measure:
        series["notices"]["measure"] = measure
    return make_city(annual_rows=annual({2000: 10, 2001: 12}), monthly_rows=monthly(counts, series="notices"),
                     series=series)


def test_text_says_why_no_seasonality_in_one_sentence():
    c = _city(seasonal(2, 2), measure=NOTICES)
    md = text.monthly_summary(c)
    refusal = [p for p in md.split("\n\n") if p.startswith("No seasonal pattern")]
    assert len(refusal) == 1 and refusal[0].count(". ") == 0 and refusal[0].endswith(".")
    assert NOTICES in refusal[0] and "fewer than 10" in refusal[0]
    assert "too few complete years" not in md
    assert charts.seasonality_chart(c) is None


def test_monthly_text_and_chart_use_the_series_measure():
    c = _city(seasonal(2, 2), measure=NOTICES)
    md = text.monthly_summary(c)
    assert "homicide" not in md.lower()
    assert f"Monthly counts of {NOTICES}" in md
    spec = str(charts.monthly_chart(c).to_dict()).replace("'homicides'", "'<count field>'")  # the column name
    assert "omicide" not in spec                                     # no title, axis, tooltip or text says it
    assert "Police notices of test incidents per month" in spec


def test_measure_defaults_to_homicides():
    c = _city(seasonal(60, 30))
    assert series_measure(c.entry, "notices") == SERIES_MEASURE_DEFAULT == "homicides"
    assert "Monthly counts of homicides" in text.monthly_summary(c)
    assert charts.seasonality_chart(c) is not None


def test_a_tiny_p_value_reads_as_below_a_thousandth():
    # HAND-MADE: July 30 above a base of 60 every year for 20 years: the test's p is far below 0.001
    c = make_city(monthly_rows=monthly(seasonal(60, 30, years=20)))
    out = text.monthly_summary(c)
    assert "p < 0.001" in out and "p = 0.000" not in out
