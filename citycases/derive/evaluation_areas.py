"""Small-area panels for the Evaluations chapter: table homicides_area_panel.

Three panels, each from raw files already in the source registry (checksums verified by ctx.raw):
    Medellín, barrio x year   homicide victims in the Alcaldía's cleaned MEData copy (one row = one victim),
                              full years 2003-2022, by the barrio code and comuna the records carry. Every barrio
                              seen in the records gets a row for every year (zero when no record falls in it).
    Rio, UPP area x month     letalidade violenta and deaths from intervention by state agents inside the areas
                              of the Pacifying Police Units (ISP), 2007-01 to 2021-12, for the units the city's
                              `rio_upp` block keeps (Mangueirinha, in Duque de Caxias, is left out there),
                              with each unit's installation and closing dates (ISP's list).
    Rio, police district x month  the same two outcomes by CISP for the city's districts, from ISP's mid-2017
                              CISP release, 2007-01 to 2017-03 (the months consolidated with errata; the
                              UPP-area file starts in 2007).
    Colombia, capital x year  homicide victims in every departmental capital (the rows the Police's municipal file
                              marks "(CT)"), 2003-2024, for the coarse re-run of policing by quadrants: table
                              homicides_colombia_capitals.

The step names no parameters of its own: it serves the registry's Medellín, Rio and Colombian entries (found by
the steps that already read these files) and writes nothing for a registry without them.
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, first_bad, to_count
from ..errors import DataError
from .colombia_police import MUNICIPALITY_YEAR, POLICE, read_municipality_year
from .medata_medellin import CLEANED, CLEANED_FILE, CLEANED_LAST_YEAR, _local_day, _timestamps
from .rio_isp import CISP_2017, CISP_FILES, CONSOLIDATED_WITH_ERRATA, ibge_code_of, read_cisp_monthly
from .rio_upp import DATES, DATES_FILE, MONTHLY, MONTHLY_FILE, read_upp_dates, read_upp_monthly, selected_units

SOURCES = [CLEANED, DATES, MONTHLY, CISP_2017, POLICE]
PARAMETERS: dict = {}
REQUIRED_PARAMETERS: list = []

MEDELLIN_STEP, UPP_STEP, ISP_STEP, COLOMBIA_STEP = "medata_medellin", "rio_upp", "rio_isp", "colombia_police"
CAPITAL_MARK = "(CT)"            # how the Police's municipal file marks a departmental capital
FIRST_MONTH = "2007-01"          # first month of the UPP-area file
CISP_LAST_MONTH = "2017-03"      # last month of the 2017 CISP release consolidated with errata (fase 3)


# --------------------------------------------------------------------------- Medellín barrios
def read_barrio_records(path) -> pd.DataFrame:
    """The cleaned MEData copy as (year, barrio code, barrio name, comuna code), one row per victim."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["FECHA_HECHO", "CODIGO_BARRIO", "NOMBRE_BARRIO", "CODIGO_COMUNA"], path)
    year = _local_day(_timestamps(df["FECHA_HECHO"], path, "FECHA_HECHO")).dt.year
    for field in ("CODIGO_BARRIO", "NOMBRE_BARRIO"):
        empty = df[field].str.strip() == ""
        i = first_bad(empty)
        if i is not None:
            raise DataError(path, f"empty {field}", row=csv_row(i), field=field)
    comuna = to_count(df["CODIGO_COMUNA"], path, "CODIGO_COMUNA").astype(int).map(lambda c: f"{c:02d}")
    out = pd.DataFrame({"year": year, "area_id": df["CODIGO_BARRIO"].str.strip(),
                        "area_name": df["NOMBRE_BARRIO"].str.strip(), "parent_area_id": comuna})
    two = out.groupby("area_id")["parent_area_id"].nunique()
    if (two > 1).any():
        code = two[two > 1].index[0]
        i = out.index[out["area_id"] == code][0]
        raise DataError(path, f"barrio {code!r} is recorded in more than one comuna", row=csv_row(i),
                        field="CODIGO_COMUNA")
    return out


def barrio_panel(records: pd.DataFrame, last_year: int = CLEANED_LAST_YEAR) -> pd.DataFrame:
    """Victims by barrio and year, zero-filled over every barrio and every year from the first to last_year.

    A barrio's name is the one most of its records carry (the copy spells a few with different capitals)."""
    r = records[records["year"] <= last_year]
    names = (r.groupby(["area_id", "area_name"]).size().rename("n").reset_index()
             .sort_values(["area_id", "n", "area_name"], ascending=[True, False, True])
             .drop_duplicates("area_id")[["area_id", "area_name"]])
    parents = r.drop_duplicates("area_id")[["area_id", "parent_area_id"]]
    counts = r.groupby(["area_id", "year"]).size()
    full = pd.MultiIndex.from_product([sorted(r["area_id"].unique()), range(int(r["year"].min()), last_year + 1)],
                                      names=["area_id", "year"])
    out = counts.reindex(full, fill_value=0).rename("victims").reset_index()
    out = out.merge(names, on="area_id").merge(parents, on="area_id")
    out["period"] = out["year"].astype(str)
    return out.drop(columns="year")


# --------------------------------------------------------------------------- Rio
def _month(year: pd.Series, month: pd.Series) -> pd.Series:
    return year.astype(int).astype(str) + "-" + month.astype(int).map(lambda m: f"{m:02d}")


