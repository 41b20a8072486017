"""Confiscated organised-crime assets under ANBSC management, by Italian province and comune (one snapshot).

The ANBSC open-data lists (properties and companies still under management) carry no extraction date.
Their province and regional totals equal the figures ANBSC gave in May 2019 (see PROVENANCE.md), so the
snapshot is recorded once, as year 2019. It is a stock at one date, not a yearly series.

Parameters (data/cities.yml, derive: italy_anbsc:):
    province_code   ISTAT province code (3 digits, e.g. "015")
    comune_code     ISTAT comune code (6 digits, e.g. "015146"), optional
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import expect_columns, expect_unique, first_bad
from ..errors import DataError

SOURCE = "anbsc_beni_confiscati"
SOURCES = [SOURCE]
# Keys of a city's `derive: italy_anbsc:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "province_code": "ISTAT province code, 3 digits, quoted: '015'",
    "comune_code": "optional: ISTAT comune code, 6 digits, quoted: '015146'",
}
REQUIRED_PARAMETERS = ["province_code"]
FILES = {
    "properties": "milan/anbsc_beni_confiscati/Immobili_in_gestione.csv",
    "companies": "milan/anbsc_beni_confiscati/Aziende_in_gestione.csv",
}
# Matched to ANBSC's published May 2019 totals (PROVENANCE.md cross-checks); the files state no date.
SNAPSHOT_YEAR = 2019
UNIT = "assets under management (count, snapshot)"
WHAT = {
    "properties": ("Confiscated properties under ANBSC management",
                   "Real-estate units (dwellings, commercial units, land...) seized or confiscated from organised "
                   "crime and still managed by the national agency ANBSC, i.e. not yet handed over for re-use"),
    "companies": ("Confiscated companies under ANBSC management",
                  "Companies seized or confiscated from organised crime and still managed by the national agency "
                  "ANBSC"),
}
LEVEL = {"province": "located in the province", "comune": "located in the comune (the city itself)"}


def indicator_id(kind: str, level: str) -> str:
    return f"anbsc_{kind}_managed_{level}"


def read_assets(path) -> pd.DataFrame:
    """One ANBSC list as asset id, comune code and province code (ISTAT codes, text with leading zeros)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8",
                     usecols=lambda c: c in ("s_bene", "CODISTAT", "CODISTATPROV"))
    expect_columns(df, ["s_bene", "CODISTAT", "CODISTATPROV"], path)
    empty = df["s_bene"].str.strip() == ""
    i = first_bad(empty)
    if i is not None:
        raise DataError(path, "asset without an identifier", row=int(i) + 2, field="s_bene")
    expect_unique(df, ["s_bene"], path)
    for col, n in (("CODISTAT", 6), ("CODISTATPROV", 3)):
        s = df[col].str.strip()
        bad = (s != "") & ~s.str.fullmatch(rf"\d{{{n}}}")
        i = first_bad(bad)
        if i is not None:
            raise DataError(path, f"malformed ISTAT code {s[i]!r} (expected {n} digits)", row=int(i) + 2, field=col)
    return pd.DataFrame({"asset": df["s_bene"], "comune": df["CODISTAT"].str.strip(),
                         "province": df["CODISTATPROV"].str.strip()})


def derive(ctx) -> dict[str, pd.DataFrame]:
    targets = ctx.cities_for("italy_anbsc")
    if not targets:
        return {}
    paths = {kind: ctx.raw(SOURCE, rel) for kind, rel in FILES.items()}
    lists = {kind: read_assets(path) for kind, path in paths.items()}
    rows, used = [], set()
    for city, p in targets:
        slug = city["slug"]
        prov = str(p.get("province_code", ""))
        if not re.fullmatch(r"\d{3}", prov):
            raise DataError("data/cities.yml", f"city '{slug}': italy_anbsc needs a 3-digit province_code",
                            field="derive.italy_anbsc.province_code")
        com = p.get("comune_code")
        if com is not None and (not re.fullmatch(r"\d{6}", str(com)) or not str(com).startswith(prov)):
            raise DataError("data/cities.yml", f"city '{slug}': comune_code must be 6 digits starting with the "
                                               f"province code", field="derive.italy_anbsc.comune_code")
        for kind, df in lists.items():
            n_prov = int((df["province"] == prov).sum())
            if n_prov == 0:
                raise DataError(paths[kind], f"no assets in province {prov}",
                                fix="check province_code in data/cities.yml")
            counts = {"province": n_prov}
            if com is not None:
                counts["comune"] = int((df["comune"] == str(com)).sum())
            for level, n in counts.items():
                rows.append({"city": slug, "year": SNAPSHOT_YEAR, "indicator": indicator_id(kind, level),
                             "value": n, "unit": UNIT, "source_id": SOURCE})
                used.add((kind, level))
    defs = [{"indicator": indicator_id(k, lv), "label": f"{WHAT[k][0]} ({lv})",
             "definition": f"{WHAT[k][1]}, {LEVEL[lv]}. One undated snapshot of the ANBSC open data, recorded as "
                           f"{SNAPSHOT_YEAR} because its totals equal those ANBSC reported in May 2019; "
                           f"not a yearly series.", "unit": UNIT, "scope": "city"} for k, lv in sorted(used)]
    return {"indicators": pd.DataFrame(rows), "indicator_definitions": pd.DataFrame(defs)}
