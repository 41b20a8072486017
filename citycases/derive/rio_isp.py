"""ISP-RJ police records (Instituto de Segurança Pública do Rio de Janeiro) for any municipality of RJ state.

Parameters in data/cities.yml (`derive: rio_isp: {...}`):
    ibge_code   7-digit IBGE municipality code, e.g. "3304557" (Rio de Janeiro city). Required.

What each raw file contributes, for the municipality named by the code:
    BaseMunicipioMensal.csv          every municipality, monthly 2014-01 onwards (newest release: wins overlaps)
    BaseDPEvolucaoMensalCisp_*.csv   police districts (CISP) with their municipality code, monthly 2003-2017 and 2024
    SeriesHistoricas.csv             annual 1991-2022 for the "Capital" area, used only when the municipal file
                                     puts the municipality in region "Capital" (that area is the capital city)
    PopulacaoEvolucaoAnuaMunic*.csv  the population ISP divides by, 2000-2022
    IBGE estimates (turicas copies)  IBGE annual estimates, used only for years after ISP's population ends
    ArmasApreendidasEvolucaoCisp*    weapons seized by CISP, 2007-2024; CISPs are mapped to the municipality
    Relacao_RISPxAISPxCISP.csv       CISP names and municipality names

Series written to homicides_annual:
    isp                  homicídio doloso victims, with feminicide added back from 2024-10 (see below)
    isp_lethal_violence  letalidade violenta: homicídio doloso (incl. feminicide) + lesão corporal seguida de morte
                         + latrocínio + deaths from intervention by state agents
Where several files cover the same year, the precedence is municipal file > CISP files > SeriesHistoricas, and
overlapping years must agree within OVERLAP_TOLERANCE (else DataError).

Feminicide: from 2024-10 the municipal file reports `feminicidio` separately and leaves it out of hom_doloso
(letalidade_violenta still includes it; the step checks that identity row by row). Files without a feminicidio
column keep feminicide inside hom_doloso, so adding `feminicidio` back where it is reported keeps one definition.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..checks import (
    csv_row, expect_columns, expect_rate_consistent, expect_unique, expect_years, first_bad, to_count, to_number,
)
from ..errors import DataError

MUNI = "isp_rj_municipal_monthly"
CISP_2017 = "isp_rj_cisp_monthly_2017"
CISP_2025 = "isp_rj_cisp_monthly_2025"
HIST = "isp_rj_historical_series"
POP = "isp_rj_population"
IBGE_EST = "ibge_population_estimates"
WEAPONS = "isp_rj_weapons_seized"
LOOKUP = "isp_rj_cisp_lookup"
SOURCES = [MUNI, CISP_2017, CISP_2025, HIST, POP, IBGE_EST, WEAPONS, LOOKUP]
# Keys of a city's `derive: rio_isp:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "ibge_code": "7-digit IBGE municipality code, quoted: '3304557'",
}
REQUIRED_PARAMETERS = ["ibge_code"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['isp', 'isp_lethal_violence']

MUNI_FILE = "rio-de-janeiro/isp/BaseMunicipioMensal.csv"
CISP_FILES = {CISP_2017: "rio-de-janeiro/isp/BaseDPEvolucaoMensalCisp_2003-2017_3304557.csv",
              CISP_2025: "rio-de-janeiro/isp/BaseDPEvolucaoMensalCisp_2024_3304557.csv"}
HIST_FILE = "rio-de-janeiro/isp/SeriesHistoricas.csv"
POP_FILE = "rio-de-janeiro/isp/PopulacaoEvolucaoAnuaMunic_3304557.csv"
WEAPONS_FILE = "rio-de-janeiro/isp/ArmasApreendidasEvolucaoCisp_capital_cisps.csv"
LOOKUP_FILE = "rio-de-janeiro/isp/Relacao_RISPxAISPxCISP.csv"

STEP = "rio_isp"
ENCODING = "latin1"  # ISP publishes ISO-8859-1 text
CONSOLIDATED_WITH_ERRATA = 3  # `fase` code; 1 = partial, 2 = consolidated without errata
# Same police records in different releases: revisions stay under 1% (or 2 victims for small counts).
OVERLAP_TOLERANCE, OVERLAP_ABS = 0.01, 2
POP_OVERLAP_TOLERANCE = 0.001
COMPONENTS = ["hom_doloso", "lesao_corp_morte", "latrocinio", "hom_por_interv_policial"]
HIST_OFFENCES = {"Homicídio Doloso": "homicides", "Letalidade Violenta": "lethal_violence",
                 "Morte por Intervencao do Agente do Estado": "police_intervention"}
CAPITAL = "Capital"

SERIES = {"isp": "homicides", "isp_lethal_violence": "lethal_violence"}
INDICATORS = {
    "isp_police_intervention_deaths": (
        "police_intervention", "Deaths from police intervention (ISP)",
        "Victims of 'homicídio decorrente de oposição à intervenção policial', published by ISP-RJ as 'morte por "
        "intervenção de agente do Estado': people killed by police or other state agents, from police records, "
        "by month the occurrence was registered.", "victims"),
    "isp_police_officers_killed": (
        "officers_killed", "Police officers killed on duty (ISP)",
        "Military and civil police officers killed while on duty in the territory (pol_militares_mortos_serv + "
        "pol_civis_mortos_serv), from police records compiled by ISP-RJ. Officers killed off duty are not included.",
        "officers"),
    "isp_firearms_seized": (
        "firearms", "Firearms seized (ISP)",
        "Firearms of every kind seized by the police (arma_fogo_total), summed over the police districts (CISP) "
        "of the municipality; ISP-RJ weapons-seizure series.", "firearms"),
    "isp_rifles_seized": (
        "rifles", "Rifles seized (ISP)",
        "Rifles (fuzis, arma_fogo_fuzil) seized by the police, summed over the police districts (CISP) of the "
        "municipality; a common proxy for the armament of drug factions and militias.", "rifles"),
}


# --------------------------------------------------------------------------- small helpers
def ibge_code_of(params: dict, file="data/cities.yml") -> int:
    code = str(params.get("ibge_code", "")).strip()
    if not re.fullmatch(r"33\d{5}", code):
        raise DataError(file, f"{STEP} needs the 7-digit IBGE code of an RJ-state municipality, got "
                              f"{params.get('ibge_code')!r}", field=f"derive.{STEP}.ibge_code",
                        fix='quote it, e.g. ibge_code: "3304557"')
    return int(code)


def read_isp_csv(path, columns=None) -> pd.DataFrame:
    """An ISP `;`-separated Latin-1 file, every cell as text (checked and converted by the readers)."""
    df = pd.read_csv(path, sep=";", dtype=str, encoding=ENCODING, keep_default_na=False, na_values=[""])
    df.columns = [c.strip() for c in df.columns]
    if columns is not None:
        expect_columns(df, columns, path)
    return df


def _months(df: pd.DataFrame, path, year_field="ano", month_field="mes") -> pd.DataFrame:
    df["year"] = to_count(df[year_field], path, year_field)
    df["month"] = to_count(df[month_field], path, month_field)
    expect_years(df["year"], path, field=year_field)
    bad = ~df["month"].between(1, 12)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"month {df.loc[i, month_field]!r} is not 1-12", row=csv_row(i), field=month_field)
    return df


def _check_identity(df: pd.DataFrame, total: str, parts: list[str], path, field: str) -> None:
    """A published total must equal the sum of its components (ISP's own definition)."""
    bad = df[total] != df[parts].sum(axis=1)
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"{field} {df.loc[i, total]} is not the sum of {parts} "
                              f"({df.loc[i, parts].sum()})", row=csv_row(i), field=field,
                        fix="ISP changed what the total includes: re-check feminicide handling in PROVENANCE.md")


