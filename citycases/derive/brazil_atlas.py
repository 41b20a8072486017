"""Atlas da Violência (IPEA/FBSP) municipal homicide rates from death certificates (SIM), any Brazilian municipality.

Parameters in data/cities.yml (`derive: brazil_atlas: {...}`):
    ibge_code   7-digit IBGE municipality code, e.g. "3304557". Required.

The Atlas export gives rates only (no counts, no population), so the series is written as an indicator
(atlas_sim_homicide_rate, per 100,000), not to homicides_annual.
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import csv_row, expect_columns, expect_unique, expect_years, first_bad, to_count, to_number
from ..errors import DataError

RATES = "atlas_violencia_municipal_homicide_rate"
SOURCES = [RATES]
# Keys of a city's `derive: brazil_atlas:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "ibge_code": "7-digit IBGE municipality code, quoted: '3304557'",
}
REQUIRED_PARAMETERS = ["ibge_code"]
RATES_FILE = "rio-de-janeiro/atlas_violencia/taxa-homicidios_3304557.csv"
STEP = "brazil_atlas"
INDICATOR = "atlas_sim_homicide_rate"
DEFINITION = (
    "Homicide rate per 100,000 inhabitants from the Atlas da Violência (IPEA and Fórum Brasileiro de Segurança "
    "Pública): deaths by aggression and by legal intervention (ICD-10 X85-Y09, Y35-Y36) in the Ministry of Health "
    "mortality system (SIM) over IBGE population. Counts are not published with it. Rates fall where many violent "
    "deaths are registered with undetermined intent, as in Rio de Janeiro state in 2019.")


def read_atlas_series(path) -> pd.DataFrame:
    """An Atlas da Violência export (cod;nome;período;valor). Returns cod, year, value."""
    df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    expect_columns(df, ["cod", "nome", "período", "valor"], path)
    out = pd.DataFrame({"cod": df["cod"].str.strip(), "year": to_count(df["período"], path, "período"),
                        "value": to_number(df["valor"], path, "valor")})
    expect_years(out["year"], path, field="período")
    neg = out["value"] < 0
    i = first_bad(neg)
    if i is not None:
        raise DataError(path, f"negative rate {out.loc[i, 'value']:g}", row=csv_row(i), field="valor")
    expect_unique(out, ["cod", "year"], path)
    return out


def derive(ctx) -> dict[str, pd.DataFrame]:
    rates = read_atlas_series(ctx.raw(RATES, RATES_FILE))
    frames = []
    for city, params in ctx.cities_for(STEP):
        code = str((params or {}).get("ibge_code", "")).strip()
        if not re.fullmatch(r"\d{7}", code):
            raise DataError("data/cities.yml", f"{STEP} needs a 7-digit ibge_code, got {code!r}",
                            field=f"derive.{STEP}.ibge_code", fix='quote it, e.g. ibge_code: "3304557"')
        r = rates[rates["cod"] == code]
        if r.empty:
            raise DataError(RATES_FILE, f"no rows for IBGE code {code}", field="cod",
                            fix="the raw copy holds only the municipalities named in PROVENANCE.md")
        frames.append(pd.DataFrame({"city": city["slug"], "year": r["year"], "indicator": INDICATOR,
                                    "value": r["value"], "unit": "per 100,000", "source_id": RATES}))
    defs = pd.DataFrame([{"indicator": INDICATOR, "label": "Homicide rate, death certificates (Atlas da Violência)",
                          "definition": DEFINITION, "unit": "per 100,000", "scope": "city"}])
    return {"indicators": pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
            "indicator_definitions": defs}
