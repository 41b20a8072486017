"""Mexico, SESNSP prosecutors' records: intentional-homicide offences of a municipality, and state victims.

Params (data/cities.yml): `mexico_sesnsp: {inegi_code: "SSMMM", crimenmexico_name: "JUÁREZ, CHIH"}`, optionally
`sesnsp_entidad` / `sesnsp_municipio`. The SESNSP municipal compilations carry no INEGI code: the 2024-2025 file is
matched on state and municipality names (by default CONAPO's names for the code) and the 2015-2018 file on the
name used by crimenmexico.

Series `sesnsp` = offences of homicidio doloso + feminicidio in carpetas de investigación (not victims), monthly
2015-01..2018-06 and 2024-01..2025-06; annual only for complete years. The state's victim counts go to
`indicators`, labelled with the state's name (state-level context; SESNSP publishes no municipal victims).
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique, expect_years, first_bad, to_count
from ..errors import DataError
from .mexico_inegi import (CONAPO_MUN, CONAPO_MUN_FILE, SPANISH_MONTHS, full_years, inegi_code,
                           municipal_population, norm_code, read_conapo_municipal)

SOURCES = ["sesnsp_municipal_incidence", "sesnsp_state_victims", "conapo_municipal_population_2023"]
# Keys of a city's `derive: mexico_sesnsp:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "inegi_code": "INEGI state + municipality code, 5 digits, quoted: '08037'",
    "crimenmexico_name": "the municipality as crimenmexico names it: JUÁREZ, CHIH",
    "sesnsp_entidad": "optional: state name in the SESNSP file (default: the CONAPO name)",
    "sesnsp_municipio": "optional: municipality name in the SESNSP file (default: the CONAPO name)",
}
REQUIRED_PARAMETERS = ["inegi_code", "crimenmexico_name"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['sesnsp']

MUNICIPAL = "sesnsp_municipal_incidence"
VICTIMS = "sesnsp_state_victims"
CRIMENMEXICO_FILE = "ciudad-juarez/municipios_json_JUAREZ-CHIH_2015-2018.csv"
MUNI_2024_FILE = "ciudad-juarez/sesnsp_municipal_2024_2025/violencia_homicida_municipal_nacional_2024_2025_08037.csv"
VICTIMS_FILE = "ciudad-juarez/db_victimas_delitos_ent_month_state_homicidio-feminicidio_agg.csv"
SUBTYPES = {"Homicidio doloso": "homicidio_doloso", "Feminicidio": "feminicidio"}


# --------------------------------------------------------------------------- raw-file readers
def read_crimenmexico(path) -> pd.DataFrame:
    """crimenmexico municipal series: series_key, group_index, name, year, month, count (blank allowed)."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    expect_columns(df, ["series_key", "group_index", "date", "name", "count"], path)
    date = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    bad = date.isna() | (date.dt.day != 1)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"date {df['date'][i]!r} is not the first day of a month", row=csv_row(i), field="date")
    out = pd.DataFrame({"series_key": df["series_key"], "group_index": df["group_index"], "name": df["name"],
                        "year": date.dt.year, "month": date.dt.month,
                        "homicides": to_count(df["count"], path, "count", allow_missing=True)})
    expect_unique(out, ["series_key", "group_index", "name", "year", "month"], path)
    return out


