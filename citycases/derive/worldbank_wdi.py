"""National intentional homicide rate, World Bank WDI indicator VC.IHR.PSRC.P5 (UNODC data), 1990-2023.

Reads the full WDI extract (every economy), keeps the countries of data/cities.yml plus a few
reference aggregates. The WDI population file serves as the list of valid economy codes (to catch
a mistyped country code in data/cities.yml) and as the country-name list other steps match against.
"""
from __future__ import annotations

import pandas as pd

from ..checks import expect_columns, expect_unique, expect_years, first_bad, to_number
from ..errors import DataError
from ._international import definitions, expect_range, rows_for, standard_code

SOURCE_ID = "worldbank_wdi"
SOURCES = [SOURCE_ID]
HOMICIDE_FILE = "international/worldbank_wdi/homicide_unodc_who.csv"
POPULATION_FILE = "international/worldbank_wdi/pop_by_country.csv"

# Regional benchmarks shown beside the countries (World, Latin America & Caribbean, Europe & Central Asia).
REFERENCE_AGGREGATES = ("WLD", "LCN", "ECS")

INDICATOR = "wdi_homicide_rate"
UNIT = "per 100,000 people"


def read_homicide_rates(path) -> pd.DataFrame:
    """The WDI homicide extract as (country, year, indicator, value); one row per economy and year."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["iso3", "year", "rate_per_100k"], path)
    expect_years(df["year"], path, lo=1950, hi=2030)
    df["country"] = standard_code(df["iso3"])
    df["year"] = df["year"].astype(int)
    expect_unique(df, ["country", "year"], path)
    df["value"] = to_number(df["rate_per_100k"], path, "rate_per_100k")
    expect_range(df["value"], 0, 500, path, "rate_per_100k")
    df["indicator"] = INDICATOR
    return df[["country", "year", "indicator", "value"]]


def read_economy_names(path) -> pd.DataFrame:
    """(iso3, country) of every economy and aggregate in the WDI population file."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: c in ("iso3", "country"),
                     encoding="utf-8")
    expect_columns(df, ["iso3", "country"], path)
    empty = (df["iso3"].str.strip() == "") | (df["country"].str.strip() == "")
    i = first_bad(empty)
    if i is not None:
        raise DataError(path, "empty economy code or name", row=int(i) + 2, field="iso3")
    return df.drop_duplicates().reset_index(drop=True)


def check_countries(countries, economies: pd.DataFrame, path) -> None:
    known = set(economies["iso3"])
    for c in countries:
        if c not in known:
            raise DataError("data/cities.yml", f"country code '{c}' is not a World Bank economy code "
                                               f"(checked against {path})", field="country",
                            fix="use the ISO 3166-1 alpha-3 code of the city's country")


def derive(ctx) -> dict[str, pd.DataFrame]:
    pop_path = ctx.raw(SOURCE_ID, POPULATION_FILE)
    check_countries(ctx.countries(), read_economy_names(pop_path), pop_path)
    path = ctx.raw(SOURCE_ID, HOMICIDE_FILE)
    rates = read_homicide_rates(path)
    expect_years(rates["year"], path, first=1990, last=2023)
    rows = rows_for(rates, list(ctx.countries()) + list(REFERENCE_AGGREGATES),
                    indicator_unit={INDICATOR: UNIT}, source_id=SOURCE_ID)
    defs = definitions([(
        INDICATOR, "Intentional homicides per 100,000 (national, WDI/UNODC)",
        "Victims of intentional homicide per 100,000 inhabitants of the whole country, as published in the "
        "World Bank's World Development Indicators (VC.IHR.PSRC.P5), which take the figures from UNODC's "
        "International Homicide Statistics (national police or death-registration counts chosen by UNODC). "
        "Country codes WLD, LCN and ECS are the World Bank's World, Latin America & Caribbean and "
        "Europe & Central Asia aggregates. Vintage retrieved 2025-10-07; UNODC revises back years.",
        UNIT)])
    return {"country_context": rows, "indicator_definitions": defs}
