"""Brå handled offences ("Handlagda brott", Tabell 300): murder and manslaughter offences on which a closing
decision was taken in the year, for a police region (params: police_region) and for Sweden.

This is case load, not incidence (PROVENANCE.md section 10): an offence is counted in the year a decision
closes it, whatever the year it was reported, and deaths first reported as murder or manslaughter that
proved to be something else are included. So it is never a homicides_annual series. It gives
* indicators (the police region): handled completed offences, the firearm share of them, the share cleared
  by person (personuppklaringsprocent), and handled attempted offences;
* country_context: the same for the whole of Sweden.

From 2024 the completed row no longer includes assault with fatal outcome (scope change, checked below).
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique, expect_years, first_bad, to_count, to_number
from ..errors import DataError
from ._sweden import police_region

SOURCES = ["bra_handled_offences"]
SERIES_IDS: list[str] = []  # indicators only: handled offences are never a homicide series
PARAMETERS = {"police_region": "the Swedish police region whose Tabell 300 rows are read (e.g. Stockholm)"}
REQUIRED_PARAMETERS = ["police_region"]

SOURCE = "bra_handled_offences"
TABLE = "stockholm/bra_handlagda_tabell300/bra_tabell300_handlagda_mord_drap_region_stockholm_riket_2015_2025.csv"

# Brå's region codes in the Tabell 300 files; "La" is the whole country (Hela landet).
REGION_CODES = {"Stockholm": "Rn03"}
NATIONAL = "La"
FIRST_YEAR, LAST_YEAR = 2015, 2025
# First table-year whose completed row leaves out assault with fatal outcome (BrB 3 kap. 5-6 §).
SCOPE_CHANGE = 2024

CATEGORIES = ["samtliga_brott", "brott_mot_brottsbalken", "brott_mot_person_3_7_kap",
              "brott_mot_liv_och_halsa_3_kap", "fullbordat_total", "fullbordat_mot_kvinna_flicka",
              "fullbordat_mot_kvinna_flicka_med_skjutvapen", "fullbordat_mot_kvinna_flicka_utan_skjutvapen",
              "fullbordat_mot_man_pojke", "fullbordat_mot_man_pojke_med_skjutvapen",
              "fullbordat_mot_man_pojke_utan_skjutvapen", "forsok_mord_drap_total"]
COUNTS = ["handlagda_totalt", "utredda_totalt", "direktavskrivna_totalt"]
COLUMNS = ["year", "region_code", "category", "offence_scope", *COUNTS, "utredda_personuppklarade",
           "personuppklaringsprocent"]
# Published percentages carry many decimals; recomputed from the counts they must agree to this tolerance.
PCT_TOL = 0.01


def read_table(path) -> pd.DataFrame:
    """The long Tabell 300 extract: one row per year, region and category; counts as integers."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, COLUMNS, path)
    out = pd.DataFrame({"year": to_count(df["year"], path, "year").astype(int),
                        "region_code": df["region_code"].str.strip(),
                        "category": df["category"].str.strip(),
                        "scope": df["offence_scope"].str.strip()}, index=df.index)
    for c in COUNTS:
        out[c] = to_count(df[c], path, c).astype(int)
    out["cleared"] = to_count(df["utredda_personuppklarade"].replace("", pd.NA), path, "utredda_personuppklarade",
                              allow_missing=True)
    out["clearance_pct"] = to_number(df["personuppklaringsprocent"], path, "personuppklaringsprocent")
    unknown = ~out["category"].isin(CATEGORIES)
    i = first_bad(unknown)
    if i is not None:
        raise DataError(path, f"unknown category {out['category'][i]!r}", row=csv_row(i), field="category",
                        fix=f"categories are {CATEGORIES}")
    expect_unique(out, ["region_code", "year", "category"], path)
    return out


