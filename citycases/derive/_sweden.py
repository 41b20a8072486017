"""Shared readers for the Swedish steps: SCB population, Swedish territories, and the hand-transcribed
series of published figures (region_stockholm_series_transcribed.csv).

Not a step (leading underscore): the steps sweden_bra, sweden_police_stats, sweden_police_events and
sweden_eurostat import from here.
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique, to_count, to_number
from ..errors import DataError

# Kommuner of each county (län), by SCB county code. Reference data: the county composition has been
# stable since Nykvarn was created in 1999, and the SCB table used here is on current borders.
COUNTY_KOMMUNER: dict[str, tuple[str, ...]] = {
    "01": ("Botkyrka", "Danderyd", "Ekerö", "Haninge", "Huddinge", "Järfälla", "Lidingö", "Nacka",
           "Norrtälje", "Nykvarn", "Nynäshamn", "Salem", "Sigtuna", "Sollentuna", "Solna", "Stockholm",
           "Sundbyberg", "Södertälje", "Tyresö", "Täby", "Upplands Väsby", "Upplands-Bro", "Vallentuna",
           "Vaxholm", "Värmdö", "Österåker"),
    "09": ("Gotland",),
}
COUNTY_NAMES = {"01": "Stockholms län", "09": "Gotlands län"}

# Police regions since the reorganisation of 1 January 2015 (Brå, "Nu delas anmälda brott in i regioner",
# 2015-02-12: Polisregion Stockholm = Stockholms län + Gotland). Only the regions a city uses are listed.
POLICE_REGIONS: dict[str, tuple[str, ...]] = {"Stockholm": ("01", "09")}

# How the transcribed file names each police region in its `region` column. Rows whose region carries a
# "[page says ...]" qualifier do not match: the page named another territory.
REGION_LABELS = {"Stockholm": "Polisregion Stockholm (Stockholms län + Gotland)"}


def region_label(police_region: str) -> str:
    return REGION_LABELS[police_region]


def police_region(name, file) -> tuple[str, ...]:
    if name not in POLICE_REGIONS:
        raise DataError(file, f"unknown police region '{name}'", field="police_region",
                        fix=f"use one of {sorted(POLICE_REGIONS)} or add it to POLICE_REGIONS and REGION_LABELS")
    return POLICE_REGIONS[name]


# --------------------------------------------------------------------------- SCB population
def read_scb_kommun_population(path) -> pd.DataFrame:
    """SCB population on 31 December by kommun (malmogram copy of SCB's 1950-2020 table):
    columns kommun, year, population; one row per kommun and year."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["Kommun", "År", "Befolkning"], path)
    out = pd.DataFrame({
        "kommun": df["Kommun"].str.strip(),
        "year": to_count(df["År"], path, "År"),
        "population": to_count(df["Befolkning"], path, "Befolkning"),
    })
    expect_unique(out, ["kommun", "year"], path)
    return out


def population_of(kommun_pop: pd.DataFrame, kommuner, file) -> pd.Series:
    """Sum of the given kommuner by year; only years in which every one of them has a value."""
    kommuner = list(kommuner)
    missing = sorted(set(kommuner) - set(kommun_pop["kommun"]))
    if missing:
        raise DataError(file, f"kommun(er) {missing} not in the population table", field="Kommun")
    sub = kommun_pop[kommun_pop["kommun"].isin(kommuner)]
    n = sub.groupby("year")["kommun"].nunique()
    total = sub.groupby("year")["population"].sum()
    return total[n == len(kommuner)].astype("int64")


def national_population(kommun_pop: pd.DataFrame, file, n_kommuner: int = 290) -> pd.Series:
    """Riket = sum of all kommuner, for years in which all of them are present."""
    n = kommun_pop.groupby("year")["kommun"].nunique()
    short = n[n != n_kommuner]
    if len(short):
        raise DataError(file, f"year {short.index[0]} has {short.iloc[0]} kommuner, expected {n_kommuner}",
                        field="Kommun")
    return kommun_pop.groupby("year")["population"].sum().astype("int64")


def check_county_list(kommun_pop: pd.DataFrame, county_sums_path, county: str = "01") -> None:
    """The collector's derived county sums must equal our sums over COUNTY_KOMMUNER (same kommun list)."""
    df = pd.read_csv(county_sums_path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["kommun", "year", "population_31dec"], county_sums_path)
    label = f"{COUNTY_NAMES[county]} (sum"
    rows = df[df["kommun"].str.startswith(label)]
    if rows.empty:
        raise DataError(county_sums_path, f"no '{COUNTY_NAMES[county]}' sum rows", field="kommun")
    listed = set(df["kommun"]) - set(df.loc[df["kommun"].str.contains(r"\(sum", regex=True), "kommun"])
    if listed != set(COUNTY_KOMMUNER[county]):
        raise DataError(county_sums_path, f"kommun list differs from COUNTY_KOMMUNER['{county}']: "
                                          f"{sorted(listed ^ set(COUNTY_KOMMUNER[county]))}", field="kommun")
    ours = population_of(kommun_pop, COUNTY_KOMMUNER[county], county_sums_path)
    theirs = to_count(rows["population_31dec"], county_sums_path, "population_31dec")
    years = to_count(rows["year"], county_sums_path, "year")
    for i, y, v in zip(rows.index, years, theirs):
        if ours.get(int(y)) != int(v):
            raise DataError(county_sums_path, f"county sum {v} for {y} differs from the kommun sum "
                                              f"{ours.get(int(y))}", row=csv_row(i), field="population_31dec")


def read_transcribed_population(path) -> pd.DataFrame:
    """Hand-transcribed SCB population (31 December) for 0180, 01 and 00: columns year, region_code,
    geography, population."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["year", "geography", "region_code", "population_31dec", "cited_in_url"], path)
    out = pd.DataFrame({
        "year": to_count(df["year"], path, "year"),
        "region_code": df["region_code"].str.strip(),
        "geography": df["geography"].str.strip(),
        "population": to_count(df["population_31dec"], path, "population_31dec"),
    })
    expect_unique(out, ["region_code", "year"], path)
    return out


# --------------------------------------------------------------------------- transcribed published figures
TRANSCRIBED_COLUMNS = ["series", "year", "period", "region", "measure", "value", "unit", "source_class",
                       "publisher", "original_agency", "url", "quote", "derived", "derivation", "note"]
# PROVENANCE (section 9): rows of class secondary_low_reliability_quoting_agency are for cross-checks only.
RELIABLE_CLASSES = ("official", "news_quoting_agency")
# "yes" = arithmetic on published statements (e.g. 45 - 11), shown in `derivation`; "year_inferred" rows
# have a year guessed by the transcriber and are never used.
USABLE_DERIVED = ("no", "yes")


def read_transcribed_series(path) -> pd.DataFrame:
    """All rows of the transcribed file, as strings, index = position in the file (for row numbers)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, TRANSCRIBED_COLUMNS, path)
    for c in ("series", "year", "period", "region", "measure", "value", "source_class", "derived"):
        df[c] = df[c].str.strip()
    return df