def read_sesnsp_municipal(path) -> pd.DataFrame:
    """SESNSP municipal offences 2024-2025: entidad, municipio, year, month and the offence counts."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    crimes = ["Feminicidio", "Homicidio culposo", "Homicidio doloso",
              "Otros delitos que atentan contra la vida y la integridad corporal"]
    expect_columns(df, ["Entidad", "Municipio", "Total", "Año", "Mes"] + crimes, path)
    out = pd.DataFrame({"entidad": df["Entidad"].str.strip(), "municipio": df["Municipio"].str.strip(),
                        "year": to_count(df["Año"], path, "Año")})
    expect_years(out["year"], path, lo=2015, hi=2030, field="Año")
    month = df["Mes"].str.strip().map(SPANISH_MONTHS)
    i = first_bad(month.isna())
    if i is not None:
        raise DataError(path, f"unknown month name {df['Mes'][i]!r}", row=csv_row(i), field="Mes")
    out["month"] = month.astype(int)
    counts = {c: to_count(df[c], path, c) for c in crimes + ["Total"]}
    out["homicidio_doloso"], out["feminicidio"] = counts["Homicidio doloso"], counts["Feminicidio"]
    # The compiler's Total is the sum of the four crime columns: a mismatch means a column was misread.
    off = counts["Total"] != sum(counts[c] for c in crimes)
    i = first_bad(off)
    if i is not None:
        raise DataError(path, "Total is not the sum of the crime columns", row=csv_row(i), field="Total")
    expect_unique(out, ["entidad", "municipio", "year", "month"], path)
    return out


def read_state_victims(path) -> pd.DataFrame:
    """SESNSP victims by state: state (code), estado (name), year, month, subtype, victims."""
    df = pd.read_csv(path, dtype=str, encoding="utf-8")
    expect_columns(df, ["n_year", "n_month", "cve_ent", "nombre_estado", "subtipo_de_delito", "n_victimas"], path)
    out = pd.DataFrame({"state": norm_code(df["cve_ent"], 2, path, "cve_ent"), "estado": df["nombre_estado"],
                        "year": to_count(df["n_year"], path, "n_year"),
                        "month": to_count(df["n_month"], path, "n_month"),
                        "subtype": df["subtipo_de_delito"].map(SUBTYPES),
                        "homicides": to_count(df["n_victimas"], path, "n_victimas")})
    i = first_bad(out["subtype"].isna())
    if i is not None:
        raise DataError(path, f"unexpected subtype {df['subtipo_de_delito'][i]!r}", row=csv_row(i),
                        field="subtipo_de_delito")
    bad = (out["month"] < 1) | (out["month"] > 12)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"month {df['n_month'][i]!r} is not 1-12", row=csv_row(i), field="n_month")
    expect_years(out["year"], path, lo=2015, hi=2030, field="n_year")
    expect_unique(out, ["state", "year", "month", "subtype"], path)
    return out


# --------------------------------------------------------------------------- step
def municipal_offences(cm: pd.DataFrame, m24: pd.DataFrame, *, crimenmexico_name: str, entidad: str,
                       municipio: str, files: tuple) -> pd.DataFrame:
    """Monthly homicidio doloso + feminicidio offences of one municipality from both compilations."""
    a = cm[(cm["series_key"] == "hd") & (cm["group_index"] == "0") & (cm["name"] == crimenmexico_name)]
    if a.empty:
        raise DataError(files[0], f"no SESNSP rows (series hd, group 0) named {crimenmexico_name!r}", field="name",
                        fix="check crimenmexico_name in data/cities.yml against the raw file")
    i = first_bad(a["homicides"].isna())
    if i is not None:
        raise DataError(files[0], "SESNSP count is blank", row=csv_row(i), field="count")
    b = m24[(m24["entidad"] == entidad) & (m24["municipio"] == municipio)]
    if b.empty:
        raise DataError(files[1], f"no rows for Entidad {entidad!r}, Municipio {municipio!r}",
                        fix="set sesnsp_entidad / sesnsp_municipio in data/cities.yml to the names the file uses")
    b = b.assign(homicides=b["homicidio_doloso"] + b["feminicidio"])
    both = pd.concat([a[["year", "month", "homicides"]], b[["year", "month", "homicides"]]], ignore_index=True)
    expect_unique(both, ["year", "month"], f"{files[0]} + {files[1]}")
    return both


def derive(ctx) -> dict[str, pd.DataFrame]:
    cities = ctx.cities_for("mexico_sesnsp")
    if not cities:
        return {}
    cm_path, m24_path = ctx.raw(MUNICIPAL, CRIMENMEXICO_FILE), ctx.raw(MUNICIPAL, MUNI_2024_FILE)
    vic_path, cmun_path = ctx.raw(VICTIMS, VICTIMS_FILE), ctx.raw(CONAPO_MUN, CONAPO_MUN_FILE)
    cm, m24 = read_crimenmexico(cm_path), read_sesnsp_municipal(m24_path)
    victims, cmun = read_state_victims(vic_path), read_conapo_municipal(cmun_path)

    annual, monthly, indicators, definitions = [], [], [], []
    for city, params in cities:
        code, slug = inegi_code(params, city, "mexico_sesnsp"), city["slug"]
        if not params.get("crimenmexico_name"):
            raise DataError("data/cities.yml", f"city '{slug}': mexico_sesnsp needs crimenmexico_name",
                            field="derive.mexico_sesnsp.crimenmexico_name")
        pop = municipal_population(cmun, code, cmun_path)
        mon = municipal_offences(cm, m24, crimenmexico_name=params["crimenmexico_name"],
                                 entidad=params.get("sesnsp_entidad", pop["entidad"].iloc[0]),
                                 municipio=params.get("sesnsp_municipio", pop["municipio"].iloc[0]),
                                 files=(cm_path, m24_path))
        monthly.append(pd.DataFrame({
            "city": slug, "month": [f"{y}-{m:02d}" for y, m in zip(mon["year"], mon["month"])],
            "homicides": mon["homicides"].values, "series": "sesnsp", "source_id": MUNICIPAL}))
        ann = full_years(mon.assign(code=code), ["code"])
        annual.append(pd.DataFrame({
            "city": slug, "year": ann["year"].values, "series": "sesnsp", "homicides": ann["homicides"].values,
            "population": ann["year"].map(pop.set_index("year")["population"]).values, "unit": "municipality",
            "source_id": MUNICIPAL, "population_source_id": CONAPO_MUN, "status": "final"}))

        ss = code[:2]
        st = victims[victims["state"] == ss]
        if st.empty:
            raise DataError(vic_path, f"no rows for state {ss}", field="cve_ent")
        estado = st["estado"].iloc[0]
        for subtype, label in (("homicidio_doloso", "homicidio doloso (intentional homicide)"),
                               ("feminicidio", "feminicidio (feminicide)")):
            ind = f"state{ss}_sesnsp_victims_{subtype}"
            ya = full_years(st[st["subtype"] == subtype], ["state"])
            indicators.append(pd.DataFrame({"city": slug, "year": ya["year"].values, "indicator": ind,
                                            "value": ya["homicides"].values, "unit": "victims",
                                            "source_id": VICTIMS}))
            definitions.append({
                "indicator": ind, "label": f"{estado} state (whole state): victims of {label}, SESNSP",
                "definition": f"Victims of {label} recorded in prosecutors' investigation files anywhere in the state "
                              f"of {estado} (code {ss}), reported to SESNSP (new methodology); complete years only. "
                              "State-level context, not the city.",
                "unit": "victims", "scope": "city"})
    return {"homicides_annual": pd.concat(annual, ignore_index=True),
            "homicides_monthly": pd.concat(monthly, ignore_index=True),
            "indicators": pd.concat(indicators, ignore_index=True),
            "indicator_definitions": pd.DataFrame(definitions).drop_duplicates("indicator")}
