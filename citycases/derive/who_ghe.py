"""WHO Global Health Estimates: modelled number of homicide deaths per country, 2000-2019 (GHE 2019).

Only a sensitivity check beside the WDI/UNODC series: WHO redistributes deaths of undetermined
intent, so its counts run far above police/registration counts for some countries (COL, BRA).
"""
from __future__ import annotations

import pandas as pd

from ..checks import expect_columns, expect_unique, expect_years, to_number
from ._international import definitions, expect_range, rows_for, standard_code

SOURCE_ID = "who_ghe"
SOURCES = [SOURCE_ID]
FILE = "international/who_gho/gho_VIOLENCE_HOMICIDENUM.csv"

INDICATOR = "who_ghe_homicides"
UNIT = "deaths (modelled estimate)"


def read_who_homicides(path) -> pd.DataFrame:
    """National both-sexes, all-ages estimates as (country, year, indicator, value)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8",
                     usecols=lambda c: c in ("SpatialDimType", "SpatialDim", "TimeDim", "Dim1", "Dim2",
                                             "NumericValue"))
    expect_columns(df, ["SpatialDimType", "SpatialDim", "TimeDim", "Dim1", "Dim2", "NumericValue"], path)
    # Country rows, both sexes; rows with an age group (Dim2) are a few global breakdowns.
    df = df[(df["SpatialDimType"] == "COUNTRY") & (df["Dim1"] == "BTSX") & df["Dim2"].isin(["", "NA"])]
    expect_years(df["TimeDim"], path, lo=1950, hi=2030, field="TimeDim")
    df = df.assign(country=standard_code(df["SpatialDim"]), year=df["TimeDim"].astype(int))
    expect_unique(df, ["country", "year"], path)
    df["value"] = to_number(df["NumericValue"], path, "NumericValue")
    expect_range(df["value"], 0, 1e6, path, "NumericValue")
    df["indicator"] = INDICATOR
    return df[["country", "year", "indicator", "value"]]


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE_ID, FILE)
    who = read_who_homicides(path)
    expect_years(pd.Series(sorted(set(who["year"]))), path, first=2000, last=2019, field="TimeDim")
    rows = rows_for(who, ctx.countries(), indicator_unit={INDICATOR: UNIT}, source_id=SOURCE_ID)
    defs = definitions([(
        INDICATOR, "Homicide deaths, WHO modelled estimate",
        "WHO Global Health Estimates (2019 round) of deaths from homicide in the whole country, both sexes, "
        "all ages. Modelled: deaths of undetermined intent and ill-defined causes are partly reassigned to "
        "homicide, so these counts can be far higher than police or death-registration counts (Colombia and "
        "Brazil by 50-65% in 2019). Use only as a sensitivity check, never spliced with the WDI series.",
        UNIT)])
    return {"country_context": rows, "indicator_definitions": defs}
