"""Police event notices (polisen.se "händelser"), county and one kommun (params: county, kommun).

The notices are press notices, not crime statistics (PROVENANCE.md section 1): they count incidents the
Police chose to announce, typed when published. They are used as
* homicides_monthly: "Mord/dråp" notices per month, complete months only (2023-04 onwards). The value is
  a number of notices (incidents announced as murder or manslaughter), not of confirmed victims.
* indicators: notices per full calendar year by type group (shootings, explosions, murder, attempted
  murder), and indicators_monthly: the same groups per complete month (murder notices are already
  homicides_monthly, so they are not repeated there).

Counts are made from the event-level list and must equal the collector's monthly table, which also says
which months the archive covers completely.
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique, first_bad, to_count
from ..errors import DataError
from ._sweden import COUNTY_KOMMUNER, COUNTY_NAMES

SOURCES = ["polisen_events"]
# Keys of a city's `derive: sweden_police_events:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "county": "two-digit county code, quoted: '01'",
    "kommun": "kommun name as the Police write it: Stockholm",
}
REQUIRED_PARAMETERS = ["county", "kommun"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['polisen_notices_mord_drap_lan', 'polisen_notices_mord_drap_kommun']

SOURCE = "polisen_events"
EVENTS = "stockholm/polisen_events_stockholms_lan_violence.csv"
MONTHLY = "stockholm/polisen_events_monthly_counts_violence.csv"

# Type groups. "Detonation" was replaced by "Explosion" in 2024-09, so the two are one group.
GROUPS = {
    "shooting": ("Skottlossning", "Skottlossning, misstänkt"),
    "explosion": ("Detonation", "Explosion"),
    "murder": ("Mord/dråp",),
    "attempted_murder": ("Mord/dråp, försök",),
}
MONTH_PATTERN = r"20\d\d-(0[1-9]|1[0-2])"


def read_events(path) -> pd.DataFrame:
    """Deduplicated notices: event_id, month (of publication, local time), type, location_name, kommun."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["event_id", "datetime", "type", "location_name", "kommun_from_name"], path)
    expect_unique(df, ["event_id"], path)
    month = df["datetime"].str.strip().str[:7]
    bad = ~month.str.fullmatch(MONTH_PATTERN)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"datetime {df['datetime'][i]!r} does not start with YYYY-MM", row=csv_row(i),
                        field="datetime")
    return pd.DataFrame({"event_id": df["event_id"], "month": month, "type": df["type"].str.strip(),
                         "location_name": df["location_name"].str.strip(),
                         "kommun": df["kommun_from_name"].str.strip()})


