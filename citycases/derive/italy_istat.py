"""Intentional homicides by Italian province (and region) from ISTAT and Eurostat, with ISTAT population.

Two publications of the same police data (SDI/SSD of the Ministero dell'Interno):
* ISTAT DCCV_DELITTIPS (2014-2024 in the stored extract), province codes of the old ISTAT/NUTS scheme
  (e.g. ITC45 Milano, IT108 Monza e della Brianza);
* Eurostat crim_gen_reg (2008-2021 in the stored vintage), NUTS 2016/2021 codes (ITC4C, ITC4D).
ISTAT is used wherever it has the year; Eurostat fills the earlier years. In the overlap both must agree
exactly, otherwise the step stops.

Parameters (data/cities.yml, derive: italy_istat:):
    ref_area   ISTAT code of the province (REF_AREA), e.g. "ITC45"
    nuts3      Eurostat NUTS 3 code of the same province, e.g. "ITC4C"
    split      optional: a province carved out of this one, {ref_area, nuts3, separate_from}: Eurostat
               reports it separately from `separate_from`; before that its homicides sit inside `nuts3`.
               Gives a second series on the old (pre-split) borders.
    region     optional: {ref_area, nuts2} of the region, for a regional series (unit "region").
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import expect_columns, expect_rate_consistent, expect_unique, expect_years, first_bad, to_count
from ..errors import DataError

CRIMES_SOURCE = "istat_delitti_denunciati"
POP_SOURCE = "istat_popolazione"
EUROSTAT_SOURCE = "eurostat_crim_gen_reg_italy"
SOURCES = [CRIMES_SOURCE, POP_SOURCE, EUROSTAT_SOURCE]
# Keys of a city's `derive: italy_istat:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "ref_area": "ISTAT REF_AREA code of the province: ITC45",
    "nuts3": "Eurostat NUTS 3 code of the same province: ITC4C",
    "split": "optional: {ref_area, nuts3, separate_from} of a province carved out of this one",
    "region": "optional: {ref_area, nuts2} of the region, for a regional series",
}
REQUIRED_PARAMETERS = ["ref_area", "nuts3"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['istat_province', 'istat_province_old_borders', 'istat_region']

PROVINCE_CRIMES = "milan/istat_osservatorio_criminalita/reati_allarme_sociale_province__milano_monza.csv"
REGION_CRIMES = "milan/istat_osservatorio_criminalita/reati_allarme_sociale_regioni__lombardia.csv"
PROVINCE_TOTALS = "milan/istat_osservatorio_criminalita/delitti_province__milano_monza.csv"
POPULATION = "milan/istat_osservatorio_criminalita/popolazione_regioni_province__italia_lombardia_milano_monza.csv"
EUROSTAT = "milan/eurostat_crim_gen_reg/estat_crim_gen_reg_IT_rows_original_lines.tsv"

HOMICIDE = "Omicidi volontari consumati"
ATTEMPTED = "Tentati omicidi"
ICCS_HOMICIDE = "ICCS0101"

SERIES_PROVINCE = "istat_province"
SERIES_OLD_BORDERS = "istat_province_old_borders"
SERIES_REGION = "istat_region"

IND_ATTEMPTED = "istat_attempted_homicides_province"
IND_TOTAL = "istat_crimes_reported_province"
DEFINITIONS = [
    (IND_ATTEMPTED, "Attempted homicides reported (province)",
     "Attempted intentional homicides (tentati omicidi) reported by the police forces to the judicial "
     "authority in the province on current borders (ISTAT, Delitti denunciati, from the Ministry of the "
     "Interior's SDI/SSD database).", "crimes reported (count)"),
    (IND_TOTAL, "All crimes reported (province)",
     "Total number of crimes (delitti) of every kind reported by the police forces to the judicial "
     "authority in the province on current borders (ISTAT, Delitti denunciati, SDI/SSD).",
     "crimes reported (count)"),
]


# --------------------------------------------------------------------------- readers
def read_istat_crimes(path) -> pd.DataFrame:
    """ISTAT crimes file (one row per area, year, crime) as ref_area, year, crime, count, population."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["REF_AREA", "Anno", "Reato", "Delitti", "Popolazione", "Tasso_per_100k"], path)
    expect_years(df["Anno"], path, field="Anno")
    expect_unique(df, ["REF_AREA", "Anno", "Reato"], path)
    out = pd.DataFrame({
        "ref_area": df["REF_AREA"].str.strip(),
        "year": df["Anno"].astype(int),
        "crime": df["Reato"].str.strip(),
        "count": to_count(df["Delitti"], path, "Delitti"),
        "population": to_count(df["Popolazione"], path, "Popolazione"),
    })
    # The file's rate is the repository's own arithmetic; it must match count / population (1 January).
    expect_rate_consistent(out["count"], out["population"], pd.to_numeric(df["Tasso_per_100k"], errors="coerce"),
                           path, rows=[i + 2 for i in range(len(df))])
    return out