def upp_panel(monthly: pd.DataFrame, dates: pd.DataFrame, units: set[int]) -> pd.DataFrame:
    """Lethal violence and police killings by UPP area and month (the file's own months, from FIRST_MONTH)."""
    m = monthly[monthly["cod_upp"].isin(units)].copy()
    m["period"] = _month(m["year"], m["month"])
    m = m[m["period"] >= FIRST_MONTH]
    names = dict(zip(dates["cod_upp"].astype(int), dates["upp"]))
    m["area_id"] = m["cod_upp"].astype(int).astype(str)
    m["area_name"] = m["cod_upp"].astype(int).map(names)
    for col, dst in (("installed", "intervention_start"), ("closed", "intervention_end")):
        when = dict(zip(dates["cod_upp"].astype(int), dates[col].dt.strftime("%Y-%m-%d")))
        m[dst] = m["cod_upp"].astype(int).map(when)
    long = m.melt(id_vars=["period", "area_id", "area_name", "intervention_start", "intervention_end"], value_vars=["lethal_violence", "police_intervention"],
                  var_name="outcome", value_name="victims")
    long["outcome"] = long["outcome"].replace({"police_intervention": "police_killings"})
    return long


def cisp_panel(cisp: pd.DataFrame, code: int) -> pd.DataFrame:
    """Lethal violence and police killings by police district (CISP) of the city and month, FIRST_MONTH to
    CISP_LAST_MONTH; a month in that window not consolidated with errata is refused (another release)."""
    c = cisp[cisp["mcirc"] == code].copy()
    c["period"] = _month(c["year"], c["month"])
    c = c[(c["period"] >= FIRST_MONTH) & (c["period"] <= CISP_LAST_MONTH)]
    early = c["fase"] != CONSOLIDATED_WITH_ERRATA
    if early.any():
        raise DataError(CISP_FILES[CISP_2017], f"month {c.loc[early, 'period'].iloc[0]} is not consolidated with "
                                               f"errata (fase {c.loc[early, 'fase'].iloc[0]})", field="fase",
                        fix="a different release: re-check CISP_LAST_MONTH")
    c["area_id"] = c["cisp"].astype(int).astype(str)
    c["area_name"] = "CISP " + c["area_id"]
    long = c.melt(id_vars=["period", "area_id", "area_name"], value_vars=["lethal_violence", "police_intervention"],
                  var_name="outcome", value_name="victims")
    long["outcome"] = long["outcome"].replace({"police_intervention": "police_killings"})
    return long


# --------------------------------------------------------------------------- Colombian capitals
def capitals_panel(muni: pd.DataFrame, file=MUNICIPALITY_YEAR) -> pd.DataFrame:
    """Departmental capitals by year from the municipal file (read_municipality_year): one row per capital and every
    year the file covers. The file sums victim records, so a capital-year without a row had no victim recorded: it
    gets zero homicides and no population."""
    c = muni[muni["municipio"].str.contains(CAPITAL_MARK, regex=False)].copy()
    if c.empty:
        raise DataError(file, f"no municipality marked {CAPITAL_MARK!r}", field="municipio",
                        fix="the file's marking of capitals changed: re-check CAPITAL_MARK")
    if c.groupby("departamento")["dane_code"].nunique().max() > 1:
        raise DataError(file, "a department with more than one municipality marked as its capital", field="municipio")
    c["area_name"] = c["municipio"].str.replace(CAPITAL_MARK, "", regex=False).str.strip()
    names = c.drop_duplicates("dane_code").set_index("dane_code")[["area_name", "departamento"]]
    full = pd.MultiIndex.from_product([sorted(names.index), range(int(muni["year"].min()), int(muni["year"].max()) + 1)],
                                      names=["dane_code", "year"])
    rows = c.set_index(["dane_code", "year"])[["homicides", "population"]].reindex(full)
    rows["homicides"] = rows["homicides"].fillna(0).astype(int)
    rows = rows.reset_index().join(names, on="dane_code")
    out = pd.DataFrame({"area_id": rows["dane_code"], "area_name": rows["area_name"],
                        "department": rows["departamento"], "year": rows["year"].astype(int),
                        "homicides": rows["homicides"], "population": rows["population"].astype("Int64")})
    return out.sort_values(["area_id", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- the step
def derive(ctx) -> dict[str, pd.DataFrame]:
    frames = []
    for city, _params in ctx.cities_for(MEDELLIN_STEP):
        rec = read_barrio_records(ctx.raw(CLEANED, CLEANED_FILE))
        p = barrio_panel(rec)
        frames.append(p.assign(city=city["slug"], area_type="barrio", outcome="homicides", source_id=CLEANED))
    upp_cities = ctx.cities_for(UPP_STEP)
    if upp_cities:
        dates = read_upp_dates(ctx.raw(DATES, DATES_FILE))
        monthly = read_upp_monthly(ctx.raw(MONTHLY, MONTHLY_FILE))
        codes = set(dates["cod_upp"].astype(int))
        for city, params in upp_cities:
            p = upp_panel(monthly, dates, selected_units(params or {}, codes))
            frames.append(p.assign(city=city["slug"], area_type="upp_area", source_id=MONTHLY))
    isp_cities = [(c, p) for c, p in ctx.cities_for(ISP_STEP) if c["slug"] in {u["slug"] for u, _ in upp_cities}]
    if isp_cities:
        cisp = read_cisp_monthly(ctx.raw(CISP_2017, CISP_FILES[CISP_2017]))
        for city, params in isp_cities:
            p = cisp_panel(cisp, ibge_code_of(params))
            frames.append(p.assign(city=city["slug"], area_type="police_district", source_id=CISP_2017))
    out = {"homicides_area_panel": pd.concat(frames, ignore_index=True)} if frames else {}
    if ctx.cities_for(COLOMBIA_STEP):
        muni = read_municipality_year(ctx.raw(POLICE, MUNICIPALITY_YEAR))
        out["homicides_colombia_capitals"] = capitals_panel(muni).assign(source_id=POLICE)
    return out
