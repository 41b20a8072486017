"""Colombian National Police (DIJIN) homicide victims for any municipality, by DANE code, 1990-2024.

Parameters in data/cities.yml (`derive: colombia_police: {...}`):
    dane_code       5-digit DIVIPOLA municipality code, e.g. "05001" (Medellín), "11001" (Bogotá). Required.
    monthly_column  optional: column of the monthly Police file holding this city (the file only has
                    "colombia", "antioquia" and "medellin"); without it no monthly rows are produced.
    victim_records  optional, true/false: derive the firearm share of victims from the victim-level
                    Police file (it only holds Medellín rows); without it no indicator is produced.

Series written to homicides_annual (each must be described under the city's `series:`):
    police                     1990-2002 from the finiterank compilation of Police counts, 2003-2024
                               from the DIJIN spreadsheets aggregated by municipality-year.
    police_finiterank          the whole finiterank compilation (1990-2013) except 2011, to show how the
                               older Police extraction compares with DIJIN's in the overlap 2003-2013.
    medicina_legal_finiterank  finiterank's 2011 value, which its authors took from Medicina Legal.
Population: DANE projections on the 2005-census base to 2017 and the 2018-census base from 2018;
before 2003 the DANE figures carried in the finiterank file.
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import (
    csv_row, expect_columns, expect_rate_consistent, expect_unique, expect_years, first_bad, to_count, to_number,
)
from ..errors import DataError

POLICE = "colombia_police_dijin_homicides"
FINITERANK = "finiterank_homicidios_1990_2013"
DANE_POP = "colombia_dane_population_projections"
SOURCES = [POLICE, FINITERANK, DANE_POP]
# Keys of a city's `derive: colombia_police:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "dane_code": "5-digit DIVIPOLA (DANE) municipality code, quoted: '05001'",
    "monthly_column": "optional: column of the monthly Police file holding this city",
    "victim_records": "optional, true/false: firearm share from the victim-level Police file",
}
REQUIRED_PARAMETERS = ["dane_code"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['police', 'police_finiterank', 'medicina_legal_finiterank']

MUNICIPALITY_YEAR = "medellin/policia_dijin/municipality_year.csv"
MONTHLY = "medellin/policia_dijin/policia_homicidios_mensual_colombia_antioquia_medellin_2003_2024.csv"
VICTIMS = "medellin/policia_dijin/policia_homicidios_medellin_eventos_2003_2024.csv"
FINITERANK_FILE = "medellin/finiterank_homicidios/homicidios.1990.a.2013.csv"
POP_CENSUS_2005 = "medellin/policia_dijin/poblacion_2003_2017_Mpios.csv"
POP_CENSUS_2018 = "medellin/policia_dijin/poblacion_2018_2023.xlsx"

FINITERANK_YEARS = list(range(1990, 2014))
FINITERANK_MEDICINA_LEGAL_YEAR = 2011  # per the compilers' own site: that year's counts are Medicina Legal's
FIRST_DIJIN_YEAR, LAST_DIJIN_YEAR = 2003, 2024
FIREARM = "ARMA DE FUEGO"
FIREARM_INDICATOR = "firearm_share_police"


def _yy(year: int) -> str:
    return f"{year % 100:02d}"


def dane_code_of(params: dict, file="data/cities.yml") -> str:
    code = str(params.get("dane_code", "")).strip()
    if not re.fullmatch(r"\d{5}", code):
        raise DataError(file, f"colombia_police needs a 5-digit dane_code, got {params.get('dane_code')!r}",
                        field="derive.colombia_police.dane_code", fix='quote it, e.g. dane_code: "05001"')
    return code


# --------------------------------------------------------------------------- readers (one per raw file)
def read_finiterank(path) -> pd.DataFrame:
    """The finiterank wide file as long rows (dane_code, year, homicides, population, rate, row) for every
    municipality; `row` is the line in the file.

    'NA' marks a missing value; a population of 0 (rate '0' or '#DIV/0!') is treated as missing. Published
    rates are checked against count and population only for the municipalities a city asks for, because a
    few others carry rates on another scale (2000) or from another count (2011).
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    cols = [f"{k}{_yy(y)}" for y in FINITERANK_YEARS for k in ("hom", "pob", "tas")]
    expect_columns(df, ["cod"] + cols, path)
    bad = ~df["cod"].str.fullmatch(r"\d{4,5}")
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed municipality code {df.loc[i, 'cod']!r}", row=csv_row(i), field="cod")
    df["dane_code"] = df["cod"].str.zfill(5)
    expect_unique(df, ["dane_code"], path)
    frames = []
    for y in FINITERANK_YEARS:
        h, p, t = (f"{k}{_yy(y)}" for k in ("hom", "pob", "tas"))
        hom = to_count(df[h].replace("NA", pd.NA), path, h, allow_missing=True)
        pop = to_count(df[p].replace("NA", pd.NA), path, p, allow_missing=True)
        div0 = df[t] == "#DIV/0!"
        i = first_bad(div0 & (pop != 0).fillna(True))
        if i is not None:
            raise DataError(path, "rate '#DIV/0!' with a non-zero population", row=csv_row(i), field=t)
        rate = to_number(df[t].replace({"NA": pd.NA, "#DIV/0!": pd.NA}), path, t, allow_missing=True)
        rate = rate.mask(pop == 0)
        pop = pop.mask(pop == 0)
        frames.append(pd.DataFrame({"dane_code": df["dane_code"], "year": y, "homicides": hom,
                                    "population": pop, "rate": rate, "row": [csv_row(i) for i in df.index]}))
    out = pd.concat(frames, ignore_index=True)
    return out[out["homicides"].notna()].reset_index(drop=True)


