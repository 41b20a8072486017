"""Mexico, INEGI death certificates: homicides of any municipality, chosen by its INEGI code.

Params (data/cities.yml): `mexico_inegi: {inegi_code: "SSMMM"}` (state + municipality, five digits).

Two INEGI bases are kept as separate series, both by municipality and date of OCCURRENCE:
- `inegi`: the microdata compilation of Gargiulo et al. (ICD-10 X85-Y09, month known), 2000-2021;
- `inegi_cube`: INEGI's homicide cube tabulated by year of registration 1990-2008, summed back to the year of
  occurrence; only 1990-2007 are kept, because 2008 deaths registered after 2008 are missing from it.
The denominator is CONAPO's 2023 municipal reconstruction. The state's own INEGI totals and rates go to
`indicators`, with the state named in the label (context only, not the city).
"""
from __future__ import annotations

import calendar
import re

import pandas as pd

from ..checks import (
    csv_row, expect_columns, expect_rate_consistent, expect_unique, expect_years, first_bad, to_count, to_number,
)
from ..errors import DataError

SOURCES = ["inegi_mortality_microdata", "inegi_mortality_cube", "conapo_municipal_population_2023",
           "conapo_state_population_2023"]
# Keys of a city's `derive: mexico_inegi:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "inegi_code": "INEGI state + municipality code, 5 digits, quoted: '08037'",
}
REQUIRED_PARAMETERS = ["inegi_code"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['inegi', 'inegi_cube']

MICRODATA = "inegi_mortality_microdata"
CUBE = "inegi_mortality_cube"
CONAPO_MUN = "conapo_municipal_population_2023"
CONAPO_STATE = "conapo_state_population_2023"
MUNI_FILE = "ciudad-juarez/mexico-muni-month-homicide-rates-2000-2021_08037.csv"
STATE_FILE = "ciudad-juarez/mexico-state-month-homicide-rates-2000-2022.csv"
CUBE_FILE = "ciudad-juarez/county-month_08037.csv"
CONAPO_MUN_FILE = "ciudad-juarez/conapo2023_poblacion_municipal_08037.csv"
CONAPO_STATE_FILE = "ciudad-juarez/conapo2023_poblacion_entidad_total.csv"

SPANISH_MONTHS = {m: i for i, m in enumerate(
    ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
     "Noviembre", "Diciembre"], start=1)}
UNKNOWN = "No especificado"
TOTAL = "Total"


# --------------------------------------------------------------------------- helpers
def inegi_code(params: dict, city: dict, step: str = "mexico_inegi") -> str:
    code = str(params.get("inegi_code", "")).strip()
    if not re.fullmatch(r"\d{5}", code):
        raise DataError("data/cities.yml", f"city '{city['slug']}': inegi_code {code!r} is not a five-digit INEGI "
                                           f"municipality code", field=f"derive.{step}.inegi_code",
                        fix='write it quoted, e.g. "08037"')
    return code


def norm_code(col: pd.Series, width: int, file, field: str) -> pd.Series:
    """Codes are written '08037', '08 037' or '8037': strip spaces and zero-pad."""
    s = col.astype("string").str.replace(" ", "", regex=False).str.strip().str.zfill(width)
    bad = ~s.str.fullmatch(rf"\d{{{width}}}").fillna(False)
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"malformed INEGI code {col.loc[i]!r}", row=csv_row(i), field=field)
    return s


def _month_numbers(col: pd.Series, file, field: str) -> pd.Series:
    m = to_count(col, file, field)
    bad = (m < 1) | (m > 12)
    i = first_bad(bad)
    if i is not None:
        raise DataError(file, f"month {col.loc[i]!r} is not 1-12", row=csv_row(i), field=field)
    return m


