"""Brå confirmed lethal violence ("konstaterade fall av dödligt våld").

* homicides_annual: the police-region series (params: police_region), with the SCB population of the same
  territory (the region's kommuner summed), 31 December of the same year.
* indicators: the police region's firearm subset.
* country_context: the national series, its rate and its firearm subset (national figures are context for
  the city, never a city series).

No Brå data file was available: the counts are published figures transcribed from web pages (bra.se,
Brå press releases, news quoting Brå), see PROVENANCE.md sections 4 and 9.
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_rate_consistent, expect_unique, expect_years, to_count
from ..errors import DataError
from ._sweden import (COUNTY_KOMMUNER, COUNTY_NAMES, annual_values, check_county_list, national_population,
                      police_region, population_of, published_rate, read_scb_kommun_population,
                      read_transcribed_population, read_transcribed_series, region_label)

SOURCES = ["bra_lethal_violence", "scb_population"]
# Keys of a city's `derive: sweden_bra:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "police_region": "police region as Brå names it: Stockholm",
}
REQUIRED_PARAMETERS = ["police_region"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['bra_polisregion']

BRA = "bra_lethal_violence"
SCB = "scb_population"
TRANSCRIBED = "stockholm/region_stockholm_series_transcribed.csv"
REPORTED = "stockholm/reported_figures_transcribed.csv"
SCB_KOMMUN = "stockholm/scb_population_malmogram/Data-Population-by-municipality.csv"
SCB_COUNTY_SUMS = "stockholm/scb_population_malmogram/population_stockholms_lan_kommuner_1950_2020.csv"
SCB_TRANSCRIBED = "stockholm/population_stockholm_transcribed.csv"

M_CASES = "Brå konstaterade fall av dödligt våld"
M_RATE = "Brå konstaterade fall av dödligt våld per 100 000 invånare"
M_FIREARM = "Brå konstaterade fall av dödligt våld med skjutvapen"
NATIONAL_INDICATOR = "Brå konstaterade fall av dödligt våld (victims)"

SERIES = "bra_polisregion"


def read_reported_national(path, indicator: str = NATIONAL_INDICATOR) -> pd.DataFrame:
    """One national annual series from reported_figures_transcribed.csv: columns year, value."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["indicator", "geography", "period", "value", "original_publisher"], path)
    rows = df[(df["indicator"].str.strip() == indicator) & (df["geography"].str.strip() == "Sverige")]
    if rows.empty:
        raise DataError(path, f"no rows for '{indicator}', Sverige", field="indicator")
    out = pd.DataFrame({"year": to_count(rows["period"], path, "period"),
                        "value": to_count(rows["value"], path, "value")}, index=rows.index)
    expect_unique(out, ["year"], path)
    return out


def _definitions() -> pd.DataFrame:
    return pd.DataFrame([
        {"indicator": "bra_lethal_violence_firearm_polisregion",
         "label": "Lethal violence with firearms, police region (Brå)",
         "definition": "Cases of lethal violence confirmed by Brå in which a firearm was used, in the police "
                       "region (for Stockholm: Stockholms län plus Gotland). One case is one person killed. "
                       "Published figures quoted in news reports of Brå's annual release; only some years "
                       "were found.",
         "unit": "cases", "scope": "city"},
        {"indicator": "bra_lethal_violence_national",
         "label": "Confirmed lethal violence, Sweden (Brå)",
         "definition": "Cases of lethal violence (murder, manslaughter, assault with lethal outcome) confirmed "
                       "by Brå after reviewing police investigations, whole of Sweden; one case is one person "
                       "killed. Transcribed from a third-party copy of Brå's table and checked against bra.se "
                       "or news for 2002 and 2012-2024; 2003-2011 and 2025 rest on that copy alone.",
         "unit": "cases", "scope": "country"},
        {"indicator": "bra_lethal_violence_national_rate",
         "label": "Confirmed lethal violence per 100,000, Sweden (Brå, SCB)",
         "definition": "bra_lethal_violence_national per 100,000 inhabitants of Sweden on 31 December of the "
                       "same year (SCB; sum of all 290 kommuner to 2020, SCB's national table for 2024). "
                       "Empty where no SCB population was available (2021-2023, 2025).",
         "unit": "per 100,000 inhabitants", "scope": "country"},
        {"indicator": "bra_lethal_violence_firearm_national",
         "label": "Lethal violence with firearms, Sweden (Brå)",
         "definition": "Cases of lethal violence confirmed by Brå in which a firearm was used, whole of Sweden. "
                       "2019, 2021 and 2023 are computed from differences stated in the same Brå release "
                       "(e.g. 48 in 2020 was 3 more than 2019).",
         "unit": "cases", "scope": "country"},
    ])