def read_municipality_year(path) -> pd.DataFrame:
    """DIJIN victims by municipality and year, 2003-2024 (the repo author's aggregation of the Police files)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["departamento", "municipio", "year", "total_homicides", "municipio_code",
                        "population", "homic_rate"], path)
    expect_years(df["year"], path, first=FIRST_DIJIN_YEAR, last=LAST_DIJIN_YEAR)
    bad = ~df["municipio_code"].str.fullmatch(r"\d{4,5}")
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed municipality code {df.loc[i, 'municipio_code']!r}",
                        row=csv_row(i), field="municipio_code")
    df["dane_code"] = df["municipio_code"].str.zfill(5)
    df["year"] = df["year"].astype(int)
    # The file repeats a code under two departments where the author matched municipalities by name
    # (05107 Briceño, Antioquia and Boyacá); such a code is refused when a city asks for it.
    expect_unique(df, ["departamento", "dane_code", "year"], path)
    df["homicides"] = to_count(df["total_homicides"], path, "total_homicides")
    df["population"] = to_count(df["population"], path, "population")
    # Municipalities created after the 2005 census have population 0 (and rate 'NA') in their early years.
    na_rate = df["homic_rate"] == "NA"
    i = first_bad(na_rate & (df["population"] != 0))
    if i is not None:
        raise DataError(path, "rate 'NA' with a non-zero population", row=csv_row(i), field="homic_rate")
    df["population"] = df["population"].mask(df["population"] == 0)
    rate = to_number(df["homic_rate"].replace("NA", pd.NA), path, "homic_rate", allow_missing=True)
    expect_rate_consistent(df["homicides"], df["population"], rate, path, rows=[csv_row(i) for i in df.index])
    return df[["departamento", "municipio", "dane_code", "year", "homicides", "population"]]


def read_population_2005_base(path) -> pd.DataFrame:
    """DANE municipal projections on the 2005-census base, 2003-2017, as (dane_code, year, population)."""
    years = [str(y) for y in range(2003, 2018)]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["municipio_code"] + years, path)
    bad = ~df["municipio_code"].str.fullmatch(r"\d{5}")
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed municipality code {df.loc[i, 'municipio_code']!r}",
                        row=csv_row(i), field="municipio_code")
    expect_unique(df, ["municipio_code"], path)
    frames = [pd.DataFrame({"dane_code": df["municipio_code"], "year": int(y),
                            "population": to_count(df[y], path, y)}) for y in years]
    return pd.concat(frames, ignore_index=True)


def read_population_2018_base(path) -> pd.DataFrame:
    """DANE municipal projections on the 2018-census base, 2018-2024, as (dane_code, year, population)."""
    df = pd.read_excel(path, dtype=str)
    expect_columns(df, ["municipio_code", "year", "poblacion"], path)
    expect_years(df["year"], path, first=2018, last=2024)
    bad = ~df["municipio_code"].astype("string").str.fullmatch(r"\d{4,5}").fillna(False)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"malformed municipality code {df.loc[i, 'municipio_code']!r}",
                        row=csv_row(i), field="municipio_code")
    out = pd.DataFrame({"dane_code": df["municipio_code"].str.zfill(5), "year": df["year"].astype(int),
                        "population": to_count(df["poblacion"], path, "poblacion")})
    expect_unique(out, ["dane_code", "year"], path)
    return out


def read_monthly(path) -> pd.DataFrame:
    """Police victims by month for the columns the file holds (colombia, antioquia, medellin)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["year", "month"], path)
    expect_years(df["year"], path, first=FIRST_DIJIN_YEAR, last=LAST_DIJIN_YEAR)
    month = to_count(df["month"], path, "month")
    bad = (month < 1) | (month > 12)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"month {df.loc[i, 'month']!r} is not 1-12", row=csv_row(i), field="month")
    df["year"], df["month"] = df["year"].astype(int), month.astype(int)
    expect_unique(df, ["year", "month"], path)
    for c in df.columns.difference(["year", "month"]):
        df[c] = to_count(df[c], path, c)
    return df