def read_istat_totals(path) -> pd.DataFrame:
    """ISTAT total crimes reported per province and year: ref_area, year, count, population."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["REF_AREA", "Anno", "Delitti", "Popolazione"], path)
    expect_years(df["Anno"], path, field="Anno")
    expect_unique(df, ["REF_AREA", "Anno"], path)
    return pd.DataFrame({
        "ref_area": df["REF_AREA"].str.strip(),
        "year": df["Anno"].astype(int),
        "count": to_count(df["Delitti"], path, "Delitti"),
        "population": to_count(df["Popolazione"], path, "Popolazione"),
    })


def read_istat_population(path) -> pd.DataFrame:
    """ISTAT resident population on 1 January: ref_area, year, population."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["REF_AREA", "Anno", "Popolazione"], path)
    expect_years(df["Anno"], path, field="Anno")
    expect_unique(df, ["REF_AREA", "Anno"], path)
    pop = to_count(df["Popolazione"], path, "Popolazione")
    zero = pop == 0
    i = first_bad(zero)
    if i is not None:
        raise DataError(path, "population is zero", row=int(i) + 2, field="Popolazione")
    return pd.DataFrame({"ref_area": df["REF_AREA"].str.strip(), "year": df["Anno"].astype(int), "population": pop})


_EUROSTAT_VALUE = re.compile(r"^\s*(?P<num>-?\d+(?:\.\d+)?)?\s*(?P<flag>[a-z]*)\s*$")


def read_eurostat_tsv(path) -> pd.DataFrame:
    """Eurostat bulk TSV (first column 'freq,unit,iccs,geo\\TIME_PERIOD', one column per year) in long form:
    unit, iccs, geo, year, value (NaN where Eurostat shows ':')."""
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    raw.columns = [c.strip() for c in raw.columns]
    key = raw.columns[0]
    if key.split("\\")[0].split(",") != ["freq", "unit", "iccs", "geo"]:
        raise DataError(path, f"first column is '{key}', expected 'freq,unit,iccs,geo\\TIME_PERIOD'",
                        fix="the raw file's layout changed: check its PROVENANCE.md")
    years = raw.columns[1:]
    bad_year = [c for c in years if not re.fullmatch(r"\d{4}", c)]
    if bad_year:
        raise DataError(path, f"year column(s) {bad_year} are not years", field=bad_year[0])
    parts = raw[key].str.split(",", expand=True)
    if parts.shape[1] != 4:
        raise DataError(path, "row keys must have four comma-separated parts (freq,unit,iccs,geo)", field=key)
    raw[["freq", "unit", "iccs", "geo"]] = parts.apply(lambda s: s.str.strip())
    expect_unique(raw, ["freq", "unit", "iccs", "geo"], path)
    rows = []
    for i, r in raw.iterrows():
        for y in years:
            cell = r[y]
            if cell.strip().startswith(":"):
                value = float("nan")
            else:
                m = _EUROSTAT_VALUE.match(cell)
                if not m or m.group("num") is None:
                    raise DataError(path, f"not a number: {cell!r}", row=int(i) + 2, field=y)
                value = float(m.group("num"))
                if value < 0:
                    raise DataError(path, f"negative value {value:g}", row=int(i) + 2, field=y)
            rows.append((r["unit"], r["iccs"], r["geo"], int(y), value, int(i) + 2))
    return pd.DataFrame(rows, columns=["unit", "iccs", "geo", "year", "value", "row"])


