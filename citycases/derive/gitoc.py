"""GI-TOC Global Organized Crime Index: criminality, resilience and selected sub-scores, editions 2021-2025.

The workbook has one sheet per edition (`<year>_dataset`, 193 UN member states) and names countries
without codes; names are matched to World Bank codes through the WDI country names plus the
aliases below, and every country of every sheet must match, so any city's country is covered.
"""
from __future__ import annotations

import re

import pandas as pd

from ..checks import expect_columns, expect_unique, first_bad, to_number
from ..errors import DataError
from . import worldbank_wdi
from ._international import definitions, expect_range, rows_for

SOURCE_ID = "gitoc_ocindex"
SOURCES = [SOURCE_ID, worldbank_wdi.SOURCE_ID]
FILE = "international/gitoc/global_oc_index.xlsx"
SHEET = re.compile(r"^(\d{4})_dataset$")
EDITIONS = {2021, 2023, 2025}
UNIT = "score 1-10"

# GI-TOC spellings that differ from the WDI names (after dropping dots and commas, case-insensitive).
NAME_ALIASES = {
    "somalia": "SOM", "egypt": "EGY", "côte d'ivoire": "CIV", "gambia": "GMB", "bahamas": "BHS",
    "venezuela": "VEN", "kyrgyzstan": "KGZ", "korea dpr": "PRK", "brunei": "BRN", "laos": "LAO",
    "vietnam": "VNM", "iran": "IRN", "syria": "SYR", "turkey": "TUR", "yemen": "YEM",
    "czech republic": "CZE", "russia": "RUS", "slovakia": "SVK", "micronesia (federated states of)": "FSM",
}

# indicator id -> (column names used across editions, first edition with it, label, definition)
_CRIM = "Higher means more pervasive organised crime."
_RES = "Higher means stronger resilience to organised crime."
INDICATORS = {
    "gitoc_criminality": (("Criminality avg",), 2021, "Criminality (GI-TOC)",
                          "Average of the criminal-markets and criminal-actors scores. " + _CRIM),
    "gitoc_resilience": (("Resilience avg", "Resilience"), 2021, "Resilience (GI-TOC)",
                         "Average of 12 indicators of a state's capacity to withstand and disrupt organised "
                         "crime (governance, justice, law enforcement, anti-money laundering, prevention...). " + _RES),
    "gitoc_criminal_markets": (("Criminal markets avg",), 2021, "Criminal markets (GI-TOC)",
                               "Average of the scores of the assessed illicit markets (10 in 2021, 15 from 2023). "
                               + _CRIM),
    "gitoc_criminal_actors": (("Criminal actors avg", "Criminal actors"), 2021, "Criminal actors (GI-TOC)",
                              "Average of the scores of the assessed types of criminal actor (4 in 2021, 5 from "
                              "2023). " + _CRIM),
    "gitoc_mafia_style_groups": (("Mafia-style groups",), 2021, "Mafia-style groups (GI-TOC)",
                                 "Influence of clearly defined, organised criminal groups with a known name, "
                                 "leadership and territorial control. " + _CRIM),
    "gitoc_criminal_networks": (("Criminal networks",), 2021, "Criminal networks (GI-TOC)",
                                "Influence of loose networks of criminal associates without the structure of "
                                "mafia-style groups. " + _CRIM),
    "gitoc_state_embedded_actors": (("State-embedded actors",), 2021, "State-embedded actors (GI-TOC)",
                                    "Influence of criminal actors embedded in and acting from within the state "
                                    "apparatus. " + _CRIM),
    "gitoc_foreign_actors": (("Foreign actors",), 2021, "Foreign actors (GI-TOC)",
                             "Influence of state and non-state criminal actors operating from outside the "
                             "country. " + _CRIM),
    "gitoc_private_sector_actors": (("Private sector actors",), 2023, "Private-sector actors (GI-TOC)",
                                    "Influence of private-sector actors that collude with or take part in "
                                    "organised crime. Assessed from the 2023 edition. " + _CRIM),
    "gitoc_extortion": (("Extortion and protection racketeering",), 2023,
                        "Extortion and protection racketeering (GI-TOC)",
                        "Scale and impact of extortion and protection rackets. Assessed from the 2023 edition. "
                        + _CRIM),
    "gitoc_arms_trafficking": (("Arms trafficking",), 2021, "Arms trafficking (GI-TOC)",
                               "Scale and impact of the illicit arms trade. " + _CRIM),
    "gitoc_cocaine_trade": (("Cocaine trade",), 2021, "Cocaine trade (GI-TOC)",
                            "Scale and impact of the cocaine trade (production, transit, retail). " + _CRIM),
    "gitoc_synthetic_drug_trade": (("Synthetic drug trade",), 2021, "Synthetic drug trade (GI-TOC)",
                                   "Scale and impact of the synthetic drug trade. " + _CRIM),
    "gitoc_law_enforcement": (("Law enforcement",), 2021, "Law enforcement resilience (GI-TOC)",
                              "Capacity and integrity of law enforcement against organised crime. " + _RES),
    "gitoc_judicial_system": (("Judicial system and detention",), 2021,
                              "Judicial system and detention resilience (GI-TOC)",
                              "Capacity and independence of courts and the prison system against organised "
                              "crime. " + _RES),
    "gitoc_political_leadership": (("Political leadership and governance",), 2021,
                                   "Political leadership and governance resilience (GI-TOC)",
                                   "Political will and governance capacity to confront organised crime. " + _RES),
}