def read_victims(path) -> pd.DataFrame:
    """Victim-level Police rows (one row per date/weapon/sex/age group, `cantidad` victims)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["codigo_dane", "fecha_hecho", "armas_medios", "cantidad"], path)
    date = pd.to_datetime(df["fecha_hecho"], format="%Y-%m-%d", errors="coerce")
    i = first_bad(date.isna())
    if i is not None:
        raise DataError(path, f"not a date: {df.loc[i, 'fecha_hecho']!r}", row=csv_row(i), field="fecha_hecho")
    df["year"] = date.dt.year
    expect_years(df["year"], path, lo=FIRST_DIJIN_YEAR, hi=LAST_DIJIN_YEAR, field="fecha_hecho")
    df["cantidad"] = to_count(df["cantidad"], path, "cantidad")
    return df[["codigo_dane", "year", "armas_medios", "cantidad"]]


# --------------------------------------------------------------------------- per-city selection
def police_years(muni: pd.DataFrame, code: str, file) -> pd.DataFrame:
    rows = muni[muni["dane_code"] == code]
    if rows.empty:
        raise DataError(file, f"no rows for municipality {code}", field="municipio_code",
                        fix="check the dane_code in data/cities.yml")
    dup = rows.duplicated("year", keep=False)
    if dup.any():
        names = sorted(set(rows.loc[dup, "departamento"] + " / " + rows.loc[dup, "municipio"]))
        raise DataError(file, f"municipality code {code} appears under several names in one year: {names}",
                        row=csv_row(rows[dup].index[0]), field="municipio_code")
    return rows.sort_values("year")


def population_for(code: str, pop05: pd.DataFrame, pop18: pd.DataFrame) -> pd.Series:
    """DANE population by year for one municipality: 2005-census base to 2017, 2018-census base after.

    A 0 (a municipality that did not yet exist in the 2005-base projections) is no population, so left out.
    """
    pop = pd.concat([pop05[pop05["dane_code"] == code], pop18[pop18["dane_code"] == code]])
    pop = pop[pop["population"] > 0]
    return pop.set_index("year")["population"]


def annual_rows(code: str, fin: pd.DataFrame, muni: pd.DataFrame, pop05: pd.DataFrame, pop18: pd.DataFrame,
                *, files: dict) -> pd.DataFrame:
    """homicides_annual rows (without city/unit) for one municipality."""
    police = police_years(muni, code, files["muni"])
    dane = population_for(code, pop05, pop18)
    # The DIJIN aggregation carries DANE populations: they must be the ones read from DANE's own files.
    for _, r in police.iterrows():
        if r["year"] in dane.index and pd.notna(r["population"]) and dane[r["year"]] != r["population"]:
            raise DataError(files["muni"], f"population {r['population']} of {code} in {r['year']} differs "
                                           f"from DANE's {dane[r['year']]}", row=csv_row(r.name), field="population")
    fr = fin[fin["dane_code"] == code].reset_index(drop=True)
    expect_rate_consistent(fr["homicides"], fr["population"], fr["rate"], files["fin"], rows=list(fr["row"]))
    for _, r in fr.iterrows():
        if r["year"] in dane.index and pd.notna(r["population"]) and dane[r["year"]] != r["population"]:
            raise DataError(files["fin"], f"population {r['population']} of {code} in {r['year']} differs "
                                          f"from DANE's {dane[r['year']]}", row=r["row"],
                            field=f"pob{_yy(r['year'])}")
    out = []
    early = fr[fr["year"] < FIRST_DIJIN_YEAR]
    for _, r in early.iterrows():
        out.append({"year": r["year"], "series": "police", "homicides": r["homicides"],
                    "population": r["population"], "source_id": FINITERANK,
                    "population_source_id": FINITERANK if pd.notna(r["population"]) else None})
    for _, r in police.iterrows():
        p = dane.get(r["year"])
        out.append({"year": r["year"], "series": "police", "homicides": r["homicides"], "population": p,
                    "source_id": POLICE, "population_source_id": DANE_POP if p is not None else None})
    for _, r in fr.iterrows():
        series = ("medicina_legal_finiterank" if r["year"] == FINITERANK_MEDICINA_LEGAL_YEAR
                  else "police_finiterank")
        out.append({"year": r["year"], "series": series, "homicides": r["homicides"],
                    "population": r["population"], "source_id": FINITERANK,
                    "population_source_id": FINITERANK if pd.notna(r["population"]) else None})
    df = pd.DataFrame(out)
    df["status"] = "final"
    return df


def monthly_rows(code: str, column: str, monthly: pd.DataFrame, muni: pd.DataFrame, *, files: dict) -> pd.DataFrame:
    if column not in monthly.columns or column in ("year", "month"):
        raise DataError(files["monthly"], f"no column {column!r} (the file has "
                                          f"{[c for c in monthly.columns if c not in ('year', 'month')]})",
                        field=column, fix="set monthly_column in data/cities.yml to one of those, or drop it")
    police = police_years(muni, code, files["muni"]).set_index("year")["homicides"]
    sums = monthly.groupby("year")[column].sum()
    for y, total in sums.items():
        if y not in police.index or police[y] != total:
            raise DataError(files["monthly"], f"monthly {column!r} sums to {total} in {y}, but the annual Police "
                                              f"file gives {police.get(y)} for {code}", field=column,
                            fix="monthly_column must be the column of this city")
    return pd.DataFrame({"month": [f"{y:04d}-{m:02d}" for y, m in zip(monthly["year"], monthly["month"])],
                         "homicides": monthly[column].to_numpy(), "series": "police", "source_id": POLICE})


def firearm_rows(code: str, victims: pd.DataFrame, muni: pd.DataFrame, *, files: dict) -> pd.DataFrame:
    """Share of victims killed with a firearm, per year with municipality-coded rows (2011 on)."""
    coded = victims[victims["codigo_dane"] != ""]
    rows = coded[coded["codigo_dane"].str.zfill(8).str[:5] == code]
    if rows.empty:
        raise DataError(files["victims"], f"no victim rows with a DANE code of {code}", field="codigo_dane",
                        fix="this file holds Medellín only: drop victim_records for other cities")
    blank = rows["armas_medios"] == ""
    i = first_bad(blank)
    if i is not None:
        raise DataError(files["victims"], "weapon missing on a coded row", row=csv_row(i), field="armas_medios")
    police = police_years(muni, code, files["muni"]).set_index("year")["homicides"]
    g = rows.assign(fire=rows["cantidad"].where(rows["armas_medios"] == FIREARM, 0)).groupby("year")
    total, fire = g["cantidad"].sum(), g["fire"].sum()
    for y, t in total.items():
        if police.get(y) != t:
            raise DataError(files["victims"], f"victims of {code} sum to {t} in {y}, but the annual Police file "
                                              f"gives {police.get(y)}", field="cantidad")
    return pd.DataFrame({"year": total.index, "indicator": FIREARM_INDICATOR,
                         "value": (fire / total * 100).round(4).to_numpy(),
                         "unit": "percent of homicide victims", "source_id": POLICE})


FIREARM_DEFINITION = {
    "indicator": FIREARM_INDICATOR, "label": "Homicide victims killed with a firearm (Police)",
    "definition": "Share of homicide victims recorded by the Colombian National Police (DIJIN) whose weapon "
                  "or means is 'ARMA DE FUEGO', out of all victims of the year in the municipality (including "
                  "'NO REPORTADO'). Available from 2011, when the Police files start recording the weapon.",
    "unit": "percent of homicide victims", "scope": "city",
}


def derive(ctx) -> dict[str, pd.DataFrame]:
    cities = ctx.cities_for("colombia_police")
    if not cities:
        return {}
    files = {"muni": ctx.raw(POLICE, MUNICIPALITY_YEAR), "fin": ctx.raw(FINITERANK, FINITERANK_FILE)}
    muni = read_municipality_year(files["muni"])
    fin = read_finiterank(files["fin"])
    pop05 = read_population_2005_base(ctx.raw(DANE_POP, POP_CENSUS_2005))
    pop18 = read_population_2018_base(ctx.raw(DANE_POP, POP_CENSUS_2018))
    monthly = victims = None
    annual, months, indicators = [], [], []
    for city, params in cities:
        code = dane_code_of(params)
        a = annual_rows(code, fin, muni, pop05, pop18, files=files)
        a.insert(0, "city", city["slug"])
        a["unit"] = city["unit"]
        annual.append(a)
        if params.get("monthly_column"):
            if monthly is None:
                files["monthly"] = ctx.raw(POLICE, MONTHLY)
                monthly = read_monthly(files["monthly"])
            m = monthly_rows(code, str(params["monthly_column"]), monthly, muni, files=files)
            m.insert(0, "city", city["slug"])
            months.append(m)
        if params.get("victim_records"):
            if victims is None:
                files["victims"] = ctx.raw(POLICE, VICTIMS)
                victims = read_victims(files["victims"])
            f = firearm_rows(code, victims, muni, files=files)
            f.insert(0, "city", city["slug"])
            indicators.append(f)
    out = {"homicides_annual": pd.concat(annual, ignore_index=True)}
    if months:
        out["homicides_monthly"] = pd.concat(months, ignore_index=True)
    if indicators:
        out["indicators"] = pd.concat(indicators, ignore_index=True)
        out["indicator_definitions"] = pd.DataFrame([FIREARM_DEFINITION])
    return out