# --------------------------------------------------------------------------- readers (one per raw file)
def read_municipal_monthly(path) -> pd.DataFrame:
    """BaseMunicipioMensal.csv: one row per municipality and month, with feminicide added back to homicides.

    Returns code, name, region, year, month, homicides, feminicide, lethal_violence, police_intervention,
    officers_killed, fase.
    """
    counts = COMPONENTS + ["letalidade_violenta", "pol_militares_mortos_serv", "pol_civis_mortos_serv", "fase"]
    df = read_isp_csv(path, ["fmun_cod", "fmun", "ano", "mes", "regiao", "feminicidio"] + counts)
    df = _months(df, path)
    df["code"] = to_count(df["fmun_cod"], path, "fmun_cod")
    for c in counts:
        df[c] = to_count(df[c], path, c)
    # Empty before 2024-10: feminicide was then still inside hom_doloso.
    df["feminicide"] = to_count(df["feminicidio"], path, "feminicidio", allow_missing=True)
    expect_unique(df, ["code", "year", "month"], path)
    df["homicides"] = df["hom_doloso"] + df["feminicide"].fillna(0)
    _check_identity(df, "letalidade_violenta", ["homicides"] + COMPONENTS[1:], path, "letalidade_violenta")
    return pd.DataFrame({
        "code": df["code"], "name": df["fmun"].str.strip(), "region": df["regiao"].str.strip(),
        "year": df["year"], "month": df["month"], "homicides": df["homicides"], "feminicide": df["feminicide"],
        "lethal_violence": df["letalidade_violenta"], "police_intervention": df["hom_por_interv_policial"],
        "officers_killed": df["pol_militares_mortos_serv"] + df["pol_civis_mortos_serv"], "fase": df["fase"]})