def read_monthly(path) -> pd.DataFrame:
    """Collector's monthly counts: month, geography, event_type, n_events, complete (bool)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["month", "geography", "event_type", "n_events", "coverage_note"], path)
    bad = ~df["month"].str.fullmatch(MONTH_PATTERN)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed month {df['month'][i]!r}", row=csv_row(i), field="month")
    out = pd.DataFrame({"month": df["month"], "geography": df["geography"].str.strip(),
                        "event_type": df["event_type"].str.strip(),
                        "n_events": to_count(df["n_events"], path, "n_events"),
                        "complete": df["coverage_note"].str.strip() == "complete"})
    expect_unique(out, ["month", "geography", "event_type"], path)
    return out


def complete_months(monthly: pd.DataFrame) -> list[str]:
    flags = monthly.groupby("month")["complete"].agg(["all", "any"])
    mixed = flags[flags["all"] != flags["any"]]
    if len(mixed):
        raise DataError(MONTHLY, f"month {mixed.index[0]} is flagged both complete and partial",
                        field="coverage_note")
    return sorted(flags.index[flags["all"]])


def _counts(events: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """month x type counts, zero-filled over the given months and every type in GROUPS."""
    types = [t for g in GROUPS.values() for t in g]
    c = events[events["type"].isin(types)].groupby(["month", "type"]).size()
    idx = pd.MultiIndex.from_product([months, types], names=["month", "type"])
    return c.reindex(idx, fill_value=0).rename("n").reset_index()


def _check_against(counts: pd.DataFrame, monthly: pd.DataFrame, geography_prefix: str) -> None:
    ref = monthly[monthly["geography"].str.startswith(geography_prefix)]
    if ref.empty:
        raise DataError(MONTHLY, f"no rows for geography '{geography_prefix}...'", field="geography")
    m = counts.merge(ref, left_on=["month", "type"], right_on=["month", "event_type"], how="left")
    missing = m["n_events"].isna()
    if missing.any():
        r = m[missing].iloc[0]
        raise DataError(MONTHLY, f"no count for {geography_prefix}, {r['month']}, {r['type']}", field="n_events")
    diff = m[m["n"] != m["n_events"]]
    if len(diff):
        r = diff.iloc[0]
        raise DataError(MONTHLY, f"{geography_prefix} {r['month']} {r['type']}: {r['n_events']} in the monthly "
                                 f"table but {r['n']} notices in {EVENTS}", field="n_events")


def derive(ctx) -> dict[str, pd.DataFrame]:
    events_path = ctx.raw(SOURCE, EVENTS)
    events = read_events(events_path)
    monthly = read_monthly(ctx.raw(SOURCE, MONTHLY))
    months = complete_months(monthly)
    month_counts = pd.Series(months).str[:4].value_counts()
    full_years = sorted(int(y) for y, n in month_counts.items() if n == 12)

    monthly_rows, indicators, indicators_monthly = [], [], []
    for city, params in ctx.cities_for("sweden_police_events"):
        county, kommun = str(params.get("county")), params.get("kommun")
        if county not in COUNTY_KOMMUNER or kommun not in COUNTY_KOMMUNER[county]:
            raise DataError("data/cities.yml", f"sweden_police_events: county '{county}' / kommun '{kommun}' "
                                               f"not known", field="derive")
        allowed = set(COUNTY_KOMMUNER[county]) | {COUNTY_NAMES[county]}
        outside = ~events["location_name"].isin(allowed)
        i = first_bad(outside)
        if i is not None:
            raise DataError(events_path, f"notice located in '{events['location_name'][i]}', outside "
                                         f"{COUNTY_NAMES[county]}", row=csv_row(i), field="location_name")
        # From 2026-01 the API gives the county as location; the place in the title then names the kommun.
        in_kommun = (events["location_name"] == kommun) | (events["kommun"] == kommun)
        geos = {"lan": (events, COUNTY_NAMES[county]), "kommun": (events[in_kommun], f"{kommun} kommun")}
        for level, (ev, prefix) in geos.items():
            counts = _counts(ev, months)
            _check_against(counts, monthly, prefix)
            murder = counts[counts["type"].isin(GROUPS["murder"])].groupby("month")["n"].sum()
            monthly_rows.append(pd.DataFrame({
                "city": city["slug"], "month": murder.index, "homicides": murder.values,
                "series": f"polisen_notices_mord_drap_{level}", "source_id": SOURCE}))
            for group, types in GROUPS.items():
                if group == "murder":
                    continue
                per_month = counts[counts["type"].isin(types)].groupby("month")["n"].sum()
                indicators_monthly.append(pd.DataFrame({
                    "city": city["slug"], "month": per_month.index, "indicator": f"police_notices_{group}_{level}",
                    "value": per_month.values, "unit": "notices", "source_id": SOURCE}))
            counts["year"] = counts["month"].str[:4].astype(int)
            counts = counts[counts["year"].isin(full_years)]
            for group, types in GROUPS.items():
                yearly = counts[counts["type"].isin(types)].groupby("year")["n"].sum()
                indicators.append(pd.DataFrame({
                    "city": city["slug"], "year": yearly.index, "indicator": f"police_notices_{group}_{level}",
                    "value": yearly.values, "unit": "notices", "source_id": SOURCE}))
    return {
        "homicides_monthly": pd.concat(monthly_rows, ignore_index=True) if monthly_rows else pd.DataFrame(),
        "indicators": pd.concat(indicators, ignore_index=True) if indicators else pd.DataFrame(),
        "indicators_monthly": (pd.concat(indicators_monthly, ignore_index=True) if indicators_monthly
                               else pd.DataFrame()),
        "indicator_definitions": _definitions(),
    }


def _definitions() -> pd.DataFrame:
    what = {
        "shooting": ("Shooting notices", "'Skottlossning' and 'Skottlossning, misstänkt'"),
        "explosion": ("Explosion notices", "'Detonation' (to 2024-09) and 'Explosion' (from 2024-09)"),
        "murder": ("Murder/manslaughter notices", "'Mord/dråp'"),
        "attempted_murder": ("Attempted murder notices", "'Mord/dråp, försök'"),
    }
    where = {
        "lan": ("county", "the whole county (all its kommuner plus notices located at county level)"),
        "kommun": ("municipality", "the kommun (notices located there, or naming it as the place in the title)"),
    }
    rows = []
    for group, (label, types) in what.items():
        for level, (short, long) in where.items():
            rows.append({
                "indicator": f"police_notices_{group}_{level}",
                "label": f"{label}, {short} (Police event feed)",
                "definition": f"Number of notices of type {types} published in the Swedish Police's event "
                              f"feed (polisen.se) for {long}, by publication date: per complete month, and "
                              f"per calendar year for full years only. "
                              f"Press notices, not crime statistics: many incidents are never announced or "
                              f"appear under another type, so they are far below official counts.",
                "unit": "notices", "scope": "city"})
    return pd.DataFrame(rows)