def check_table(t: pd.DataFrame, path, region_code: str) -> pd.DataFrame:
    """Expectations of PROVENANCE.md section 10 for one region; returns the region's rows."""
    r = t[t["region_code"] == region_code]
    if r.empty:
        raise DataError(path, f"no rows for region code '{region_code}'", field="region_code")
    expect_years(r["year"], path, first=FIRST_YEAR, last=LAST_YEAR)
    for year, g in r.groupby("year"):
        missing = sorted(set(CATEGORIES) - set(g["category"]))
        if missing:
            raise DataError(path, f"{region_code} {year}: categories {missing} missing", field="category")
    # handled = investigated + written off without investigation, in every row
    bad = r["handlagda_totalt"] != r["utredda_totalt"] + r["direktavskrivna_totalt"]
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"{r['handlagda_totalt'][i]} handled is not {r['utredda_totalt'][i]} investigated "
                              f"+ {r['direktavskrivna_totalt'][i]} written off", row=csv_row(i),
                        field="handlagda_totalt")
    # with and without firearm add up to their victim-sex row
    w = r.pivot(index="year", columns="category", values="handlagda_totalt")
    for sex in ("kvinna_flicka", "man_pojke"):
        base = f"fullbordat_mot_{sex}"
        diff = w[f"{base}_med_skjutvapen"] + w[f"{base}_utan_skjutvapen"] != w[base]
        if diff.any():
            raise DataError(path, f"{region_code} {diff[diff].index[0]}: firearm and non-firearm rows do not add "
                                  f"up to '{base}'", field="handlagda_totalt")
    # rows of known victim sex never exceed the total (some offences have no victim sex recorded)
    over = w["fullbordat_mot_kvinna_flicka"] + w["fullbordat_mot_man_pojke"] > w["fullbordat_total"]
    if over.any():
        raise DataError(path, f"{region_code} {over[over].index[0]}: victim-sex rows exceed the completed total",
                        field="handlagda_totalt")
    # where cleared offences are given (to 2019), the clearance percentage is cleared / handled
    has = r["cleared"].notna() & (r["handlagda_totalt"] > 0)
    calc = r.loc[has, "cleared"].astype(float) / r.loc[has, "handlagda_totalt"] * 100
    off = (calc - r.loc[has, "clearance_pct"]).abs() > PCT_TOL
    i = first_bad(off)
    if i is not None:
        raise DataError(path, f"personuppklaringsprocent {r['clearance_pct'][i]} is not {r['cleared'][i]} / "
                              f"{r['handlagda_totalt'][i]} handled", row=csv_row(i), field="personuppklaringsprocent")
    # the completed row's scope: with assault with fatal outcome before SCOPE_CHANGE, without it from then on
    for i, row in r[r["category"].str.startswith("fullbordat")].iterrows():
        without = "ej inkluderad" in row["scope"]
        if without != (row["year"] >= SCOPE_CHANGE):
            raise DataError(path, f"offence scope of {row['year']} is unexpected: {row['scope']!r}", row=csv_row(i),
                            field="offence_scope", fix="the scope change is expected from 2024 (PROVENANCE.md)")
    return r


def indicators_of(r: pd.DataFrame) -> pd.DataFrame:
    """year, key, value, unit for one region (key = suffix-free indicator name)."""
    w = r.pivot(index="year", columns="category", values="handlagda_totalt")
    pct = r.pivot(index="year", columns="category", values="clearance_pct")
    firearm = w["fullbordat_mot_kvinna_flicka_med_skjutvapen"] + w["fullbordat_mot_man_pojke_med_skjutvapen"]
    known_sex = w["fullbordat_mot_kvinna_flicka"] + w["fullbordat_mot_man_pojke"]
    parts = [
        ("bra_handled_completed", w["fullbordat_total"], "offences"),
        ("bra_handled_completed_firearm", firearm, "offences"),
        ("bra_handled_completed_firearm_share", firearm / known_sex * 100, "%"),
        ("bra_handled_completed_clearance", pct["fullbordat_total"], "%"),
        ("bra_handled_attempted", w["forsok_mord_drap_total"], "offences"),
    ]
    return pd.concat([pd.DataFrame({"year": s.index.astype(int), "key": key, "value": s.to_numpy(dtype=float),
                                    "unit": unit}) for key, s, unit in parts], ignore_index=True)


