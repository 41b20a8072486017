"""Helpers shared by the country-context steps (worldbank_wdi, worldbank_wgi, ti_cpi, gitoc, who_ghe).

These steps take no city parameters: they read the full cross-country files and keep the
countries of the cities in data/cities.yml (`ctx.countries()`), so a city in a new country
gets its country rows without code changes.
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, first_bad, to_count
from ..errors import DataError

# Some publishers use their own codes for a few economies; the tidy tables use the World Bank
# WDI codes (ISO 3166-1 alpha-3, plus XKX for Kosovo, which has no ISO code).
CODE_ALIASES = {
    "ADO": "AND",  # Andorra (WGI)
    "ROM": "ROU",  # Romania (WGI)
    "ZAR": "COD",  # DR Congo (WGI)
    "TMP": "TLS",  # Timor-Leste (WGI)
    "WBG": "PSE",  # West Bank and Gaza (WGI)
    "KSV": "XKX",  # Kosovo (WGI, TI)
}


def standard_code(codes: pd.Series) -> pd.Series:
    return codes.astype("string").str.strip().str.upper().replace(CODE_ALIASES)


def expect_range(values: pd.Series, lo: float, hi: float, file, field: str) -> None:
    """Every present value within lo..hi (the publisher's scale); the first one outside is reported."""
    bad = values.notna() & ((values < lo) | (values > hi))
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"value {values.loc[i]:g} outside the scale {lo:g} to {hi:g}",
                        row=csv_row(i), field=field)


def year_values(years: pd.Series, file, field: str = "year", lo: int = 1950, hi: int = 2030) -> pd.Series:
    """Whole-number years within lo..hi (gaps allowed, unlike checks.expect_years without first/last)."""
    y = to_count(years, file, field)
    bad = (y < lo) | (y > hi)
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"year {years.loc[i]!r} outside the plausible range {lo}-{hi}",
                        row=csv_row(i), field=field)
    return y.astype(int)


def rows_for(df: pd.DataFrame, countries, *, indicator_unit: dict, source_id: str) -> pd.DataFrame:
    """country_context rows for the requested countries from a long frame (country, year, indicator, value)."""
    out = df[df["country"].isin(list(countries)) & df["value"].notna()].copy()
    out["unit"] = out["indicator"].map(indicator_unit)
    out["source_id"] = source_id
    out["year"] = out["year"].astype(int)
    return out[["country", "year", "indicator", "value", "unit", "source_id"]].reset_index(drop=True)


def definitions(defs: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """indicator_definitions rows from (indicator, label, definition, unit) tuples, scope country."""
    return pd.DataFrame([{"indicator": i, "label": ln, "definition": d, "unit": u, "scope": "country"}
                         for i, ln, d, u in defs])