def annual_values(df: pd.DataFrame, file, *, measure: str, region: str,
                  preferred: dict[int, int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Full-calendar-year values of one measure for one region, from reliable rows only.

    Returns (main, other): one row per year (year, value, derived) in `main`; where pages publish
    different values for the same year, `preferred[year]` names the one to keep in `main` and the others
    go to `other`. An unforeseen disagreement is an error, so that a new conflicting row is never
    silently averaged or dropped.
    """
    preferred = preferred or {}
    rows = df[(df["measure"] == measure) & (df["region"] == region) & (df["period"] == df["year"])
              & df["source_class"].isin(RELIABLE_CLASSES) & df["derived"].isin(USABLE_DERIVED)]
    if rows.empty:
        return (pd.DataFrame(columns=["year", "value", "derived"]),) * 2
    years = to_count(rows["year"], file, "year")
    values = to_count(rows["value"], file, "value")
    tidy = pd.DataFrame({"year": years.astype(int), "value": values.astype(int),
                         "derived": rows["derived"] == "yes"}, index=rows.index)
    main, other = [], []
    for year, grp in tidy.groupby("year", sort=True):
        distinct = sorted(set(grp["value"]))
        if year in preferred and preferred[year] not in distinct:
            raise DataError(file, f"PREFERRED value {preferred[year]} for '{measure}', {year} is not among the "
                                  f"published values {distinct}", row=csv_row(grp.index[0]), field="value")
        if len(distinct) == 1:
            pick = distinct[0]
        elif year in preferred:
            pick = preferred[year]
        else:
            raise DataError(file, f"published values disagree for '{measure}', {region}, {year}: {distinct}",
                            row=csv_row(grp.index[0]), field="value",
                            fix="name the value to keep (the later, revised one) in the step's PREFERRED table")
        sel = grp[grp["value"] == pick]
        # a value counts as derived only if no page states it directly
        main.append({"year": year, "value": pick, "derived": bool(sel["derived"].all())})
        for v in distinct:
            if v != pick:
                g = grp[grp["value"] == v]
                other.append({"year": year, "value": v, "derived": bool(g["derived"].all())})
    for year, v in preferred.items():
        if year not in tidy["year"].values:
            raise DataError(file, f"PREFERRED names {year} for '{measure}' but the file has no such year",
                            field="year")
    cols = ["year", "value", "derived"]
    return pd.DataFrame(main, columns=cols), pd.DataFrame(other, columns=cols)


def published_rate(df: pd.DataFrame, file, *, measure: str, region: str) -> pd.DataFrame:
    """Published rates per 100,000 (year, rate) for a measure and region, reliable full-year rows."""
    rows = df[(df["measure"] == measure) & (df["region"] == region) & (df["period"] == df["year"])
              & df["source_class"].isin(RELIABLE_CLASSES) & df["derived"].isin(USABLE_DERIVED)]
    return pd.DataFrame({"year": to_count(rows["year"], file, "year").astype(int),
                         "rate": to_number(rows["value"], file, "value")}, index=rows.index)