def full_years(monthly: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Annual sums, only for years with all 12 months present (a partial year is never annualised)."""
    g = monthly.groupby(keys + ["year"], as_index=False).agg(homicides=("homicides", "sum"),
                                                             months=("month", "nunique"))
    return g[g["months"] == 12].drop(columns="months")


# --------------------------------------------------------------------------- raw-file readers
def _read_gargiulo(path, code_col: str, width: int) -> pd.DataFrame:
    df = pd.read_csv(path, sep="|", dtype=str, encoding="utf-8")
    expect_columns(df, [code_col, "year", "month", "homicides", "pop_est", "homicide_rate"], path)
    out = pd.DataFrame({
        "code": norm_code(df[code_col], width, path, code_col),
        "year": to_count(df["year"], path, "year"),
        "month": _month_numbers(df["month"], path, "month"),
        "homicides": to_count(df["homicides"], path, "homicides"),
    })
    expect_years(out["year"], path, lo=1990, hi=2030)
    expect_unique(out, ["code", "year", "month"], path)
    # The compilers annualise each month as count / pop * 1e5 * 365.25 / days in month, with February as 28 days.
    days = out["month"].map(lambda m: calendar.monthrange(2001, int(m))[1])
    expect_rate_consistent(out["homicides"].astype(float) * 365.25 / days, to_number(df["pop_est"], path, "pop_est"),
                           to_number(df["homicide_rate"], path, "homicide_rate"), path,
                           rows=[csv_row(i) for i in df.index])
    return out


def read_municipal_monthly(path) -> pd.DataFrame:
    """INEGI homicides by municipality (code) x year x month of occurrence."""
    return _read_gargiulo(path, "ent_mun", 5)


def read_state_monthly(path) -> pd.DataFrame:
    """INEGI homicides by state (code) x year x month of occurrence."""
    return _read_gargiulo(path, "cve_ent", 2)


def read_cube(path) -> pd.DataFrame:
    """INEGI cube: rows code x occurrence year x occurrence month, columns = registration years (blank = 0)."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    keys = ["Code", "County", "Year.of.Murder", "Month.of.Murder"]
    expect_columns(df, keys, path)
    reg = [c for c in df.columns if c not in keys]
    bad = [c for c in reg if not re.fullmatch(r"\d{4}", c)]
    if bad or not reg:
        raise DataError(path, f"registration-year columns must be 4-digit years; found {bad or 'none'}")
    df["code"] = norm_code(df["Code"], 5, path, "Code")
    for c in reg:
        df[c] = to_count(df[c], path, c, allow_missing=True).fillna(0)
    months = set(SPANISH_MONTHS) | {UNKNOWN, TOTAL}
    odd = ~df["Month.of.Murder"].isin(months)
    i = first_bad(odd)
    if i is not None:
        raise DataError(path, f"unknown month {df['Month.of.Murder'][i]!r}", row=csv_row(i), field="Month.of.Murder")
    expect_unique(df, ["code", "Year.of.Murder", "Month.of.Murder"], path)
    # Internal sums: months add up to each year's Total row, and years add up to the grand Total row.
    for (code, occ), grp in df.groupby(["code", "Year.of.Murder"]):
        tot = grp[grp["Month.of.Murder"] == TOTAL]
        parts = grp[grp["Month.of.Murder"] != TOTAL]
        if len(tot) != 1 or (tot[reg].iloc[0] != parts[reg].sum()).any():
            i = (tot.index if len(tot) else grp.index)[0]
            raise DataError(path, f"months of {code} / {occ} do not add up to its Total row", row=csv_row(i))
    for code, grp in df[df["Month.of.Murder"] == TOTAL].groupby("code"):
        grand = grp[grp["Year.of.Murder"] == TOTAL]
        parts = grp[grp["Year.of.Murder"] != TOTAL]
        if len(grand) != 1 or (grand[reg].iloc[0] != parts[reg].sum()).any():
            i = (grand.index if len(grand) else grp.index)[0]
            raise DataError(path, f"occurrence years of {code} do not add up to the grand Total row", row=csv_row(i))
    return df


def cube_by_occurrence(cube: pd.DataFrame, code: str, file) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(annual, monthly) deaths by year/month of occurrence, for the years fully covered by the registrations.

    The last registration year is dropped: its deaths registered later are missing. Deaths of unknown month count in
    the annual total only.
    """
    rows = cube[cube["code"] == code]
    if rows.empty:
        raise DataError(file, f"no rows for municipality {code}",
                        fix="the raw file is an extract: re-extract it with this municipality (see PROVENANCE.md)")
    reg = [c for c in cube.columns if re.fullmatch(r"\d{4}", c)]
    first, last = int(reg[0]), int(reg[-1])
    rows = rows[rows["Year.of.Murder"].str.fullmatch(r"\d{4}")].copy()
    rows["year"] = rows["Year.of.Murder"].astype(int)
    rows = rows[(rows["year"] >= first) & (rows["year"] < last)]
    rows["homicides"] = rows[reg].sum(axis=1).astype(int)
    annual = rows[rows["Month.of.Murder"] == TOTAL][["year", "homicides"]]
    known = rows[rows["Month.of.Murder"].isin(list(SPANISH_MONTHS))].copy()
    known["month"] = known["Month.of.Murder"].map(SPANISH_MONTHS)
    expect_years(annual["year"], file, first=first, last=last - 1)
    # The cube has no row for an empty cell; read_cube checked that months add up to each year's total,
    # so a month without a row had no deaths.
    grid = pd.MultiIndex.from_product([sorted(annual["year"]), range(1, 13)], names=["year", "month"])
    monthly = (known.set_index(["year", "month"])["homicides"].reindex(grid, fill_value=0).reset_index())
    return annual.reset_index(drop=True), monthly


def _year_columns(df: pd.DataFrame, path) -> list[str]:
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", str(c))]
    if not years:
        raise DataError(path, "no year columns found")
    return years


def read_conapo_municipal(path) -> pd.DataFrame:
    """CONAPO 2023 total mid-year population: code, entidad, municipio, year, population."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    keys = ["serie", "CVE", "Entidad", "Municipio"]
    expect_columns(df, keys, path)
    years = _year_columns(df, path)
    df["code"] = norm_code(df["CVE"], 5, path, "CVE")
    expect_unique(df, ["serie", "code"], path)
    for c in years:  # checked before reshaping, so an error names the CSV row and the year column
        df[c] = to_count(df[c], path, c)
    df = df[df["serie"] == "total"]
    if df.empty:
        raise DataError(path, "no rows with serie == 'total'", field="serie")
    long = df.melt(id_vars=["code", "Entidad", "Municipio"], value_vars=years, var_name="year",
                   value_name="population").rename(columns={"Entidad": "entidad", "Municipio": "municipio"})
    long["year"] = long["year"].astype(int)
    return long


def read_conapo_state(path) -> pd.DataFrame:
    """CONAPO 2023 state mid-year population: entidad (name), year, population."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    expect_columns(df, ["ENTIDAD"], path)
    years = _year_columns(df, path)
    expect_unique(df, ["ENTIDAD"], path)
    for c in years:
        df[c] = to_count(df[c], path, c)
    long = df.melt(id_vars=["ENTIDAD"], value_vars=years, var_name="year", value_name="population")
    long["year"] = long["year"].astype(int)
    return long.rename(columns={"ENTIDAD": "entidad"})


# --------------------------------------------------------------------------- step
def municipal_population(conapo: pd.DataFrame, code: str, file) -> pd.DataFrame:
    pop = conapo[conapo["code"] == code]
    if pop.empty:
        raise DataError(file, f"no CONAPO population for municipality {code}",
                        fix="the raw file is an extract: re-extract it with this municipality (see PROVENANCE.md)")
    return pop


def derive(ctx) -> dict[str, pd.DataFrame]:
    cities = ctx.cities_for("mexico_inegi")
    if not cities:
        return {}
    muni_path, state_path = ctx.raw(MICRODATA, MUNI_FILE), ctx.raw(MICRODATA, STATE_FILE)
    cube_path = ctx.raw(CUBE, CUBE_FILE)
    cmun_path, cstate_path = ctx.raw(CONAPO_MUN, CONAPO_MUN_FILE), ctx.raw(CONAPO_STATE, CONAPO_STATE_FILE)
    muni, state = read_municipal_monthly(muni_path), read_state_monthly(state_path)
    cube = read_cube(cube_path)
    cmun, cstate = read_conapo_municipal(cmun_path), read_conapo_state(cstate_path)

    annual, monthly, indicators, definitions = [], [], [], []
    for city, params in cities:
        code = inegi_code(params, city)
        slug = city["slug"]
        pop = municipal_population(cmun, code, cmun_path)
        pop_by_year = pop.set_index("year")["population"]

        m = muni[muni["code"] == code]
        if m.empty:
            raise DataError(muni_path, f"no rows for municipality {code}",
                            fix="the raw file is an extract: re-extract it with this municipality (see PROVENANCE.md)")
        expect_years(m["year"], muni_path, first=2000, last=2021)
        a = full_years(m, ["code"])
        if len(a) != m["year"].nunique():
            raise DataError(muni_path, f"municipality {code}: some years lack months", field="month")
        c_annual, c_monthly = cube_by_occurrence(cube, code, cube_path)
        for series, src, ann, mon in (("inegi", MICRODATA, a, m), ("inegi_cube", CUBE, c_annual, c_monthly)):
            annual.append(pd.DataFrame({
                "city": slug, "year": ann["year"].astype(int).values, "series": series,
                "homicides": ann["homicides"].values,
                "population": ann["year"].astype(int).map(pop_by_year).values,
                "unit": "municipality", "source_id": src, "population_source_id": CONAPO_MUN, "status": "final"}))
            monthly.append(pd.DataFrame({
                "city": slug, "month": [f"{int(y)}-{int(mm):02d}" for y, mm in zip(mon["year"], mon["month"])],
                "homicides": mon["homicides"].values, "series": series, "source_id": src}))

        # State context: INEGI deaths in the municipality's state, with CONAPO state population.
        ss, entidad = code[:2], pop["entidad"].iloc[0]
        st = state[state["code"] == ss]
        if st.empty:
            raise DataError(state_path, f"no rows for state {ss}")
        sa = full_years(st, ["code"])
        spop = cstate[cstate["entidad"] == entidad].set_index("year")["population"]
        if spop.empty:
            raise DataError(cstate_path, f"no CONAPO population for state {entidad!r}", field="ENTIDAD")
        n_id, r_id = f"state{ss}_inegi_homicides", f"state{ss}_inegi_homicide_rate"
        rate = (sa["homicides"] / sa["year"].map(spop) * 1e5).round(3)
        indicators.append(pd.DataFrame({"city": slug, "year": sa["year"].values, "indicator": n_id,
                                        "value": sa["homicides"].values, "unit": "deaths",
                                        "source_id": MICRODATA}))
        indicators.append(pd.DataFrame({"city": slug, "year": sa["year"].values, "indicator": r_id,
                                        "value": rate.values, "unit": "per 100,000", "source_id": MICRODATA}))
        definitions += [
            {"indicator": n_id, "label": f"{entidad} state (whole state): homicide deaths, INEGI",
             "definition": f"Deaths from assault (ICD-10 X85-Y09) that occurred anywhere in the state of {entidad} "
                           "(INEGI code " + ss + "), month known, from INEGI death certificates. State-level "
                           "context, not the city.", "unit": "deaths", "scope": "city"},
            {"indicator": r_id, "label": f"{entidad} state (whole state): homicide rate, INEGI",
             "definition": f"INEGI homicide deaths in the state of {entidad} per 100,000 residents (CONAPO 2023 "
                           "state mid-year population). State-level context, not the city.",
             "unit": "per 100,000", "scope": "city"},
        ]
    defs = pd.DataFrame(definitions).drop_duplicates("indicator")
    return {"homicides_annual": pd.concat(annual, ignore_index=True),
            "homicides_monthly": pd.concat(monthly, ignore_index=True),
            "indicators": pd.concat(indicators, ignore_index=True),
            "indicator_definitions": defs}
