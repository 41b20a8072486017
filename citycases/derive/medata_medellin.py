"""Medellín's own homicide records (Alcaldía, SISC, published on MEData): city totals, months, comunas.

Two copies of the MEData "homicidio" records are read, each from a different repository snapshot:
    medata_2010_2019  the crimemappingdata extract, 2010-2019, rows without coordinates kept; times in UTC,
                      converted here to Bogotá time before counting.
    medata_cleaned    the jprm610 copy, 2003 to 2023-11-29, after its author dropped rows without
                      coordinates and incomplete rows: a subset, best used for shares within the city.
One row is one victim (MEData's `cantidad` was dropped upstream). Only complete periods are written:
the cleaned copy stops on 2023-11-29, so its last year is 2022 and its last month 2023-10.

Parameters (`derive: medata_medellin: {...}`): dane_code, the DANE code of the population denominator
("05001"); this step reads Medellín-only files, so it serves that one city.
"""
from __future__ import annotations

import json

import pandas as pd

from ..checks import csv_row, expect_columns, first_bad, to_count
from ..errors import DataError
from .colombia_police import (DANE_POP, POP_CENSUS_2005, POP_CENSUS_2018, dane_code_of, population_for,
                              read_population_2005_base, read_population_2018_base)

CLEANED = "medellin_medata_homicidio_cleaned"
EXTRACT = "medellin_medata_homicidio_2010_2019"
COMUNAS = "medellin_catastro_comunas"
SOURCES = [CLEANED, EXTRACT, COMUNAS, DANE_POP]
# Keys of a city's `derive: medata_medellin:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "dane_code": "DANE code of the population denominator, quoted: '05001'",
}
REQUIRED_PARAMETERS = ["dane_code"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['medata_cleaned', 'medata_2010_2019']

CLEANED_FILE = "medellin/crimenesmedellin/homicidios.csv"
EXTRACT_FILE = "medellin/crimemappingdata/medellin_homicides.csv"
COMUNAS_FILE = "medellin/crimemappingdata/medellin_comunas.geojson"

# Coverage as documented in PROVENANCE.md; a file covering other dates is a different snapshot.
CLEANED_FIRST, CLEANED_LAST_DAY = "2003-01-01", "2023-11-29"
CLEANED_LAST_YEAR, CLEANED_LAST_MONTH = 2022, "2023-10"
EXTRACT_UTC_FIRST, EXTRACT_UTC_LAST = "2010-01-01", "2019-12-31"
EXTRACT_YEARS = (2010, 2019)
LOCAL_TZ = "America/Bogota"
FIREARM = "Arma de fuego"
FIREARM_INDICATOR = "firearm_share_medata"


def _timestamps(raw: pd.Series, path, field: str) -> pd.Series:
    """Parse ISO timestamps with an offset (UTC-aware); the first unreadable one is reported."""
    t = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    i = first_bad(t.isna())
    if i is not None:
        raise DataError(path, f"not a timestamp: {raw.loc[i]!r}", row=csv_row(i), field=field)
    return t


def _local_day(t: pd.Series) -> pd.Series:
    """Calendar date in Medellín (Bogotá time), where the homicide happened."""
    return t.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()


def read_cleaned(path) -> pd.DataFrame:
    """The cleaned MEData copy: one row per victim with local date, comuna code and modality."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["FECHA_HECHO", "CODIGO_COMUNA", "MODALIDAD"], path)
    date = _local_day(_timestamps(df["FECHA_HECHO"], path, "FECHA_HECHO"))
    first, last = date.min().strftime("%Y-%m-%d"), date.max().strftime("%Y-%m-%d")
    if first != CLEANED_FIRST or last != CLEANED_LAST_DAY:
        raise DataError(path, f"records run {first} to {last}, expected {CLEANED_FIRST} to {CLEANED_LAST_DAY}",
                        field="FECHA_HECHO", fix="a new snapshot: update the coverage constants and caveats")
    comuna = to_count(df["CODIGO_COMUNA"], path, "CODIGO_COMUNA")
    empty = df["MODALIDAD"].str.strip() == ""
    i = first_bad(empty)
    if i is not None:
        raise DataError(path, "empty modality", row=csv_row(i), field="MODALIDAD")
    return pd.DataFrame({"date": date, "area_id": comuna.astype(int).map(lambda c: f"{c:02d}"),
                         "modality": df["MODALIDAD"].str.strip()})


def read_extract(path) -> pd.DataFrame:
    """The 2010-2019 MEData extract (semicolon-separated, UTC times): one row per victim, local date."""
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["fecha_hecho", "modalidad"], path)
    utc = _timestamps(df["fecha_hecho"], path, "fecha_hecho")
    day = utc.dt.strftime("%Y-%m-%d")
    out = (day < EXTRACT_UTC_FIRST) | (day > EXTRACT_UTC_LAST)
    i = first_bad(out)
    if i is not None:
        raise DataError(path, f"record outside the extract window {EXTRACT_UTC_FIRST}..{EXTRACT_UTC_LAST} (UTC)",
                        row=csv_row(i), field="fecha_hecho")
    return pd.DataFrame({"date": _local_day(utc)})


def read_comunas(path) -> pd.DataFrame:
    """Comuna/corregimiento codes and names from the Alcaldía's catastro layer."""
    try:
        gj = json.loads(open(path, encoding="utf-8").read())
        props = [f["properties"] for f in gj["features"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(path, f"not a GeoJSON feature collection: {exc}") from None
    df = pd.DataFrame(props)
    expect_columns(df, ["COMUNA", "NOMBRE"], path)
    bad = ~df["COMUNA"].astype("string").str.fullmatch(r"\d{2}").fillna(False)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed COMUNA code {df.loc[i, 'COMUNA']!r}", row=f"feature {i + 1}",
                        field="COMUNA")
    dup = df["COMUNA"].duplicated()
    i = first_bad(dup)
    if i is not None:
        raise DataError(path, f"COMUNA {df.loc[i, 'COMUNA']} appears twice", row=f"feature {i + 1}", field="COMUNA")
    # Codes 01-16 are the urban comunas; 50-90 are the rural corregimientos.
    return pd.DataFrame({"area_id": df["COMUNA"], "area_name": df["NOMBRE"].str.strip(),
                         "area_type": ["comuna" if int(c) < 50 else "corregimiento" for c in df["COMUNA"]]})


# --------------------------------------------------------------------------- tables
def annual_counts(dates: pd.Series, first: int, last: int, *, file) -> pd.Series:
    years = dates.dt.year
    counts = years[(years >= first) & (years <= last)].value_counts().sort_index()
    missing = sorted(set(range(first, last + 1)) - set(counts.index))
    if missing:  # a year without one record would mean a gap in the snapshot, not zero homicides
        raise DataError(file, f"no records at all in {missing}", field="date")
    return counts


def monthly_counts(dates: pd.Series, first: str, last: str) -> pd.Series:
    months = dates.dt.strftime("%Y-%m")
    counts = months[(months >= first) & (months <= last)].value_counts().sort_index()
    want = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    return counts.reindex(want, fill_value=0)


def subcity_rows(cleaned: pd.DataFrame, comunas: pd.DataFrame, *, file) -> pd.DataFrame:
    unknown = sorted(set(cleaned["area_id"]) - set(comunas["area_id"]))
    if unknown:
        i = cleaned.index[cleaned["area_id"].isin(unknown)][0]
        raise DataError(file, f"comuna code(s) {unknown} not in the comunas layer", row=csv_row(i),
                        field="CODIGO_COMUNA")
    c = cleaned[cleaned["date"].dt.year <= CLEANED_LAST_YEAR]
    counts = c.groupby([c["date"].dt.year.rename("year"), "area_id"]).size()
    # Every record carries a comuna, so an area with no record in a year had no recorded homicide.
    full = pd.MultiIndex.from_product([range(c["date"].dt.year.min(), CLEANED_LAST_YEAR + 1), comunas["area_id"]],
                                      names=["year", "area_id"])
    out = counts.reindex(full, fill_value=0).rename("homicides").reset_index()
    return out.merge(comunas, on="area_id", how="left")


def firearm_share(modality: pd.Series, years: pd.Series, last: int) -> pd.DataFrame:
    keep = years <= last
    g = pd.DataFrame({"year": years[keep], "fire": (modality[keep] == FIREARM)}).groupby("year")["fire"]
    return pd.DataFrame({"year": g.mean().index, "value": (g.mean() * 100).round(4).to_numpy()})


FIREARM_DEFINITION = {
    "indicator": FIREARM_INDICATOR, "label": "Homicide victims killed with a firearm (MEData)",
    "definition": "Share of homicide victims in the Alcaldía's MEData/SISC records whose modality is 'Arma de "
                  "fuego', out of all victims of the year, in the cleaned copy that leaves out records without "
                  "coordinates (so a subset of all victims). Full years 2003-2022.",
    "unit": "percent of homicide victims", "scope": "city",
}


def derive(ctx) -> dict[str, pd.DataFrame]:
    cities = ctx.cities_for("medata_medellin")
    if not cities:
        return {}
    if len(cities) > 1:
        raise DataError("data/cities.yml", "medata_medellin holds Medellín's records only; it is named by "
                                           f"{[c['slug'] for c, _ in cities]}", field="derive")
    city, params = cities[0]
    code = dane_code_of(params)
    cleaned_path, extract_path = ctx.raw(CLEANED, CLEANED_FILE), ctx.raw(EXTRACT, EXTRACT_FILE)
    cleaned = read_cleaned(cleaned_path)
    extract = read_extract(extract_path)
    comunas = read_comunas(ctx.raw(COMUNAS, COMUNAS_FILE))
    pop = population_for(code, read_population_2005_base(ctx.raw(DANE_POP, POP_CENSUS_2005)),
                         read_population_2018_base(ctx.raw(DANE_POP, POP_CENSUS_2018)))
    if pop.empty:
        raise DataError("data/cities.yml", f"no DANE population for {code}", field="derive.medata_medellin.dane_code")

    annual = []
    for series, source, counts in [
        ("medata_cleaned", CLEANED, annual_counts(cleaned["date"], 2003, CLEANED_LAST_YEAR, file=cleaned_path)),
        ("medata_2010_2019", EXTRACT, annual_counts(extract["date"], *EXTRACT_YEARS, file=extract_path)),
    ]:
        p = pop.reindex(counts.index)
        annual.append(pd.DataFrame({"city": city["slug"], "year": counts.index, "series": series,
                                    "homicides": counts.to_numpy(), "population": p.to_numpy(),
                                    "unit": city["unit"], "source_id": source,
                                    "population_source_id": [DANE_POP if pd.notna(v) else None for v in p],
                                    "status": "final"}))
    monthly = []
    for series, source, counts in [
        ("medata_cleaned", CLEANED, monthly_counts(cleaned["date"], "2003-01", CLEANED_LAST_MONTH)),
        ("medata_2010_2019", EXTRACT, monthly_counts(extract["date"], "2010-01", "2019-12")),
    ]:
        monthly.append(pd.DataFrame({"city": city["slug"], "month": counts.index, "homicides": counts.to_numpy(),
                                     "series": series, "source_id": source}))
    sub = subcity_rows(cleaned, comunas, file=cleaned_path)
    sub.insert(0, "city", city["slug"])
    sub["source_id"] = CLEANED
    fire = firearm_share(cleaned["modality"], cleaned["date"].dt.year, CLEANED_LAST_YEAR)
    fire.insert(0, "city", city["slug"])
    fire["indicator"], fire["unit"], fire["source_id"] = FIREARM_INDICATOR, "percent of homicide victims", CLEANED
    return {
        "homicides_annual": pd.concat(annual, ignore_index=True),
        "homicides_monthly": pd.concat(monthly, ignore_index=True),
        "homicides_subcity": sub,
        "indicators": fire,
        "indicator_definitions": pd.DataFrame([FIREARM_DEFINITION]),
    }
