"""Eurostat crim_gen_reg (police-recorded offences by NUTS 3 region), Swedish extract (params: nuts).

Only the violent offence categories in the extract are used: assault and robbery (counts and Eurostat's
rates per 100,000). Sweden reports no intentional homicide to this table (PROVENANCE.md section 8).
"""
from __future__ import annotations

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique
from ..errors import DataError

SOURCES = ["eurostat_crim_gen_reg_se"]
# Keys of a city's `derive: sweden_eurostat:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "nuts": "NUTS 3 code: SE110",
}
REQUIRED_PARAMETERS = ["nuts"]

SOURCE = "eurostat_crim_gen_reg_se"
FILE = "stockholm/eurostat_crim_gen_reg/estat_crim_gen_reg_SE_SE1_SE11_SE110.csv"

OFFENCES = {"ICCS02011": ("assault", "Assault"), "ICCS0401": ("robbery", "Robbery")}
UNITS = {"NR": ("", "offences"), "P_HTHAB": ("_rate", "per 100,000 inhabitants")}


def read_crim_gen_reg(path) -> pd.DataFrame:
    """Long table: unit, iccs, geo, year, value (':' = not available, dropped)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["freq", "unit", "iccs", "geo"], path)
    years = [c for c in df.columns if c.strip().isdigit()]
    if not years:
        raise DataError(path, "no year columns", fix="the Eurostat layout changed: check PROVENANCE.md")
    expect_unique(df, ["freq", "unit", "iccs", "geo"], path)
    long = df.assign(_row=[csv_row(i) for i in df.index]).melt(
        id_vars=["freq", "unit", "iccs", "geo", "_row"], value_vars=years, var_name="year", value_name="raw")
    long["raw"] = long["raw"].str.strip()
    long = long[long["raw"] != ":"].reset_index(drop=True)
    # Eurostat flags (e.g. "123 p") make a cell non-numeric: reported as an error, not dropped.
    long["value"] = pd.to_numeric(long["raw"], errors="coerce")
    for problem, bad in (("not a number", long["value"].isna()), ("negative value", long["value"] < 0)):
        if bad.any():
            r = long[bad].iloc[0]
            raise DataError(path, f"{problem}: {r['raw']!r} ({r['unit']}, {r['iccs']}, {r['geo']})",
                            row=int(r["_row"]), field=r["year"])
    long["year"] = long["year"].str.strip().astype(int)
    return long[["freq", "unit", "iccs", "geo", "year", "value"]].reset_index(drop=True)


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE, FILE)
    data = read_crim_gen_reg(path)
    data = data[data["freq"] == "A"]
    out = []
    for city, params in ctx.cities_for("sweden_eurostat"):
        nuts = params.get("nuts")
        sub = data[data["geo"] == nuts]
        if sub.empty:
            raise DataError(path, f"no rows for NUTS region '{nuts}'", field="geo")
        implied = {}
        for code, (name, _) in OFFENCES.items():
            nr = sub[(sub["iccs"] == code) & (sub["unit"] == "NR")].set_index("year")["value"]
            rate = sub[(sub["iccs"] == code) & (sub["unit"] == "P_HTHAB")].set_index("year")["value"]
            if nr.empty:
                raise DataError(path, f"no counts of {code} for {nuts}", field="iccs")
            if (nr != nr.round()).any():
                raise DataError(path, f"{code} {nuts}: count is not a whole number", field="value")
            implied[code] = (nr / rate * 1e5).dropna()
            for unit, (suffix, unit_label) in UNITS.items():
                s = nr if unit == "NR" else rate
                out.append(pd.DataFrame({"city": city["slug"], "year": s.index,
                                         "indicator": f"eurostat_{name}{suffix}_lan", "value": s.values,
                                         "unit": unit_label, "source_id": SOURCE}))
        # Both rates must rest on the same population (rates have 2 decimals: allow 0.1%).
        a, b = implied["ICCS02011"], implied["ICCS0401"]
        common = a.index.intersection(b.index)
        off = ((a[common] - b[common]).abs() / a[common]) > 1e-3
        if off.any():
            y = common[off.values][0]
            raise DataError(path, f"{nuts} {y}: assault and robbery rates imply different populations "
                                  f"({a[y]:.0f} vs {b[y]:.0f})", field="value")
    return {"indicators": pd.concat(out, ignore_index=True) if out else pd.DataFrame(),
            "indicator_definitions": _definitions()}


def _definitions() -> pd.DataFrame:
    base = ("Offences recorded by the police in the NUTS 3 region (for Stockholm: SE110 = Stockholms län), "
            "as reported to Eurostat (dataset crim_gen_reg, ICCS category {code}).")
    rate = (" Eurostat's rate per 100,000 inhabitants; its denominator is the population on 1 January "
            "(equal to SCB's 31 December figure of the previous year).")
    rows = []
    for code, (name, label) in OFFENCES.items():
        rows.append({"indicator": f"eurostat_{name}_lan", "label": f"{label}: police-recorded offences",
                     "definition": base.format(code=code), "unit": "offences", "scope": "city"})
        rows.append({"indicator": f"eurostat_{name}_rate_lan",
                     "label": f"{label}: police-recorded offences per 100,000",
                     "definition": base.format(code=code) + rate, "unit": "per 100,000 inhabitants",
                     "scope": "city"})
    return pd.DataFrame(rows)
