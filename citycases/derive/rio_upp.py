"""Pacifying Police Units (UPP) of Rio de Janeiro state: how many units, and lethal violence inside their areas.

Parameters in data/cities.yml (`derive: rio_upp: {...}`), at most one of:
    exclude_cod_upp  list of cod_upp to leave out (units outside the city: 37 Mangueirinha is in Duque de Caxias)
    include_cod_upp  list of cod_upp to keep (for a city holding only a few units)
Neither: every unit in the files.

Indicators (one row per year):
    upp_units_installed                 units inaugurated by 31 December (cumulative), first installation year
                                        to the last year with any date in the file
    upp_units_active                    units inaugurated and not yet closed on 31 December, same years
    upp_area_lethal_violence            letalidade violenta inside the UPP areas, 2007 onwards
    upp_area_police_intervention_deaths deaths from intervention by state agents inside the UPP areas
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_years, first_bad, to_count
from ..errors import DataError
from .rio_isp import COMPONENTS, read_isp_csv

DATES = "isp_rj_upp_dates"
MONTHLY = "isp_rj_upp_monthly"
SOURCES = [DATES, MONTHLY]
# Keys of a city's `derive: rio_upp:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "exclude_cod_upp": "optional: list of cod_upp to leave out",
    "include_cod_upp": "optional: list of cod_upp to keep",
}
REQUIRED_PARAMETERS = []

DATES_FILE = "rio-de-janeiro/governance/UppDatasDeOcupacaoeInstalacao.xlsx"
DATES_SHEET = "upp_datas"
MONTHLY_FILE = "rio-de-janeiro/isp/UppEvolucaoMensalDeTitulos.csv"
STEP = "rio_upp"

INDICATORS = {
    "upp_units_installed": (
        "UPP units installed (cumulative)",
        "Pacifying Police Units (UPP) inaugurated on or before 31 December of the year, counted from ISP's list of "
        "UPP installation dates; units closed later still count.", "units"),
    "upp_units_active": (
        "UPP units active at year end",
        "Pacifying Police Units (UPP) inaugurated on or before 31 December and not closed by then, from ISP's list "
        "of UPP installation and closing dates.", "units"),
    "upp_area_lethal_violence": (
        "Lethal violence in UPP areas",
        "Letalidade violenta (intentional homicide + bodily injury followed by death + robbery followed by death + "
        "deaths from intervention by state agents) recorded inside the areas of the Pacifying Police Units, summed "
        "over the same set of areas in every year, including years before each unit was installed (ISP-RJ).",
        "victims"),
    "upp_area_police_intervention_deaths": (
        "Deaths from police intervention in UPP areas",
        "Deaths from intervention by state agents (killings by police) recorded inside the areas of the Pacifying "
        "Police Units, summed over the same set of areas in every year (ISP-RJ).", "victims"),
}


# --------------------------------------------------------------------------- readers
def read_upp_dates(path, sheet=DATES_SHEET) -> pd.DataFrame:
    """The UPP dates sheet: cod_upp, upp, occupied, installed, closed (dates; closed empty if still open)."""
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object)
    except ValueError as exc:
        raise DataError(path, f"cannot read sheet {sheet!r}: {exc}") from None
    expect_columns(df, ["cod_upp", "upp", "data_ocupacao", "data_instalacao", "data_fim"], path)
    out = pd.DataFrame({"cod_upp": to_count(df["cod_upp"], path, "cod_upp"), "upp": df["upp"].astype(str).str.strip()})
    for src, dst, required in (("data_ocupacao", "occupied", True), ("data_instalacao", "installed", True),
                               ("data_fim", "closed", False)):
        d = pd.to_datetime(df[src], errors="coerce")
        bad = d.isna() & (df[src].notna() | required)
        i = first_bad(bad)
        if i is not None:
            raise DataError(path, f"not a date: {df.loc[i, src]!r}", row=csv_row(i), field=src)
        out[dst] = d
    dup = out.duplicated("cod_upp")
    i = first_bad(dup)
    if i is not None:
        raise DataError(path, f"duplicate cod_upp {out.loc[i, 'cod_upp']}", row=csv_row(i), field="cod_upp")
    for a, b, field in (("occupied", "installed", "data_instalacao"), ("installed", "closed", "data_fim")):
        bad = out[b].notna() & (out[b] < out[a])
        i = first_bad(bad)
        if i is not None:
            raise DataError(path, f"{b} {out.loc[i, b].date()} is before {a} {out.loc[i, a].date()}",
                            row=csv_row(i), field=field)
    return out


def read_upp_monthly(path) -> pd.DataFrame:
    """UppEvolucaoMensalDeTitulos.csv: cod_upp, year, month, lethal_violence, police_intervention.

    The file repeats some months (2020) with rows that are entirely zero; such copies are dropped. Two copies of a
    month that both hold records are an error.
    """
    df = read_isp_csv(path, ["cod_upp", "ano", "mes", "registro_ocorrencias"] + COMPONENTS)
    out = pd.DataFrame({"cod_upp": to_count(df["cod_upp"], path, "cod_upp"),
                        "year": to_count(df["ano"], path, "ano"), "month": to_count(df["mes"], path, "mes")})
    expect_years(out["year"], path, field="ano")
    bad = ~out["month"].between(1, 12)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"month {df.loc[i, 'mes']!r} is not 1-12", row=csv_row(i), field="mes")
    for c in COMPONENTS + ["registro_ocorrencias"]:
        out[c] = to_count(df[c], path, c)
    key = ["cod_upp", "year", "month"]
    out["empty"] = out["registro_ocorrencias"].eq(0) & out[COMPONENTS].eq(0).all(axis=1)
    holding = out[~out["empty"]]
    again = holding.duplicated(key)
    i = first_bad(again)
    if i is not None:
        raise DataError(path, f"month {out.loc[i, 'year']}-{out.loc[i, 'month']:02d} of cod_upp "
                              f"{out.loc[i, 'cod_upp']} appears twice with records", row=csv_row(i),
                        field="cod_upp/ano/mes")
    # rows holding records first, so the all-zero copies are the ones dropped
    out = out.sort_values("empty", kind="stable").drop_duplicates(key).sort_index()
    out["lethal_violence"] = out[COMPONENTS].sum(axis=1)
    out["police_intervention"] = out["hom_por_interv_policial"]
    return out[key + ["lethal_violence", "police_intervention"]].reset_index(drop=True)


# --------------------------------------------------------------------------- the step
def selected_units(params: dict, codes: set[int], file="data/cities.yml") -> set[int]:
    inc, exc = params.get("include_cod_upp"), params.get("exclude_cod_upp")
    if inc is not None and exc is not None:
        raise DataError(file, f"{STEP}: give include_cod_upp or exclude_cod_upp, not both", field=f"derive.{STEP}")
    listed = inc if inc is not None else (exc or [])
    if not isinstance(listed, list) or not all(isinstance(x, int) for x in listed):
        raise DataError(file, f"{STEP}: cod_upp lists must be lists of integers, got {listed!r}",
                        field=f"derive.{STEP}")
    unknown = sorted(set(listed) - codes)
    if unknown:
        raise DataError(file, f"{STEP}: cod_upp {unknown} not in the UPP list", field=f"derive.{STEP}")
    return set(inc) if inc is not None else codes - set(listed)


def unit_counts(dates: pd.DataFrame) -> pd.DataFrame:
    """Installed (cumulative) and active units on 31 December of each year with UPP dates."""
    last = max(d.max().year for d in (dates["installed"], dates["closed"].dropna()) if len(d))
    rows = []
    for year in range(dates["installed"].min().year, last + 1):
        end = pd.Timestamp(year=year, month=12, day=31)
        installed = dates["installed"] <= end
        open_ = dates["closed"].isna() | (dates["closed"] > end)
        rows.append({"year": year, "upp_units_installed": int(installed.sum()),
                     "upp_units_active": int((installed & open_).sum())})
    return pd.DataFrame(rows)


def derive(ctx) -> dict[str, pd.DataFrame]:
    dates = read_upp_dates(ctx.raw(DATES, DATES_FILE))
    monthly = read_upp_monthly(ctx.raw(MONTHLY, MONTHLY_FILE))
    codes = set(dates["cod_upp"].astype(int))
    unknown = sorted(set(monthly["cod_upp"].astype(int)) - codes)
    if unknown:
        raise DataError(MONTHLY_FILE, f"cod_upp {unknown} are not in the UPP dates file {DATES_FILE}", field="cod_upp")
    frames = []
    for city, params in ctx.cities_for(STEP):
        units = selected_units(params or {}, codes)
        counts = unit_counts(dates[dates["cod_upp"].isin(units)])
        for ind in ("upp_units_installed", "upp_units_active"):
            frames.append(pd.DataFrame({"city": city["slug"], "year": counts["year"], "indicator": ind,
                                        "value": counts[ind], "unit": "units", "source_id": DATES}))
        m = monthly[monthly["cod_upp"].isin(units)]
        g = m.groupby("year")
        annual = g[["lethal_violence", "police_intervention"]].sum()
        # a year counts only if every selected unit has all 12 months
        full = g.apply(lambda x: x.groupby("cod_upp")["month"].nunique().eq(12).sum() == len(units))
        annual = annual[full].reset_index()
        for ind, col in (("upp_area_lethal_violence", "lethal_violence"),
                         ("upp_area_police_intervention_deaths", "police_intervention")):
            frames.append(pd.DataFrame({"city": city["slug"], "year": annual["year"], "indicator": ind,
                                        "value": annual[col], "unit": "victims", "source_id": MONTHLY}))
    defs = pd.DataFrame([{"indicator": k, "label": lab, "definition": d, "unit": u, "scope": "city"}
                         for k, (lab, d, u) in INDICATORS.items()])
    return {"indicators": pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
            "indicator_definitions": defs}