# --------------------------------------------------------------------------- helpers
def eurostat_homicides(euro: pd.DataFrame, geo: str, path) -> pd.Series:
    """Homicide counts (NR, ICCS0101) of one NUTS code by year; missing years (':') are NaN."""
    sel = euro[(euro["unit"] == "NR") & (euro["iccs"] == ICCS_HOMICIDE) & (euro["geo"] == geo)]
    if sel.empty:
        raise DataError(path, f"no homicide counts (NR, {ICCS_HOMICIDE}) for NUTS code '{geo}'",
                        fix="check the nuts3/nuts2 parameter in data/cities.yml")
    frac = sel["value"].notna() & (sel["value"] != sel["value"].round())
    if frac.any():
        r = sel[frac].iloc[0]
        raise DataError(path, f"count is not a whole number: {r['value']!r}", row=int(r["row"]), field=str(r["year"]))
    return sel.set_index("year")["value"]


def istat_homicides(crimes: pd.DataFrame, ref_area: str, path, crime: str = HOMICIDE) -> pd.DataFrame:
    sel = crimes[(crimes["ref_area"] == ref_area) & (crimes["crime"] == crime)]
    if sel.empty:
        raise DataError(path, f"no rows for REF_AREA '{ref_area}' and crime '{crime}'",
                        fix="check the ref_area parameter in data/cities.yml")
    expect_years(sel["year"], path, field="Anno")
    return sel.set_index("year")


def check_overlap(istat: pd.Series, euro: pd.Series, what: str, files) -> None:
    """The two publications of the same SDI data must give identical counts where both have the year."""
    both = istat.index.intersection(euro.dropna().index)
    for y in sorted(both):
        if int(istat[y]) != int(euro[y]):
            raise DataError(" and ".join(str(f) for f in files),
                            f"{what} {y}: ISTAT has {int(istat[y])}, Eurostat {int(euro[y])}; the step "
                            f"expects the two publications to agree", field=str(y),
                            fix="look at both files; keep them as separate series if they now differ")


def check_population(ist: pd.DataFrame, pop: pd.DataFrame, ref_area: str, path) -> None:
    """ISTAT's own denominator must be the population file's 1 January figure for the same area."""
    for y, r in ist.iterrows():
        ref = population_of(pop, [ref_area], y)
        if ref is not None and ref != int(r["population"]):
            raise DataError(path, f"population {int(r['population'])} for {ref_area} {y} differs from the "
                                  f"population file ({ref})", field="Popolazione")


def population_of(pop: pd.DataFrame, ref_areas, year: int):
    """Sum of the 1 January populations of the areas, or None if any is missing (never filled in)."""
    total = 0
    for a in ref_areas:
        v = pop[(pop["ref_area"] == a) & (pop["year"] == year)]["population"]
        if v.empty:
            return None
        total += int(v.iloc[0])
    return total


def _rows(city, series, unit, counts: dict, sources: dict, pop, areas) -> list[dict]:
    return [{"city": city, "year": y, "series": series, "homicides": int(n),
             "population": population_of(pop, areas, y), "unit": unit, "source_id": sources[y],
             "population_source_id": POP_SOURCE, "status": "final"} for y, n in sorted(counts.items())]


