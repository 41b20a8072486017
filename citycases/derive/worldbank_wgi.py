"""Worldwide Governance Indicators (World Bank, 2024 update): governance estimates 1996-2023.

Reads the long-format workbook (every economy), keeps four of the six dimensions for the
countries of data/cities.yml. WGI was not produced for 1997, 1999 and 2001; those years stay absent.
"""
from __future__ import annotations

import pandas as pd

from ..checks import expect_columns, expect_unique, first_bad, to_number
from ..errors import DataError
from ._international import definitions, expect_range, rows_for, standard_code, year_values

SOURCE_ID = "worldbank_wgi"
SOURCES = [SOURCE_ID]
FILE = "international/worldbank_wgi/wgidataset.xlsx"

UNIT = "estimate (standard normal units, about -2.5 to 2.5)"
# WGI code -> (indicator id, label, what it captures)
DIMENSIONS = {
    "rl": ("wgi_rule_of_law", "Rule of law (WGI)",
           "perceptions of how far agents trust and abide by the rules of society, in particular contract "
           "enforcement, property rights, the police and the courts, and the likelihood of crime and violence"),
    "cc": ("wgi_control_of_corruption", "Control of corruption (WGI)",
           "perceptions of how far public power is exercised for private gain, including petty and grand "
           "corruption and capture of the state by elites and private interests"),
    "ge": ("wgi_government_effectiveness", "Government effectiveness (WGI)",
           "perceptions of the quality of public services and of the civil service, its independence from "
           "political pressure, and the quality and credibility of policy making and implementation"),
    "pv": ("wgi_political_stability", "Political stability and absence of violence/terrorism (WGI)",
           "perceptions of the likelihood of political instability or politically motivated violence, "
           "including terrorism"),
}
# Published years of the 2024 update: biennial 1996-2002, annual since.
PUBLISHED_YEARS = {1996, 1998, 2000} | set(range(2002, 2024))
MISSING = ".."  # blank cells are treated as missing too; any other text is an error


def read_wgi(path, dimensions=tuple(DIMENSIONS)) -> pd.DataFrame:
    """Estimates as (country, year, indicator, value) for the given WGI dimension codes; '..' is missing."""
    df = pd.read_excel(path, usecols=lambda c: c in ("code", "year", "indicator", "estimate"), dtype=object,
                       keep_default_na=False)
    expect_columns(df, ["code", "year", "indicator", "estimate"], path)
    df["year"] = year_values(df["year"], path)
    df["country"] = standard_code(df["code"])
    df["dimension"] = df["indicator"].astype("string").str.strip().str.lower()
    unknown = ~df["dimension"].isin(["va", "pv", "ge", "rq", "rl", "cc"])
    i = first_bad(unknown)
    if i is not None:
        raise DataError(path, f"unknown WGI dimension {df['indicator'][i]!r}", row=int(i) + 2, field="indicator")
    expect_unique(df, ["country", "year", "dimension"], path)
    est = df["estimate"].where(~df["estimate"].astype("string").str.strip().isin([MISSING, ""]))
    df["value"] = to_number(est, path, "estimate", allow_missing=True)
    expect_range(df["value"], -4, 4, path, "estimate")
    df = df[df["dimension"].isin(list(dimensions))]
    df["indicator"] = df["dimension"].map(lambda d: DIMENSIONS[d][0])
    return df[["country", "year", "indicator", "value"]]


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE_ID, FILE)
    wgi = read_wgi(path)
    years = set(wgi["year"])
    if years != PUBLISHED_YEARS:
        raise DataError(path, f"expected the WGI years {sorted(PUBLISHED_YEARS)}; missing "
                              f"{sorted(PUBLISHED_YEARS - years)}, unexpected {sorted(years - PUBLISHED_YEARS)}",
                        field="year", fix="a new WGI update: check PROVENANCE.md and update PUBLISHED_YEARS")
    rows = rows_for(wgi, ctx.countries(), indicator_unit={v[0]: UNIT for v in DIMENSIONS.values()},
                    source_id=SOURCE_ID)
    defs = definitions([
        (ind, label, f"Worldwide Governance Indicators estimate of {what}. Composite of many expert and survey "
                     f"sources, scaled to mean 0 and standard deviation 1 across countries in each year, so it "
                     f"compares countries within a year, not absolute change over time. Higher is better. "
                     f"Not produced for 1997, 1999 and 2001.", UNIT)
        for ind, label, what in DIMENSIONS.values()])
    return {"country_context": rows, "indicator_definitions": defs}
