"""Transparency International Corruption Perceptions Index, scores 2012-2023 (CPI 2023 workbook).

Reads the 'CPI Timeseries 2012 - 2023' sheet (every country and territory), keeps the countries
of data/cities.yml. Scores before 2012 use another scale and are not in this sheet.
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import expect_columns, expect_unique, expect_years, to_number
from ..errors import DataError
from ._international import definitions, expect_range, rows_for, standard_code

SOURCE_ID = "ti_cpi"
SOURCES = [SOURCE_ID]
FILE = "international/ti_cpi/CPI2023_GlobalResultsTrends.xlsx"
SHEET = "CPI Timeseries 2012 - 2023"
HEADER_ROW = 4  # the sheet's header is on spreadsheet row 4, below a title and an embargo note

INDICATOR = "cpi_score"
UNIT = "score 0-100 (100 = very clean)"
SCORE_COLUMN = re.compile(r"^CPI score (\d{4})$", re.IGNORECASE)


def read_cpi_timeseries(path, sheet: str = SHEET, header_row: int = HEADER_ROW) -> pd.DataFrame:
    """CPI scores as (country, year, indicator, value); a blank cell (country not assessed) is missing."""
    try:
        df = pd.read_excel(path, sheet_name=sheet, header=header_row - 1, dtype=object,
                           keep_default_na=False)  # so that text such as 'n/a' is an error, not a gap
    except ValueError as exc:  # pandas raises ValueError for an absent sheet
        raise DataError(path, f"cannot read sheet {sheet!r}: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    # Index = spreadsheet row - 2, so errors name the row a person sees in the workbook.
    df.index = df.index + header_row - 1
    expect_columns(df, ["ISO3"], path)
    years = {int(m.group(1)): c for c in df.columns if (m := SCORE_COLUMN.match(c))}
    if not years:
        raise DataError(path, f"no 'CPI score YYYY' columns in sheet {sheet!r}; found {list(df.columns)}",
                        fix="the workbook layout changed: check PROVENANCE.md")
    df = df[df["ISO3"].astype("string").str.strip() != ""]
    df["country"] = standard_code(df["ISO3"])
    expect_unique(df, ["country"], path)
    parts = []
    for year, col in sorted(years.items()):
        blank = df[col].astype("string").str.strip() == ""
        value = to_number(df[col].where(~blank), path, col, allow_missing=True)
        expect_range(value, 0, 100, path, col)
        parts.append(pd.DataFrame({"country": df["country"], "year": year, "indicator": INDICATOR,
                                   "value": value}))
    return pd.concat(parts, ignore_index=True)


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE_ID, FILE)
    cpi = read_cpi_timeseries(path)
    expect_years(pd.Series(sorted(set(cpi["year"]))), path, first=2012, last=2023)
    rows = rows_for(cpi, ctx.countries(), indicator_unit={INDICATOR: UNIT}, source_id=SOURCE_ID)
    defs = definitions([(
        INDICATOR, "Corruption Perceptions Index (TI)",
        "Transparency International's Corruption Perceptions Index: perceived public-sector corruption "
        "according to expert and business surveys, on a scale from 0 (highly corrupt) to 100 (very clean). "
        "Comparable across years from 2012 onwards (CPI 2023 edition, scores 2012-2023).", UNIT)])
    return {"country_context": rows, "indicator_definitions": defs}