def read_cisp_monthly(path) -> pd.DataFrame:
    """BaseDPEvolucaoMensalCisp.csv (either layout: 2017 upper-case/`vano`, 2025 lower-case/`ano`).

    Returns cisp, mcirc, year, month, homicides, lethal_violence, police_intervention, officers_killed, fase.
    hom_doloso in these releases still includes feminicide (no feminicidio column).
    """
    df = read_isp_csv(path)
    df.columns = [c.lower() for c in df.columns]
    df = df.rename(columns={"vano": "ano"})
    counts = COMPONENTS + ["pol_militares_mortos_serv", "pol_civis_mortos_serv", "fase"]
    expect_columns(df, ["cisp", "ano", "mes", "mcirc"] + counts, path)
    if "feminicidio" in df.columns:
        raise DataError(path, "this CISP release has a feminicidio column; the step assumes feminicide is inside "
                              "hom_doloso", field="feminicidio", fix="add feminicidio back as in the municipal file")
    df = _months(df, path)
    df["cisp"] = to_count(df["cisp"], path, "cisp")
    df["mcirc"] = to_count(df["mcirc"], path, "mcirc")
    for c in counts:
        df[c] = to_count(df[c], path, c)
    expect_unique(df, ["cisp", "year", "month"], path)
    df["lethal_violence"] = df[COMPONENTS].sum(axis=1)
    published = "letalidade_violenta" if "letalidade_violenta" in df.columns else "indicador_letalidade"
    if published in df.columns:
        df[published] = to_count(df[published], path, published)
        _check_identity(df, published, COMPONENTS, path, published)
    return pd.DataFrame({
        "cisp": df["cisp"], "mcirc": df["mcirc"], "year": df["year"], "month": df["month"],
        "homicides": df["hom_doloso"], "lethal_violence": df["lethal_violence"],
        "police_intervention": df["hom_por_interv_policial"],
        "officers_killed": df["pol_militares_mortos_serv"] + df["pol_civis_mortos_serv"], "fase": df["fase"]})


