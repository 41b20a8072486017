"""The book's measures, computed the same way for every city; each one is a small tested function.

Annual functions take rows of homicides_annual (one series) and a measure column ("homicide_rate" or
"homicides"); monthly functions take rows of homicides_monthly; concentration takes homicides_subcity.
Missing values are skipped, never filled.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import numpy as np
import pandas as pd

from . import intervals, settings

RATE = "homicide_rate"
COUNT = "homicides"
# Event categories treated as interventions (estimated before/after); set in citycases/settings.py.
INTERVENTION_CATEGORIES = settings.INTERVENTION_CATEGORIES


# --------------------------------------------------------------------------- annual series
def values(rows: pd.DataFrame, measure: str = RATE) -> pd.Series:
    """year -> value (float), missing values dropped, sorted by year."""
    if rows is None or rows.empty or measure not in rows:
        return pd.Series(dtype=float, name=measure)
    s = rows[["year", measure]].dropna()
    return pd.Series(s[measure].astype(float).to_numpy(), index=s["year"].astype(int).to_numpy(),
                     name=measure).sort_index()


def best_measure(rows: pd.DataFrame) -> str:
    """The rate where the series has rates, else counts."""
    return RATE if len(values(rows, RATE)) else COUNT


def peak(rows: pd.DataFrame, measure: str = RATE) -> dict | None:
    """Highest value and its year (the earliest such year on ties)."""
    v = values(rows, measure)
    if v.empty:
        return None
    y = int(v.idxmax())
    return {"year": y, "value": float(v.loc[y])}


def latest(rows: pd.DataFrame, measure: str = RATE) -> dict | None:
    v = values(rows, measure)
    if v.empty:
        return None
    y = int(v.index.max())
    status = None
    if "status" in rows:
        st = rows.loc[rows["year"] == y, "status"].dropna()
        status = str(st.iloc[0]) if len(st) else None
    return {"year": y, "value": float(v.loc[y]), "status": status}


def pct_change(a: float, b: float) -> float:
    """Percentage change from a to b; NaN when a is zero or missing."""
    if a is None or b is None or pd.isna(a) or pd.isna(b) or a == 0:
        return float("nan")
    return (float(b) - float(a)) / float(a) * 100.0


def change_from_peak(rows: pd.DataFrame, measure: str = RATE) -> float:
    """Latest value relative to the peak, in % (negative = lower than the peak)."""
    p, last = peak(rows, measure), latest(rows, measure)
    if p is None:
        return float("nan")
    return pct_change(p["value"], last["value"])


def count_and_base(rows: pd.DataFrame, year: int, measure: str = RATE) -> tuple[int, float] | None:
    """(homicides, population) of one year; the base is 1 when the measure is a count."""
    r = rows[rows["year"] == year]
    if r.empty or pd.isna(r[COUNT].iloc[0]):
        return None
    if measure == COUNT:
        return int(r[COUNT].iloc[0]), 1.0
    pop = r["population"].iloc[0] if "population" in r else None
    if pop is None or pd.isna(pop) or pop <= 0:
        return None
    return int(r[COUNT].iloc[0]), float(pop)


def change_between(rows: pd.DataFrame, start: int, end: int, measure: str = RATE) -> dict | None:
    """Values in two years and the % change, with its exact 95% interval (`low`, `high`, `significant`: the
    interval excludes no change); None when either year is missing."""
    v = values(rows, measure)
    if start not in v.index or end not in v.index:
        return None
    out = {"start": int(start), "end": int(end), "start_value": float(v.loc[start]),
           "end_value": float(v.loc[end]), "pct": pct_change(v.loc[start], v.loc[end]),
           "low": float("nan"), "high": float("nan"), "significant": None}
    a, b = count_and_base(rows, start, measure), count_and_base(rows, end, measure)
    if a and b:
        ci = intervals.change_interval(a[0], a[1], b[0], b[1])
        out.update(low=ci["low"], high=ci["high"], significant=ci["significant"])
    return out


def stored_rate_interval(rows: pd.DataFrame, year: int) -> tuple[float, float] | None:
    """The stored exact 95% interval of one year's rate."""
    r = rows[rows["year"] == year]
    if r.empty or "rate_ci_low" not in r or pd.isna(r["rate_ci_low"].iloc[0]):
        return None
    return float(r["rate_ci_low"].iloc[0]), float(r["rate_ci_high"].iloc[0])


