"""Exact Poisson intervals and rate ratios, checked against published table values and simulated coverage."""
import math

import numpy as np
import pandas as pd
import pytest

from citycases import intervals, metrics
from citycases.paths import TIDY


@pytest.mark.parametrize("k, low, high", [
    # Garwood limits as tabulated (e.g. Ulm 1990, Am J Epidemiol 131:373; Daly 1992): 0 -> (0, 3.689),
    # 1 -> (0.0253, 5.572), 10 -> (4.795, 18.390), 100 -> (81.36, 121.63)
    (0, 0.0, 3.689), (1, 0.0253, 5.572), (10, 4.795, 18.390), (100, 81.36, 121.63),
])
def test_poisson_interval_matches_tabulated_garwood_limits(k, low, high):
    lo, hi = intervals.poisson_interval(k)
    assert lo == pytest.approx(low, abs=5e-3) and hi == pytest.approx(high, abs=5e-3)


def test_poisson_interval_covers_at_least_95_percent():
    rng = np.random.default_rng(0)
    for mean in (0.5, 3.0, 12.0, 40.0):
        ks = rng.poisson(mean, 4000)
        cover = np.mean([lo <= mean <= hi for lo, hi in map(intervals.poisson_interval, ks)])
        assert cover >= 0.945, (mean, cover)


def test_rate_interval_scales_by_population():
    lo, hi = intervals.rate_interval(10, 200_000)
    assert lo == pytest.approx(4.795 / 2, abs=5e-3) and hi == pytest.approx(18.390 / 2, abs=5e-3)
    with pytest.raises(ValueError):
        intervals.rate_interval(3, 0)
    with pytest.raises(ValueError):
        intervals.poisson_interval(-1)


def test_rate_ratio_small_counts_include_no_change_large_counts_do_not():
    small = intervals.change_interval(30, 1, 17, 1)     # a fall of about 43% from 30 to 17 events
    assert small["change"] == pytest.approx(-43.33, abs=0.01)
    assert small["low"] < 0 < small["high"] and small["significant"] is False
    large = intervals.change_interval(3000, 1, 1700, 1)
    assert large["high"] < 0 and large["significant"] is True


def test_rate_ratio_equal_rates_interval_is_symmetric_on_log_scale():
    r = intervals.rate_ratio(50, 1e6, 50, 1e6)
    assert r["ratio"] == 1 and math.log(r["low"]) == pytest.approx(-math.log(r["high"]), rel=1e-9)


def test_change_between_carries_the_interval():
    rows = pd.DataFrame({"year": [2000, 2001], "homicides": [30, 17], "population": [1_000_000, 1_000_000],
                         "homicide_rate": [3.0, 1.7]})   # hand-made test rows
    ch = metrics.change_between(rows, 2000, 2001)
    assert ch["pct"] == pytest.approx(-43.33, abs=0.01) and ch["significant"] is False
    assert ch["low"] < 0 < ch["high"]


def test_committed_annual_table_has_exact_intervals_for_every_rate():
    t = pd.read_csv(TIDY / "homicides_annual.csv")
    with_rate = t[t["homicide_rate"].notna()]
    assert len(with_rate) and with_rate[["rate_ci_low", "rate_ci_high"]].notna().all().all()
    assert t.loc[t["homicide_rate"].isna(), ["rate_ci_low", "rate_ci_high"]].isna().all().all()
    for _, r in with_rate.sample(25, random_state=1).iterrows():
        lo, hi = intervals.rate_interval(int(r["homicides"]), float(r["population"]))
        assert r["rate_ci_low"] == pytest.approx(lo, abs=1e-3) and r["rate_ci_high"] == pytest.approx(hi, abs=1e-3)
        assert r["rate_ci_low"] <= r["homicide_rate"] <= r["rate_ci_high"]