def read_historical_series(path) -> pd.DataFrame:
    """SeriesHistoricas.csv: annual count, population and rate by area and offence.

    Counts and populations use "." as thousands separator, rates "," as decimal mark.
    Returns year, area, variable (homicides / lethal_violence / police_intervention), count, population, rate.
    """
    cols = ["ano", "area geografica", "delito", "contagem", "populacao", "taxa por 100 mil habitantes"]
    df = read_isp_csv(path, cols)
    df["year"] = to_count(df["ano"], path, "ano")
    expect_years(df["year"], path, field="ano")
    df["count"] = to_count(df["contagem"].str.replace(".", "", regex=False), path, "contagem")
    df["population"] = to_count(df["populacao"].str.replace(".", "", regex=False), path, "populacao")
    df["rate"] = to_number(df["taxa por 100 mil habitantes"].str.replace(",", ".", regex=False), path,
                           "taxa por 100 mil habitantes")
    expect_rate_consistent(df["count"], df["population"], df["rate"], path, rows=[csv_row(i) for i in df.index])
    df["area"] = df["area geografica"].str.strip()
    df["delito"] = df["delito"].str.strip()
    unknown = ~df["delito"].isin(list(HIST_OFFENCES))
    i = first_bad(unknown)
    if i is not None:
        raise DataError(path, f"unknown offence {df.loc[i, 'delito']!r}", row=csv_row(i), field="delito",
                        fix=f"expected one of {list(HIST_OFFENCES)}")
    df["variable"] = df["delito"].map(HIST_OFFENCES)
    expect_unique(df, ["year", "area", "variable"], path)
    return df[["year", "area", "variable", "count", "population", "rate"]]


def read_isp_population(path) -> pd.DataFrame:
    """PopulacaoEvolucaoAnuaMunic.csv: ISP's municipal denominators. Returns code, year, population.

    Projected years carry decimals with a decimal comma (2022: "6803421,087"); they are rounded to whole
    persons, which is how ISP itself prints them in SeriesHistoricas.
    """
    df = read_isp_csv(path, ["cod_munic", "pop_munic", "ano"])
    df["code"] = to_count(df["cod_munic"], path, "cod_munic")
    df["year"] = to_count(df["ano"], path, "ano")
    expect_years(df["year"], path, field="ano")
    pop = to_number(df["pop_munic"].str.replace(",", ".", regex=False), path, "pop_munic")
    i = first_bad(pop <= 0)
    if i is not None:
        raise DataError(path, f"population {df.loc[i, 'pop_munic']!r} is not positive", row=csv_row(i),
                        field="pop_munic")
    df["population"] = pop.round().astype("Int64")
    expect_unique(df, ["code", "year"], path)
    return df[["code", "year", "population"]]


IBGE_LAYOUTS = [("city_ibge_code", "estimated_population"), ("codigo_municipio", "populacao")]
IBGE_NAME = re.compile(r"populacao(?:-estimada)?-(\d{4})_")


def read_ibge_estimate(path) -> pd.DataFrame:
    """One turicas/censo-ibge copy of an IBGE estimate; the year is in the file name.

    Returns code, year, population.
    """
    m = IBGE_NAME.search(Path(path).name)
    if not m:
        raise DataError(path, "cannot tell the reference year from the file name",
                        fix="name it populacao[-estimada]-<year>_<date>*.csv as in the turicas repository")
    df = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    for code_col, pop_col in IBGE_LAYOUTS:
        if code_col in df.columns:
            break
    else:
        raise DataError(path, f"neither known header: expected one of {IBGE_LAYOUTS}; found {list(df.columns)}")
    expect_columns(df, [code_col, pop_col], path)
    out = pd.DataFrame({"code": to_count(df[code_col], path, code_col), "year": int(m.group(1)),
                        "population": to_count(df[pop_col], path, pop_col)})
    expect_unique(out, ["code"], path)
    return out


def read_weapons(path) -> pd.DataFrame:
    """ArmasApreendidasEvolucaoCisp.csv: weapons seized by CISP and month.

    Returns cisp, year, month, firearms, rifles.
    """
    df = read_isp_csv(path, ["cisp", "mes", "ano", "arma_fogo_fuzil", "arma_fogo_total"])
    df = _months(df, path)
    df["cisp"] = to_count(df["cisp"], path, "cisp")
    expect_unique(df, ["cisp", "year", "month"], path)
    return pd.DataFrame({"cisp": df["cisp"], "year": df["year"], "month": df["month"],
                         "firearms": to_count(df["arma_fogo_total"], path, "arma_fogo_total"),
                         "rifles": to_count(df["arma_fogo_fuzil"], path, "arma_fogo_fuzil")})


