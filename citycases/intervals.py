"""Exact intervals for counts and rates of rare events (homicides in a year are Poisson-like counts).

- `poisson_interval(k)`: Garwood's exact 95% interval for a Poisson mean given k observed events.
- `rate_interval(k, population)`: the same interval, per 100,000 inhabitants.
- `rate_ratio(k1, p1, k2, p2)`: the ratio of two rates with its exact interval, conditional on the total
  k1 + k2 (the count in period 2 is binomial given the total: Clopper-Pearson on that share, transformed).
"""
from __future__ import annotations

import math

from scipy.stats import beta, chi2

ALPHA = 0.05
PER = 1e5


def poisson_interval(k: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson mean given k events; the lower limit is 0 when k is 0."""
    if k < 0 or k != int(k):
        raise ValueError(f"a count must be a whole number >= 0, got {k!r}")
    k = int(k)
    low = 0.0 if k == 0 else chi2.ppf(alpha / 2, 2 * k) / 2
    high = chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return float(low), float(high)


def rate_interval(k: int, population: float, alpha: float = ALPHA, per: float = PER) -> tuple[float, float]:
    """Exact interval of a rate per `per` inhabitants."""
    if not population or population <= 0:
        raise ValueError(f"population must be positive, got {population!r}")
    low, high = poisson_interval(k, alpha)
    return low / population * per, high / population * per


def rate_ratio(k1: int, p1: float, k2: int, p2: float, alpha: float = ALPHA) -> dict:
    """Rate in period 2 over rate in period 1 (p = person-years or population), with its exact interval.

    `significant` is False when the interval includes 1 (no change distinguishable from chance)."""
    if p1 <= 0 or p2 <= 0:
        raise ValueError("populations must be positive")
    n = int(k1) + int(k2)
    if n == 0:
        return {"ratio": math.nan, "low": math.nan, "high": math.nan, "significant": False}
    # share of the events that fall in period 2, given the total: exact binomial (Clopper-Pearson)
    lo_s = 0.0 if k2 == 0 else float(beta.ppf(alpha / 2, k2, n - k2 + 1))
    hi_s = 1.0 if k2 == n else float(beta.ppf(1 - alpha / 2, k2 + 1, n - k2))
    odds = p1 / p2   # converts the share's odds into a rate ratio
    ratio = (k2 / p2) / (k1 / p1) if k1 > 0 else math.inf
    low = lo_s / (1 - lo_s) * odds
    high = math.inf if hi_s >= 1 else hi_s / (1 - hi_s) * odds
    return {"ratio": ratio, "low": low, "high": high, "significant": bool(low > 1 or high < 1)}


def change_interval(k1: int, p1: float, k2: int, p2: float, alpha: float = ALPHA) -> dict:
    """Percentage change from period 1 to period 2 with its exact interval (from `rate_ratio`)."""
    r = rate_ratio(k1, p1, k2, p2, alpha)
    def pct(x):
        return (x - 1) * 100 if math.isfinite(x) else x
    return {"change": pct(r["ratio"]), "low": pct(r["low"]), "high": pct(r["high"]),
            "significant": r["significant"]}