SCOPE_NOTE = ("Completed murder and manslaughter, including assault with fatal outcome up to 2023; from 2024 Brå's "
              "row leaves assault with fatal outcome out, so 2024 onwards is not the same offence group as before.")
CASELOAD = ("Case load, not a count of killings: an offence is counted in the year a decision closes it "
            "(prosecution, waiver, or writing it off), whatever the year it was reported, and deaths first "
            "reported as murder or manslaughter that later proved to be something else are included, so these "
            "numbers are several times Brå's confirmed cases of lethal violence.")


def _definitions() -> pd.DataFrame:
    where = {"polisregion": ("police region", "the police region (for Stockholm: Stockholms län plus Gotland)",
                             "city"),
             "national": ("Sweden", "the whole of Sweden", "country")}
    what = {
        "bra_handled_completed": (
            "Handled completed murder/manslaughter offences (case load, Brå)",
            "Reported completed murder and manslaughter offences on which the police or prosecutor took a "
            "closing decision during the year, in {where} (Brå, Handlagda brott, Tabell 300). " + CASELOAD + " "
            + SCOPE_NOTE, "offences"),
        "bra_handled_completed_firearm": (
            "Handled completed murder/manslaughter offences with a firearm (case load, Brå)",
            "Of the handled completed murder and manslaughter offences in {where}, those recorded as committed "
            "with a firearm (against women and girls plus against men and boys). " + CASELOAD + " " + SCOPE_NOTE,
            "offences"),
        "bra_handled_completed_firearm_share": (
            "Firearm share of handled completed murder/manslaughter offences (Brå)",
            "Handled completed murder and manslaughter offences with a firearm, as a percentage of those whose "
            "victim's sex is recorded (Brå splits by firearm only within the victim-sex rows), in {where}. A "
            "share of the case load closed in the year, not of the killings of that year. " + SCOPE_NOTE, "%"),
        "bra_handled_completed_clearance": (
            "Clearance by person, handled completed murder/manslaughter offences (Brå)",
            "Personuppklaringsprocent: the percentage of handled completed murder and manslaughter offences in "
            "{where} that were cleared by person (prosecution, summary penalty or waiver of prosecution for a "
            "named suspect). Decisions of the year, on offences reported in that or earlier years. "
            + SCOPE_NOTE, "%"),
        "bra_handled_attempted": (
            "Handled attempted murder/manslaughter offences (case load, Brå)",
            "Reported attempted murder and manslaughter offences on which a closing decision was taken during "
            "the year, in {where} (Brå, Tabell 300). Case load by year of decision, not a count of attacks in "
            "the year.", "offences"),
    }
    rows = []
    for key, (label, definition, unit) in what.items():
        for suffix, (short, long, scope) in where.items():
            rows.append({"indicator": f"{key}_{suffix}", "label": f"{label}, {short}",
                         "definition": definition.format(where=long), "unit": unit, "scope": scope})
    return pd.DataFrame(rows)


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE, TABLE)
    table = read_table(path)
    out = []
    for city, params in ctx.cities_for("sweden_bra_handled"):
        name = params.get("police_region")
        police_region(name, "data/cities.yml")
        if name not in REGION_CODES:
            raise DataError("data/cities.yml", f"no Tabell 300 region code for police region '{name}'",
                            field="derive", fix=f"add it to REGION_CODES (known: {sorted(REGION_CODES)})")
        ind = indicators_of(check_table(table, path, REGION_CODES[name]))
        out.append(pd.DataFrame({"city": city["slug"], "year": ind["year"],
                                 "indicator": ind["key"] + "_polisregion", "value": ind["value"],
                                 "unit": ind["unit"], "source_id": SOURCE}))
    nat = indicators_of(check_table(table, path, NATIONAL))
    country = pd.DataFrame({"country": "SWE", "year": nat["year"], "indicator": nat["key"] + "_national",
                            "value": nat["value"], "unit": nat["unit"], "source_id": SOURCE})
    return {"indicators": pd.concat(out, ignore_index=True) if out else pd.DataFrame(),
            "country_context": country,
            "indicator_definitions": _definitions()}