def read_cisp_lookup(path) -> pd.DataFrame:
    """Relacao_RISPxAISPxCISP.csv: current CISPs with their area description and municipality name.

    A CISP covering several municipalities has one row per municipality.
    """
    df = read_isp_csv(path, ["CISP", "Unidade Territorial", "Município"])
    df["cisp"] = to_count(df["CISP"], path, "CISP")
    expect_unique(df, ["cisp", "Município"], path)
    return pd.DataFrame({"cisp": df["cisp"], "area_name": df["Unidade Territorial"].str.strip(),
                         "municipality": df["Município"].str.strip()})


# --------------------------------------------------------------------------- combining
def full_years(monthly: pd.DataFrame, keys=()) -> pd.DataFrame:
    """Annual sums of the count columns, only for (keys, year) groups holding all 12 months.

    `fase` becomes the lowest phase of the year, so one partial month marks the whole year.
    """
    keys = list(keys)
    g = monthly.groupby(keys + ["year"])
    values = [c for c in monthly.columns if c not in keys + ["year", "month", "fase", "cisp", "mcirc"]]
    out = g[values].sum(min_count=1)
    out["fase"] = g["fase"].min()
    out = out[g["month"].nunique() == 12]
    return out.reset_index()


def splice(frames: list[tuple[str, pd.DataFrame]], variable: str, file: str) -> pd.DataFrame:
    """One value per year from (source_id, annual table) pairs in precedence order.

    Where two sources cover the same year they must agree within OVERLAP_TOLERANCE: a larger gap means the
    files count different things and silently joining them would break the series.
    """
    rows = {}
    for sid, df in frames:
        if df.empty or variable not in df.columns:
            continue
        for r in df[["year", variable, "fase"]].itertuples(index=False):
            if pd.isna(r[1]):
                continue
            year, value = int(r[0]), int(r[1])
            if year in rows:
                kept = rows[year]
                if abs(kept["value"] - value) > max(OVERLAP_TOLERANCE * max(kept["value"], value), OVERLAP_ABS):
                    raise DataError(file, f"{variable} {year}: {kept['source_id']} has {kept['value']}, {sid} has "
                                          f"{value} (more than {OVERLAP_TOLERANCE:.0%} apart)", field=variable,
                                    fix="check whether a definition changed between the releases (PROVENANCE.md)")
                continue
            fase = r[2]
            rows[year] = {"year": year, "value": value, "source_id": sid,
                          "status": "final" if pd.isna(fase) or fase >= CONSOLIDATED_WITH_ERRATA else "preliminary"}
    return pd.DataFrame(rows.values(), columns=["year", "value", "source_id", "status"]).sort_values("year")


def choose_population(isp_pop: pd.DataFrame, hist_pop: pd.DataFrame, ibge: pd.DataFrame, file: str) -> pd.DataFrame:
    """The denominator: ISP's own population wherever ISP publishes one (PopulacaoEvolucaoAnuaMunic, then the
    SeriesHistoricas column), IBGE estimates only for years after ISP's last year. Overlaps must agree."""
    chosen: dict[int, tuple[int, str]] = {}
    for sid, df in ((POP, isp_pop), (HIST, hist_pop)):
        for year, pop in zip(df["year"], df["population"]):
            year, pop = int(year), int(pop)
            if year in chosen:
                if abs(chosen[year][0] - pop) > POP_OVERLAP_TOLERANCE * pop:
                    raise DataError(file, f"population {year}: {chosen[year][1]} has {chosen[year][0]}, {sid} {pop}",
                                    field="population")
                continue
            chosen[year] = (pop, sid)
    last_isp = max(chosen) if chosen else None
    for year, pop in zip(ibge["year"], ibge["population"]):
        year, pop = int(year), int(pop)
        if year in chosen:
            if abs(chosen[year][0] - pop) > POP_OVERLAP_TOLERANCE * pop:
                raise DataError(file, f"population {year}: ISP uses {chosen[year][0]}, IBGE estimate is {pop}",
                                field="population", fix="ISP changed denominators: revisit the population choice")
        elif last_isp is None or year > last_isp:
            chosen[year] = (pop, IBGE_EST)
    return pd.DataFrame([{"year": y, "population": p, "population_source_id": s} for y, (p, s) in chosen.items()],
                        columns=["year", "population", "population_source_id"])