def years_to_halve(rows: pd.DataFrame, measure: str = RATE) -> dict | None:
    """First year after the peak whose value is at most half the peak, and how many years that took.
    None if the series never fell to half its peak (within the years observed)."""
    p = peak(rows, measure)
    if p is None:
        return None
    v = values(rows, measure)
    after = v[(v.index > p["year"]) & (v <= p["value"] / 2)]
    if after.empty:
        return None
    y = int(after.index.min())
    return {"year": y, "years": y - p["year"], "value": float(after.loc[y])}


def coverage(rows: pd.DataFrame, measure: str = COUNT) -> dict | None:
    """First and last year with a value, the number of years, and the years missing in between."""
    v = values(rows, measure)
    if v.empty:
        return None
    first, last = int(v.index.min()), int(v.index.max())
    missing = sorted(set(range(first, last + 1)) - set(int(y) for y in v.index))
    prelim = []
    if "status" in rows:
        prelim = sorted(int(y) for y in rows.loc[rows["status"] == "preliminary", "year"].dropna())
    return {"first": first, "last": last, "years": len(v), "missing": missing, "preliminary": prelim}


def ratio_to_national(rows: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """Per year with both: city rate, national rate, and their ratio."""
    c = values(rows, RATE)
    n = values(national.rename(columns={"value": RATE}), RATE) if national is not None else pd.Series(dtype=float)
    both = pd.DataFrame({"city": c, "national": n}).dropna()
    both = both[both["national"] > 0]
    both["ratio"] = both["city"] / both["national"]
    both.index.name = "year"
    return both.reset_index()


def latest_ratio(rows: pd.DataFrame, national: pd.DataFrame) -> dict | None:
    r = ratio_to_national(rows, national)
    if r.empty:
        return None
    last = r.iloc[-1]
    return {"year": int(last["year"]), "city": float(last["city"]), "national": float(last["national"]),
            "ratio": float(last["ratio"])}


def headline(city, series: str | None = None) -> dict:
    """The 'at a glance' figures of one series (default: the primary; rates where available, else counts).

    The ratio to the national rate always uses the city's comparable series: the national rate counts all
    intentional homicides, so only the series closest to that definition is set beside it."""
    rows = city.series_rows(series or city.primary_series)
    m = best_measure(rows)
    p, last = peak(rows, m), latest(rows, m)
    comparable = city.comparable
    return {
        "measure": m,
        "peak": p,
        "latest": last,
        "change_from_peak": pct_change(p["value"], last["value"]) if p else float("nan"),
        "change": change_between(rows, p["year"], last["year"], m) if p else None,
        "halved": years_to_halve(rows, m),
        "ratio": (latest_ratio(comparable, city.national_rate) if best_measure(comparable) == RATE else None),
        "coverage": coverage(rows, COUNT),
    }


# --------------------------------------------------------------------------- series that disagree
def series_unit(rows: pd.DataFrame) -> str | None:
    """The territory a series counts (its most common `unit`)."""
    if rows is None or rows.empty or "unit" not in rows:
        return None
    u = rows["unit"].dropna()
    return str(u.mode().iloc[0]) if len(u) else None


def series_differences(city) -> pd.DataFrame:
    """For each alternative series: its territory, the years it shares with the primary series, and how far its
    counts differ there (only when both count the same territory). Columns: series, unit, same_unit, first,
    last, years, mean_diff_pct, max_abs_diff_pct, max_year."""
    cols = ["series", "unit", "same_unit", "first", "last", "years", "mean_diff_pct", "max_abs_diff_pct", "max_year"]
    prim = values(city.primary, COUNT)
    prim_unit = series_unit(city.primary)
    out = []
    for s in city.series_ids:
        if s == city.primary_series:
            continue
        rows = city.series_rows(s)
        unit = series_unit(rows)
        same = unit == prim_unit
        alt = values(rows, COUNT)
        both = pd.DataFrame({"p": prim, "a": alt}).dropna()
        both = both[both["p"] > 0]
        row = {"series": s, "unit": unit, "same_unit": same, "first": None, "last": None, "years": 0,
               "mean_diff_pct": np.nan, "max_abs_diff_pct": np.nan, "max_year": None}
        if not both.empty:
            row.update(first=int(both.index.min()), last=int(both.index.max()), years=len(both))
            if same:
                d = (both["a"] - both["p"]) / both["p"] * 100
                y = int(d.abs().idxmax())
                row.update(mean_diff_pct=float(d.mean()), max_abs_diff_pct=float(d.loc[y]), max_year=y)
        out.append(row)
    return pd.DataFrame(out, columns=cols)


def series_comparison_table(city) -> pd.DataFrame:
    """Year by series: homicide counts side by side (only years where at least two series have counts)."""
    if len(city.series_ids) < 2:
        return pd.DataFrame()
    wide = city.annual.pivot_table(index="year", columns="series", values=COUNT, aggfunc="first")
    wide = wide[[s for s in city.series_ids if s in wide.columns]]
    wide = wide[wide.notna().sum(axis=1) >= 2]
    return wide


# --------------------------------------------------------------------------- monthly series
def monthly_values(monthly: pd.DataFrame) -> pd.Series:
    """month (Timestamp, first day) -> count, on a complete monthly index (gaps are NaN)."""
    if monthly is None or monthly.empty:
        return pd.Series(dtype=float)
    s = pd.Series(monthly[COUNT].astype(float).to_numpy(),
                  index=pd.to_datetime(monthly["month"].astype(str) + "-01")).sort_index()
    full = pd.date_range(s.index.min(), s.index.max(), freq="MS")
    return s.reindex(full)


def rolling_mean(monthly: pd.DataFrame, window: int = 12) -> pd.DataFrame:
    """Monthly counts with the trailing `window`-month mean (defined only where the window is complete)."""
    s = monthly_values(monthly)
    out = pd.DataFrame({"month": s.index, COUNT: s.to_numpy()})
    out["rolling_mean"] = s.rolling(window, min_periods=window).mean().to_numpy()
    return out


def sharpest_changes(monthly: pd.DataFrame, n: int = 3, window: int = 12) -> pd.DataFrame:
    """The n sharpest rises and n sharpest falls: homicides in the `window` months to a month compared with
    the `window` months before. Picks are at least `window` months apart so one episode counts once.
    Columns: kind (rise/fall), month, total, previous, change, pct, and the exact 95% interval of the % change
    (low, high; significant: the interval excludes no change)."""
    s = monthly_values(monthly)
    if s.dropna().size < 2 * window:
        return pd.DataFrame(columns=["kind", "month", "total", "previous", "change", "pct", "low", "high",
                                     "significant"])
    total = s.rolling(window, min_periods=window).sum()
    prev = total.shift(window)
    change = (total - prev).dropna()
    rows = []
    for kind, ordered in (("rise", change.sort_values(ascending=False)),
                          ("fall", change.sort_values(ascending=True))):
        picked = []
        for m, v in ordered.items():
            if (kind == "rise" and v <= 0) or (kind == "fall" and v >= 0):
                break
            if all(abs((m.year - p.year) * 12 + m.month - p.month) >= window for p in picked):
                picked.append(m)
                ci = intervals.change_interval(int(prev[m]), 1.0, int(total[m]), 1.0)
                rows.append({"kind": kind, "month": m, "total": float(total[m]), "previous": float(prev[m]),
                             "change": float(v), "pct": pct_change(prev[m], total[m]),
                             "low": ci["low"], "high": ci["high"], "significant": ci["significant"]})
            if len(picked) == n:
                break
    return pd.DataFrame(rows, columns=["kind", "month", "total", "previous", "change", "pct", "low", "high",
                                       "significant"])


# A seasonal pattern is not estimated from a series averaging fewer events a month (citycases/settings.py).
SEASONALITY_MIN_MEAN = settings.SEASONALITY_MIN_MEAN


def monthly_mean(monthly: pd.DataFrame) -> float | None:
    """Mean count per month over the months with data (None without data)."""
    s = monthly_values(monthly).dropna()
    return float(s.mean()) if s.size else None


def seasonality(monthly: pd.DataFrame) -> dict | None:
    """Each calendar month's count relative to the centred 12-month average (2x12 moving average), averaged
    over the years, with a Kruskal-Wallis test of whether the months differ. None with < 3 complete years,
    or when the series averages fewer than SEASONALITY_MIN_MEAN events a month.
    Returns {"table": DataFrame(month_num, month, ratio, low, high, n), "p_value", "years",
             "high_month", "low_month"}."""
    from scipy import stats

    s = monthly_values(monthly)
    if s.dropna().size < 36:
        return None
    if s.dropna().mean() < settings.SEASONALITY_MIN_MEAN:
        return None
    trend = s.rolling(12, center=True, min_periods=12).mean().rolling(2, min_periods=2).mean().shift(-1)
    ratio = (s / trend).replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.size < 24:
        return None
    df = pd.DataFrame({"m": ratio.index.month, "r": ratio.to_numpy()})
    groups = [g["r"].to_numpy() for _, g in df.groupby("m") if len(g) >= 2]
    if len(groups) < 12:
        return None
    p = float(stats.kruskal(*groups).pvalue)
    rows = []
    for m, g in df.groupby("m"):
        r = g["r"].to_numpy()
        se = r.std(ddof=1) / math.sqrt(len(r)) if len(r) > 1 else np.nan
        t = stats.t.ppf(0.975, len(r) - 1) if len(r) > 1 else np.nan
        rows.append({"month_num": int(m), "month": pd.Timestamp(2000, int(m), 1).strftime("%B"),
                     "ratio": float(r.mean()), "low": float(r.mean() - t * se), "high": float(r.mean() + t * se),
                     "n": len(r)})
    table = pd.DataFrame(rows)
    return {"table": table, "p_value": p, "years": int(ratio.index.year.nunique()),
            "high_month": table.loc[table["ratio"].idxmax(), "month"],
            "low_month": table.loc[table["ratio"].idxmin(), "month"]}


# --------------------------------------------------------------------------- before/after an event
def decimal_year(ts) -> float:
    ts = pd.Timestamp(ts)
    start = pd.Timestamp(ts.year, 1, 1)
    days = (pd.Timestamp(ts.year + 1, 1, 1) - start).days
    return ts.year + (ts - start).days / days


def event_interval(date: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of an event date as precise as it is known: YYYY, YYYY-MM or YYYY-MM-DD."""
    d = str(date)
    if len(d) == 4:
        s = pd.Timestamp(int(d), 1, 1)
        return s, pd.Timestamp(int(d) + 1, 1, 1)
    if len(d) == 7:
        s = pd.Timestamp(d + "-01")
        return s, s + pd.offsets.MonthBegin(1)
    s = pd.Timestamp(d)
    return s, s + pd.Timedelta(days=1)


@dataclass
class SegmentedFit:
    """y = b0 + b1*(t - break) + level*post + slope*(t - break)*post, t in years, fitted by OLS."""
    break_t: float
    n_before: int
    n_after: int
    level: float
    level_low: float
    level_high: float
    slope: float            # change in slope, per year
    slope_low: float
    slope_high: float
    pre_slope: float
    end_diff: float         # fitted minus pre-trend projection at the last observation
    end_diff_low: float
    end_diff_high: float
    r2: float
    cov: str                # "nonrobust" or "HAC(k)"
    fitted: pd.DataFrame    # t, y, fitted, counterfactual, post

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("fitted")
        return d


def segmented_regression(t, y, break_t: float, *, alpha: float = 0.05, hac_lags: int | None = None) -> SegmentedFit:
    """Interrupted time series by OLS with a change in level and in slope at break_t.

    t: times in (decimal) years; y: values. Observations at or after break_t are 'after'. With hac_lags,
    standard errors are Newey-West (HAC) with that many lags (for monthly data). The estimate describes an
    association between the date and a change in the series, not its cause.
    """
    import statsmodels.api as sm

    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(t) & ~np.isnan(y)
    t, y = t[ok], y[ok]
    post = (t >= break_t).astype(float)
    tc = t - break_t
    X = np.column_stack([np.ones_like(t), tc, post, tc * post])
    n_before, n_after = int((post == 0).sum()), int((post == 1).sum())
    if n_before < 3 or n_after < 3:
        raise ValueError(f"need at least 3 observations on each side of the break (have {n_before} and {n_after})")
    model = sm.OLS(y, X)
    if hac_lags:
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})
        cov = f"HAC({hac_lags})"
    else:
        res = model.fit()
        cov = "nonrobust"
    ci = np.asarray(res.conf_int(alpha))
    params = np.asarray(res.params)
    t_end = float(t.max() - break_t)
    ct = res.t_test(np.array([[0, 0, 1, t_end]]))
    ct_ci = np.asarray(ct.conf_int(alpha)).ravel()
    fitted = pd.DataFrame({"t": t, "y": y, "fitted": np.asarray(res.fittedvalues),
                           "counterfactual": params[0] + params[1] * tc, "post": post.astype(bool)})
    return SegmentedFit(
        break_t=float(break_t), n_before=n_before, n_after=n_after,
        level=float(params[2]), level_low=float(ci[2, 0]), level_high=float(ci[2, 1]),
        slope=float(params[3]), slope_low=float(ci[3, 0]), slope_high=float(ci[3, 1]),
        pre_slope=float(params[1]),
        end_diff=float(np.asarray(ct.effect).ravel()[0]), end_diff_low=float(ct_ci[0]), end_diff_high=float(ct_ci[1]),
        r2=float(res.rsquared), cov=cov, fitted=fitted,
    )


# Breaks across which no before/after window is fitted: a change of what is counted or where. A change of the
# population base also moves rates, so it blocks windows measured in rates (not counts).
BLOCKING_BREAKS = ("definition", "territory")


def blocking_breaks(city, series: str, measure: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Breaks of `series` that fall strictly inside [lo, hi) and change what the window compares."""
    kinds = list(BLOCKING_BREAKS) + (["population"] if measure == RATE else [])
    b = city.breaks_of(series, kinds)
    if b.empty:
        return b
    starts = pd.to_datetime([event_interval(d)[0] for d in b["date"]])
    return b[np.asarray((starts > lo) & (starts < hi))].reset_index(drop=True)


def _event_window(city, date: str, *, monthly_years: int = 3, annual_years: int = 6, min_months: int = 12,
                  min_years: int = 4):
    """The observations used around an event: monthly counts if there are enough on both sides, else the
    annual primary series (rate where available). Periods overlapping the event's date are left out.
    Returns (kind, measure, t, y, break_t, series, span) or None; span = [first, last) dates the window reads
    (the 12-month mean reaches eleven months before its first month)."""
    start, end = event_interval(date)
    b = decimal_year(start)
    mrows = city.monthly_rows()
    m = rolling_mean(mrows, 12) if not mrows.empty else pd.DataFrame()
    if not m.empty:
        m = m.dropna(subset=[COUNT])
        ms = m["month"]
        me = ms + pd.offsets.MonthBegin(1)
        keep = ((me <= start) | (ms >= end)) & (ms >= start - pd.DateOffset(years=monthly_years)) & \
               (ms < end + pd.DateOffset(years=monthly_years))
        w = m[keep]
        before = (w["month"] < start).sum()
        after = (w["month"] >= end).sum()
        mean = float(w[COUNT].mean()) if len(w) else None
        # a line fitted through about one event a month measures chance, not a change of level
        if before >= min_months and after >= min_months and mean is not None and mean >= settings.SEASONALITY_MIN_MEAN:
            t = [decimal_year(x) + 1 / 24 for x in w["month"]]
            span = (w["month"].min() - pd.DateOffset(months=11), w["month"].max() + pd.offsets.MonthBegin(1))
            return "monthly", COUNT, np.array(t), w[COUNT].to_numpy(float), b, str(mrows["series"].iloc[0]), span
    rows = city.primary
    meas = best_measure(rows)
    v = values(rows, meas)
    ys = v.index.to_numpy()
    ys_start = pd.to_datetime([f"{y}-01-01" for y in ys])
    ys_end = pd.to_datetime([f"{y + 1}-01-01" for y in ys])
    keep = ((ys_end <= start) | (ys_start >= end)) & (ys >= start.year - annual_years) & (ys <= end.year + annual_years)
    keep = np.asarray(keep)
    ys, vals = ys[keep], v.to_numpy()[keep]
    before = (ys < start.year).sum()
    after = (ys >= end.year).sum()
    if before >= min_years and after >= min_years:
        span = (pd.Timestamp(int(ys.min()), 1, 1), pd.Timestamp(int(ys.max()) + 1, 1, 1))
        return "annual", meas, ys.astype(float) + 0.5, vals, b, city.primary_series, span
    return None


EFFECT_COLUMNS = ["event_index", "date", "title", "category", "source_id", "data", "series", "measure", "n_before",
                  "n_after",
                  "level", "level_low", "level_high", "slope", "slope_low", "slope_high", "end_diff",
                  "end_diff_low", "end_diff_high", "pre_level", "other_events"]
REFUSED_COLUMNS = ["date", "title", "series", "break_date", "break_kind", "break_description"]


def event_effects(city, categories=settings.INTERVENTION_CATEGORIES) -> tuple[pd.DataFrame, dict]:
    """Segmented regression around each intervention date that has enough data on both sides.

    Interventions on the same date share one estimate (their titles joined): the data cannot tell them apart.
    A window that would straddle a definition or territory break of its series (or a population-base break,
    for rates) is refused; refusals are in `table.attrs["refused"]` (columns REFUSED_COLUMNS).
    Returns (table, fits): table columns EFFECT_COLUMNS; fits maps event_index -> SegmentedFit."""
    ev = city.events
    refused: list[dict] = []
    if ev.empty:
        out = pd.DataFrame(columns=EFFECT_COLUMNS)
        out.attrs["refused"] = pd.DataFrame(columns=REFUSED_COLUMNS)
        return out, {}
    rows, fits = [], {}
    interventions = ev[ev["category"].isin(categories)]
    for date, group in interventions.groupby("date", sort=True):
        i = int(group.index[0])
        title = "; ".join(str(t) for t in group["title"])
        w = _event_window(city, date)
        if w is None:
            continue
        kind, meas, t, y, b, series, (lo, hi) = w
        blocking = blocking_breaks(city, series, meas, lo, hi)
        if not blocking.empty:
            first = blocking.iloc[0]
            refused.append({"date": date, "title": title, "series": series, "break_date": first["date"],
                            "break_kind": first["kind"], "break_description": first["description"]})
            continue
        fit = segmented_regression(t, y, b, hac_lags=12 if kind == "monthly" else None)
        t_lo, t_hi = float(np.min(t)), float(np.max(t))
        others = sum(1 for j, o in ev.iterrows()
                     if o["date"] != date and t_lo <= decimal_year(event_interval(o["date"])[0]) <= t_hi)
        pre_level = float(fit.fitted.loc[~fit.fitted["post"], "fitted"].iloc[-1])
        fits[i] = fit
        cats = list(dict.fromkeys(group["category"]))
        sids = [s for s in dict.fromkeys(group["source_id"]) if isinstance(s, str) and s]
        rows.append({"event_index": i, "date": date, "title": title, "category": "; ".join(cats),
                     "source_id": sids[0] if sids else None, "data": kind, "series": series, "measure": meas,
                     "n_before": fit.n_before, "n_after": fit.n_after,
                     "level": fit.level, "level_low": fit.level_low, "level_high": fit.level_high,
                     "slope": fit.slope, "slope_low": fit.slope_low, "slope_high": fit.slope_high,
                     "end_diff": fit.end_diff, "end_diff_low": fit.end_diff_low, "end_diff_high": fit.end_diff_high,
                     "pre_level": pre_level, "other_events": others})
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    out.attrs["refused"] = pd.DataFrame(refused, columns=REFUSED_COLUMNS)
    return out, fits


# --------------------------------------------------------------------------- concentration
def top_k_share(subcity: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per year: share (%) of the city's homicides in the k areas with most homicides that year.
    Columns year, total, top, share, areas."""
    if subcity is None or subcity.empty:
        return pd.DataFrame(columns=["year", "total", "top", "share", "areas"])
    rows = []
    for y, g in subcity.groupby("year"):
        h = g[COUNT].astype(float).sort_values(ascending=False)
        total = h.sum()
        top = h.iloc[:k].sum()
        rows.append({"year": int(y), "total": float(total), "top": float(top),
                     "share": float(top / total * 100) if total > 0 else np.nan, "areas": int(len(h))})
    return pd.DataFrame(rows)


def fixed_set_share(subcity: pd.DataFrame, k: int, base_year: int | None = None) -> pd.DataFrame:
    """Per year: share (%) of homicides in the k areas that had most homicides in base_year (default: the
    first year). If that share falls while the top-k share does not, violence moved to other areas."""
    if subcity is None or subcity.empty:
        return pd.DataFrame(columns=["year", "share"])
    base_year = int(subcity["year"].min()) if base_year is None else base_year
    base = subcity[subcity["year"] == base_year].sort_values(COUNT, ascending=False)
    areas = list(base["area_id"].iloc[:k])
    rows = []
    for y, g in subcity.groupby("year"):
        total = g[COUNT].astype(float).sum()
        top = g.loc[g["area_id"].isin(areas), COUNT].astype(float).sum()
        rows.append({"year": int(y), "share": float(top / total * 100) if total > 0 else np.nan})
    return pd.DataFrame(rows)


def concentration_k(subcity: pd.DataFrame, fraction: float = 0.2) -> int:
    """The number of areas that make up `fraction` of the city's areas (at least one)."""
    n = int(subcity["area_id"].nunique()) if subcity is not None and not subcity.empty else 0
    return max(1, int(math.ceil(n * fraction))) if n else 0


def concentration(subcity: pd.DataFrame, fraction: float = 0.2) -> pd.DataFrame:
    """Long table for the concentration chart: per year and measure, the share (%) of homicides in
    (a) the top fifth of areas that year, (b) the single most violent area that year, (c) the areas that
    were the top fifth in the first year. Columns year, measure, share, k."""
    k = concentration_k(subcity, fraction)
    if not k:
        return pd.DataFrame(columns=["year", "measure", "share", "k"])
    parts = []
    a = top_k_share(subcity, k)[["year", "share"]].assign(measure="top", k=k)
    b = top_k_share(subcity, 1)[["year", "share"]].assign(measure="top1", k=1)
    first = int(subcity["year"].min())
    c = fixed_set_share(subcity, k, first)[["year", "share"]].assign(measure="fixed", k=k)
    parts = [a, b, c]
    return pd.concat(parts, ignore_index=True)[["year", "measure", "share", "k"]]


def area_share_needed(subcity: pd.DataFrame, share: float = 50.0) -> pd.DataFrame:
    """Per year: the smallest number of areas holding at least `share`% of the homicides, and as % of areas."""
    rows = []
    for y, g in subcity.groupby("year"):
        h = g[COUNT].astype(float).sort_values(ascending=False)
        total = h.sum()
        if total <= 0:
            continue
        cum = h.cumsum() / total * 100
        n = int((cum < share).sum() + 1)
        rows.append({"year": int(y), "areas_needed": n, "areas": len(h), "pct_of_areas": n / len(h) * 100})
    return pd.DataFrame(rows)


def top_areas(subcity: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The n areas with most homicides over all years: area_id, area_name, homicides, share (%)."""
    if subcity is None or subcity.empty:
        return pd.DataFrame(columns=["area_id", "area_name", "homicides", "share"])
    g = subcity.groupby(["area_id", "area_name"], as_index=False)[COUNT].sum()
    g[COUNT] = g[COUNT].astype(float)
    g["share"] = g[COUNT] / g[COUNT].sum() * 100
    return g.sort_values(COUNT, ascending=False).head(n).reset_index(drop=True)


# --------------------------------------------------------------------------- comparison
def comparison_table(cities) -> pd.DataFrame:
    """One row per city: the headline figures, for the comparative chapter."""
    rows = []
    for c in cities:
        h = headline(c, c.comparable_series)
        cov = h["coverage"] or {}
        rows.append({
            "city": c.name, "slug": c.slug, "series": c.comparable_series, "like_for_like": c.like_for_like,
            "measure": h["measure"],
            "peak_year": h["peak"]["year"] if h["peak"] else None,
            "peak": h["peak"]["value"] if h["peak"] else np.nan,
            "latest_year": h["latest"]["year"] if h["latest"] else None,
            "latest": h["latest"]["value"] if h["latest"] else np.nan,
            "change_from_peak": h["change_from_peak"],
            "years_to_halve": h["halved"]["years"] if h["halved"] else None,
            "ratio_to_national": h["ratio"]["ratio"] if h["ratio"] else np.nan,
            "ratio_year": h["ratio"]["year"] if h["ratio"] else None,
            "first_year": cov.get("first"), "last_year": cov.get("last"),
            "missing_years": len(cov.get("missing", [])),
        })
    out = pd.DataFrame(rows)
    for col in ("peak_year", "latest_year", "years_to_halve", "ratio_year", "first_year", "last_year", "missing_years"):
        if col in out:
            out[col] = out[col].astype("Int64")
    return out


def indexed_to_peak(rows: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """The series as % of its peak (peak = 100), with years since the peak. Columns year, since_peak, index."""
    measure = measure or best_measure(rows)
    p = peak(rows, measure)
    if p is None or p["value"] == 0:
        return pd.DataFrame(columns=["year", "since_peak", "index"])
    v = values(rows, measure)
    return pd.DataFrame({"year": v.index.astype(int), "since_peak": v.index.astype(int) - p["year"],
                         "index": v.to_numpy() / p["value"] * 100})


def latest_country_value(city, indicator: str, upto: int | None = None) -> dict | None:
    """The latest value of a country indicator at or before `upto` (if there is none by then, the earliest
    value after it; the year is returned so the reader sees the gap)."""
    r = city.country_indicator(indicator).dropna(subset=["value"])
    if r.empty:
        return None
    if upto is not None:
        before = r[r["year"] <= upto]
        r = before if not before.empty else r.iloc[:1]
    last = r.iloc[-1]
    return {"year": int(last["year"]), "value": float(last["value"]), "source_id": last["source_id"]}