def normalise_name(name) -> str:
    """Case-insensitive country name without dots or commas (the 2021/2023 sheets use ',' for '.')."""
    return re.sub(r"\s+", " ", re.sub(r"[.,]", " ", str(name))).strip().lower()


def name_lookup(economies: pd.DataFrame) -> dict[str, str]:
    """Normalised country name -> code, from WDI (iso3, country) pairs plus NAME_ALIASES."""
    lookup: dict[str, str | None] = {}
    for code, name in zip(economies["iso3"], economies["country"]):
        key = normalise_name(name)
        lookup[key] = code if lookup.get(key, code) == code else None  # None: ambiguous, never matched
    lookup.update(NAME_ALIASES)
    return {k: v for k, v in lookup.items() if v}


def _column(name: str) -> str:
    # 'Criminality avg,' (2021/2023) and 'Criminality avg.' (2025) are the same column.
    return re.sub(r"[.,]+$", "", str(name).strip())


def read_oc_index(path, names: dict[str, str]) -> pd.DataFrame:
    """Scores of every `<year>_dataset` sheet as (country, year, indicator, value); year = edition."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, keep_default_na=False)
    except ValueError as exc:
        raise DataError(path, f"cannot read workbook: {exc}") from None
    parts = []
    for sheet, df in sheets.items():
        m = SHEET.match(str(sheet).strip())
        if not m:
            continue
        edition = int(m.group(1))
        where = f"{path} [sheet {sheet}]"
        df.columns = [_column(c) for c in df.columns]
        expect_columns(df, ["Country"], where)
        unknown = ~df["Country"].map(normalise_name).isin(list(names))
        i = first_bad(unknown)
        if i is not None:
            raise DataError(where, f"country name {df['Country'][i]!r} matches no World Bank country name",
                            row=int(i) + 2, field="Country", fix="add its spelling to NAME_ALIASES in gitoc.py")
        df["country"] = df["Country"].map(normalise_name).map(names)
        expect_unique(df, ["country"], where)
        scores = {}
        for ind, (columns, first, _label, _definition) in INDICATORS.items():
            col = next((c for c in columns if c in df.columns), None)
            if col is None:
                if edition >= first:
                    expect_columns(df, [columns[0]], where)
                continue
            scores[ind] = to_number(df[col], where, col)
            expect_range(scores[ind], 1, 10, where, col)
            parts.append(pd.DataFrame({"country": df["country"], "year": edition, "indicator": ind,
                                       "value": scores[ind]}))
        # Criminality is published as the mean of the markets and actors pillars (to 2 decimals).
        crim = scores["gitoc_criminality"]
        bad = (crim - (scores["gitoc_criminal_markets"] + scores["gitoc_criminal_actors"]) / 2).abs() > 0.0101
        i = first_bad(bad)
        if i is not None:
            raise DataError(where, f"criminality {crim[i]:g} is not the mean of criminal markets and criminal "
                                   f"actors", row=int(i) + 2, field=INDICATORS["gitoc_criminality"][0][0])
    if not parts:
        raise DataError(path, "no '<year>_dataset' sheet found", fix="the workbook layout changed: check PROVENANCE.md")
    return pd.concat(parts, ignore_index=True)


def derive(ctx) -> dict[str, pd.DataFrame]:
    names = name_lookup(worldbank_wdi.read_economy_names(ctx.raw(worldbank_wdi.SOURCE_ID,
                                                                  worldbank_wdi.POPULATION_FILE)))
    path = ctx.raw(SOURCE_ID, FILE)
    index = read_oc_index(path, names)
    missing = EDITIONS - set(index["year"])
    if missing:
        raise DataError(path, f"missing edition sheet(s) {sorted(missing)}", field="sheet")
    rows = rows_for(index, ctx.countries(), indicator_unit={i: UNIT for i in INDICATORS}, source_id=SOURCE_ID)
    defs = definitions([
        (ind, label, f"Global Organized Crime Index (GI-TOC), scored by experts from 1 to 10. {definition} "
                     f"The year is the edition year (2021, 2023, 2025); each edition assesses the preceding "
                     f"period. Sub-scores changed between editions, so compare editions with care.", UNIT)
        for ind, (_cols, _first, label, definition) in INDICATORS.items()])
    return {"country_context": rows, "indicator_definitions": defs}