def derive(ctx) -> dict[str, pd.DataFrame]:
    transcribed_path = ctx.raw(BRA, TRANSCRIBED)
    reported_path = ctx.raw(BRA, REPORTED)
    kommun_path = ctx.raw(SCB, SCB_KOMMUN)
    series = read_transcribed_series(transcribed_path)
    kommun_pop = read_scb_kommun_population(kommun_path)
    check_county_list(kommun_pop, ctx.raw(SCB, SCB_COUNTY_SUMS), "01")

    annual, indicators = [], []
    for city, params in ctx.cities_for("sweden_bra"):
        name = params.get("police_region")
        counties = police_region(name, "data/cities.yml")
        label = region_label(name)
        counts, _ = annual_values(series, transcribed_path, measure=M_CASES, region=label)
        if counts.empty:
            raise DataError(transcribed_path, f"no Brå counts for {label}", field="region")
        kommuner = [k for c in counties for k in COUNTY_KOMMUNER[c]]
        pop = population_of(kommun_pop, kommuner, kommun_path)
        rows = pd.DataFrame({
            "city": city["slug"], "year": counts["year"], "series": SERIES, "homicides": counts["value"],
            "population": counts["year"].map(pop).astype("Int64"),
            "unit": f"police region ({' + '.join(COUNTY_NAMES[c] for c in counties)})",
            "source_id": BRA, "population_source_id": SCB, "status": "final"})
        rows.loc[rows["population"].isna(), "population_source_id"] = None
        # Brå's own published rate must be reproduced by count / population of the same territory.
        rates = published_rate(series, transcribed_path, measure=M_RATE, region=label)
        if len(rates):
            chk = rates.merge(rows, on="year", how="left")
            expect_rate_consistent(chk["homicides"], chk["population"], chk["rate"], transcribed_path,
                                   rows=[csv_row(i) for i in rates.index])
        annual.append(rows)

        firearm, _ = annual_values(series, transcribed_path, measure=M_FIREARM, region=label)
        indicators.append(pd.DataFrame({
            "city": city["slug"], "year": firearm["year"], "indicator": "bra_lethal_violence_firearm_polisregion",
            "value": firearm["value"], "unit": "cases", "source_id": BRA}))

    # National series: the transcribed table, which must agree with every reliable page quoting Brå.
    national = read_reported_national(reported_path)
    expect_years(national["year"], reported_path, first=2002, last=2025, field="period")
    pages, _ = annual_values(series, transcribed_path, measure=M_CASES, region="Sverige")
    both = pages.merge(national, on="year", suffixes=("_page", "_table"))
    bad = both[both["value_page"] != both["value_table"]]
    if len(bad):
        r = bad.iloc[0]
        raise DataError(reported_path, f"Brå national {r['year']}: table {r['value_table']} but a page quoting "
                                       f"Brå gives {r['value_page']}", field="value")
    riket = national_population(kommun_pop, kommun_path)
    extra = read_transcribed_population(ctx.raw(SCB, SCB_TRANSCRIBED))
    extra = extra[extra["region_code"] == "00"].set_index("year")["population"].astype("int64")
    for y in set(riket.index) & set(extra.index):
        if riket[y] != extra[y]:
            raise DataError(SCB_TRANSCRIBED, f"Riket {y}: {extra[y]} differs from the SCB kommun sum {riket[y]}",
                            field="population_31dec")
    riket = pd.concat([riket, extra[~extra.index.isin(riket.index)]]).sort_index()
    national = national.astype({"year": int, "value": int})
    rate = national.assign(pop=national["year"].map(riket)).dropna(subset=["pop"])
    firearm_nat, _ = annual_values(series, transcribed_path, measure=M_FIREARM, region="Sverige")
    country = pd.concat([
        pd.DataFrame({"country": "SWE", "year": national["year"], "indicator": "bra_lethal_violence_national",
                      "value": national["value"], "unit": "cases", "source_id": BRA}),
        pd.DataFrame({"country": "SWE", "year": rate["year"], "indicator": "bra_lethal_violence_national_rate",
                      "value": rate["value"] / rate["pop"] * 1e5, "unit": "per 100,000 inhabitants",
                      "source_id": BRA}),
        pd.DataFrame({"country": "SWE", "year": firearm_nat["year"],
                      "indicator": "bra_lethal_violence_firearm_national", "value": firearm_nat["value"],
                      "unit": "cases", "source_id": BRA}),
    ], ignore_index=True)
    return {
        "homicides_annual": pd.concat(annual, ignore_index=True) if annual else pd.DataFrame(),
        "indicators": pd.concat(indicators, ignore_index=True) if indicators else pd.DataFrame(),
        "country_context": country,
        "indicator_definitions": _definitions(),
    }