# --------------------------------------------------------------------------- step
def derive(ctx) -> dict[str, pd.DataFrame]:
    annual, indicators = [], []
    targets = ctx.cities_for("italy_istat")
    if not targets:
        return {}
    prov_path = ctx.raw(CRIMES_SOURCE, PROVINCE_CRIMES)
    reg_path = ctx.raw(CRIMES_SOURCE, REGION_CRIMES)
    tot_path = ctx.raw(CRIMES_SOURCE, PROVINCE_TOTALS)
    pop_path = ctx.raw(POP_SOURCE, POPULATION)
    euro_path = ctx.raw(EUROSTAT_SOURCE, EUROSTAT)
    crimes = read_istat_crimes(prov_path)
    totals = read_istat_totals(tot_path)
    pop = read_istat_population(pop_path)
    euro = read_eurostat_tsv(euro_path)
    for city, p in targets:
        slug = city["slug"]
        for k in ("ref_area", "nuts3"):
            if not p.get(k):
                raise DataError("data/cities.yml", f"city '{slug}': italy_istat needs parameter '{k}'",
                                field=f"derive.italy_istat.{k}")
        ist = istat_homicides(crimes, p["ref_area"], prov_path)
        check_population(ist, pop, p["ref_area"], prov_path)
        eu = eurostat_homicides(euro, p["nuts3"], euro_path)
        check_overlap(ist["count"], eu, f"homicides {p['ref_area']}/{p['nuts3']}", [prov_path, euro_path])

        split = p.get("split")
        first_current = None
        if split:
            first_current = int(split["separate_from"])
            eu_split = eurostat_homicides(euro, split["nuts3"], euro_path)
            before = eu_split[eu_split.index < first_current]
            after = eu_split[eu_split.index >= first_current]
            if before.notna().any() or after.isna().any():
                raise DataError(euro_path, f"expected {split['nuts3']} to be missing (':') before "
                                           f"{first_current} and present from then on",
                                field=split["nuts3"], fix="check split.separate_from in data/cities.yml")
        # Current borders: ISTAT years, then Eurostat years on the same borders.
        counts = {int(y): int(n) for y, n in ist["count"].items()}
        sources = {y: CRIMES_SOURCE for y in counts}
        for y, n in eu.dropna().items():
            if y not in counts and (first_current is None or y >= first_current):
                counts[int(y)], sources[int(y)] = int(n), EUROSTAT_SOURCE
        annual += _rows(slug, SERIES_PROVINCE, "province", counts, sources, pop, [p["ref_area"]])

        if split:
            ist_split = istat_homicides(crimes, split["ref_area"], prov_path)
            check_overlap(ist_split["count"], eu_split, f"homicides {split['ref_area']}/{split['nuts3']}",
                          [prov_path, euro_path])
            old, old_src = {}, {}
            for y in ist.index:
                if y not in ist_split.index:
                    raise DataError(prov_path, f"{split['ref_area']} has no homicide count for {y}", field="Anno")
                old[int(y)] = int(ist.loc[y, "count"]) + int(ist_split.loc[y, "count"])
                old_src[int(y)] = CRIMES_SOURCE
            for y, n in eu.dropna().items():
                if y in old:
                    continue
                # Before the split year the NUTS 3 figure already includes the carved-out province.
                old[int(y)] = int(n) + (0 if y < first_current else int(eu_split[y]))
                old_src[int(y)] = EUROSTAT_SOURCE
            annual += _rows(slug, SERIES_OLD_BORDERS, "province (pre-split borders)", old, old_src, pop,
                            [p["ref_area"], split["ref_area"]])

        region = p.get("region")
        if region:
            reg = istat_homicides(read_istat_crimes(reg_path), region["ref_area"], reg_path)
            check_population(reg, pop, region["ref_area"], reg_path)
            eu_reg = eurostat_homicides(euro, region["nuts2"], euro_path)
            check_overlap(reg["count"], eu_reg, f"homicides {region['ref_area']}/{region['nuts2']}",
                          [reg_path, euro_path])
            rc = {int(y): int(n) for y, n in reg["count"].items()}
            rs = {y: CRIMES_SOURCE for y in rc}
            for y, n in eu_reg.dropna().items():
                if y not in rc:
                    rc[int(y)], rs[int(y)] = int(n), EUROSTAT_SOURCE
            annual += _rows(slug, SERIES_REGION, "region", rc, rs, pop, [region["ref_area"]])

        att = istat_homicides(crimes, p["ref_area"], prov_path, crime=ATTEMPTED)
        indicators += [{"city": slug, "year": int(y), "indicator": IND_ATTEMPTED, "value": int(n),
                        "unit": "crimes reported (count)", "source_id": CRIMES_SOURCE} for y, n in att["count"].items()]
        tot = totals[totals["ref_area"] == p["ref_area"]]
        if tot.empty:
            raise DataError(tot_path, f"no rows for REF_AREA '{p['ref_area']}'", field="REF_AREA")
        indicators += [{"city": slug, "year": int(r["year"]), "indicator": IND_TOTAL, "value": int(r["count"]),
                        "unit": "crimes reported (count)", "source_id": CRIMES_SOURCE} for _, r in tot.iterrows()]
    defs = pd.DataFrame([{"indicator": i, "label": lab, "definition": d, "unit": u, "scope": "city"}
                         for i, lab, d, u in DEFINITIONS])
    return {"homicides_annual": pd.DataFrame(annual), "indicators": pd.DataFrame(indicators),
            "indicator_definitions": defs}