def city_cisps(code: int, name: str, lookup: pd.DataFrame, cisp: pd.DataFrame) -> set[int] | None:
    """CISPs of a municipality: by name in ISP's current lookup, plus any CISP coded to it in the CISP files
    (the lookup leaves out discontinued CISPs such as Rio's 45).

    None when one of them also covers another municipality: CISP-level counts then cannot be attributed.
    """
    mine = lookup["municipality"].str.casefold() == name.casefold()
    by_name = set(lookup.loc[mine, "cisp"].astype(int))
    if set(lookup.loc[~mine, "cisp"].astype(int)) & by_name:
        return None
    return by_name | set(cisp.loc[cisp["mcirc"] == code, "cisp"].astype(int))


# --------------------------------------------------------------------------- the step
def annual_sources(m: pd.DataFrame, c: pd.DataFrame, h: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Annual totals of one municipality per file, in precedence order: municipal file, CISP releases,
    SeriesHistoricas."""
    out = [(MUNI, full_years(m))]
    for sid in CISP_FILES:
        cs = c[c["source_id"] == sid]
        by_month = cs.groupby(["year", "month"], as_index=False).agg(
            {"homicides": "sum", "lethal_violence": "sum", "police_intervention": "sum",
             "officers_killed": "sum", "fase": "min"})
        out.append((sid, full_years(by_month)))
    out.append((HIST, h.pivot(index="year", columns="variable", values="count").reset_index().assign(fase=pd.NA)))
    return out


def subcity_rows(slug: str, c: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Homicides by CISP and year, for years a release covers in full, and only CISP-years with 12 months
    (districts created mid-year are left out for that year)."""
    frames = []
    for sid in CISP_FILES:
        cs = c[c["source_id"] == sid][["cisp", "year", "month", "homicides", "fase"]]
        complete = cs.groupby("year")["month"].nunique()
        cs = cs[cs["year"].isin(complete.index[complete == 12])]
        if cs.empty:
            continue
        cy = full_years(cs, keys=["cisp"])
        frames.append(pd.DataFrame({
            "city": slug, "year": cy["year"], "area_id": cy["cisp"].astype(int).astype(str),
            "area_name": [names.get(int(k), f"CISP {int(k)} (not in ISP's current CISP list)") for k in cy["cisp"]],
            "area_type": "police district (CISP)", "homicides": cy["homicides"], "source_id": sid}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def derive(ctx) -> dict[str, pd.DataFrame]:
    muni = read_municipal_monthly(ctx.raw(MUNI, MUNI_FILE))
    cisp = pd.concat([read_cisp_monthly(ctx.raw(sid, f)).assign(source_id=sid) for sid, f in CISP_FILES.items()],
                     ignore_index=True)
    expect_unique(cisp, ["cisp", "year", "month"], "ISP CISP files (2017 and 2025 releases together)")
    hist = read_historical_series(ctx.raw(HIST, HIST_FILE))
    isp_pop = read_isp_population(ctx.raw(POP, POP_FILE))
    ibge = pd.concat([read_ibge_estimate(ctx.raw(IBGE_EST, f["path"])) for f in ctx.source(IBGE_EST).files],
                     ignore_index=True)
    expect_unique(ibge, ["code", "year"], "IBGE estimate files")
    weapons = read_weapons(ctx.raw(WEAPONS, WEAPONS_FILE))
    lookup = read_cisp_lookup(ctx.raw(LOOKUP, LOOKUP_FILE))

    # A variable that is zero in every municipality for a whole year was not collected that year
    # (police officers killed in 2014): treat it as missing rather than as zero.
    state = muni.groupby("year")["officers_killed"].sum()
    not_collected = {int(y) for y in state.index[state == 0]}

    out = {t: [] for t in ("homicides_annual", "homicides_monthly", "homicides_subcity", "indicators")}
    for city, params in ctx.cities_for(STEP):
        code, slug = ibge_code_of(params), city["slug"]
        where = f"{STEP} for {slug}"
        m = muni[muni["code"] == code].drop(columns=["code", "feminicide"])
        if m.empty:
            raise DataError("data/cities.yml", f"IBGE code {code} is not in ISP's municipal file {MUNI_FILE}",
                            field=f"derive.{STEP}.ibge_code")
        name, regions = m["name"].iloc[0], set(m["region"])
        m = m.drop(columns=["name", "region"])
        m.loc[m["year"].isin(not_collected), "officers_killed"] = pd.NA
        c = cisp[cisp["mcirc"] == code]
        # SeriesHistoricas only breaks out the capital ("Capital" area).
        h = hist[hist["area"] == CAPITAL] if regions == {CAPITAL} else hist.iloc[0:0]
        sources = annual_sources(m, c, h)

        population = choose_population(isp_pop[isp_pop["code"] == code],
                                       h[h["variable"] == "homicides"][["year", "population"]],
                                       ibge[ibge["code"] == code], where)
        for series, variable in SERIES.items():
            s = splice(sources, variable, where).merge(population, on="year", how="left")
            out["homicides_annual"].append(pd.DataFrame({
                "city": slug, "year": s["year"], "series": series, "homicides": s["value"],
                "population": s["population"], "unit": "municipality", "source_id": s["source_id"],
                "population_source_id": s["population_source_id"], "status": s["status"]}))

        # monthly: the municipal file wins, CISP sums before it
        cm = c.groupby(["year", "month", "source_id"], as_index=False)[["homicides", "lethal_violence"]].sum()
        mm = pd.concat([m.assign(source_id=MUNI), cm], ignore_index=True).drop_duplicates(["year", "month"])
        for series, variable in SERIES.items():
            out["homicides_monthly"].append(pd.DataFrame({
                "city": slug, "month": [f"{y:04d}-{mo:02d}" for y, mo in zip(mm["year"], mm["month"])],
                "homicides": mm[variable], "series": series, "source_id": mm["source_id"]}))

        mine = lookup[lookup["municipality"].str.casefold() == name.casefold()]
        out["homicides_subcity"].append(subcity_rows(slug, c, dict(zip(mine["cisp"], mine["area_name"]))))

        # weapons: only where every CISP of the municipality lies inside it
        cisps = city_cisps(code, name, lookup, c)
        w = weapons[weapons["cisp"].isin(cisps or set())]
        wy = w.groupby(["year", "month"], as_index=False)[["firearms", "rifles"]].sum().assign(fase=pd.NA)
        for ind, (variable, _label, _definition, unit) in INDICATORS.items():
            if variable in ("firearms", "rifles"):
                s = splice([(WEAPONS, full_years(wy))], variable, where)
            else:
                s = splice(sources, variable, where)
            out["indicators"].append(pd.DataFrame({"city": slug, "year": s["year"], "indicator": ind,
                                                   "value": s["value"], "unit": unit, "source_id": s["source_id"]}))

    tables = {t: pd.concat(v, ignore_index=True) if v else pd.DataFrame() for t, v in out.items()}
    tables["indicator_definitions"] = indicator_definitions()
    return tables


def indicator_definitions() -> pd.DataFrame:
    return pd.DataFrame([{"indicator": k, "label": label, "definition": definition, "unit": unit, "scope": "city"}
                         for k, (_v, label, definition, unit) in INDICATORS.items()])
