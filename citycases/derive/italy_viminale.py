"""Crimes reported in an Italian province and its capoluogo, Ministry of the Interior (UCS) 2016-2020.

The Ufficio Centrale di Statistica publishes one workbook a year (model INT00062) with the crimes reported
by all police forces to the judicial authority, by province and (2017-2019 only) by comune capoluogo.
Three layouts occur: 2016 is a wide sheet (one column per crime, header on three rows), 2017-2019 are long
"ELENCO" sheets, 2020 is a long sheet that leaves out crimes with no cases (and some cells empty).

Gives: homicides in the comune capoluogo (series `viminale_comune`, unit municipality) with the comune's
population only where a population file names the year, and organised-crime indicators (416-bis, extortion,
money laundering, usury, ...) for the province and the comune.

Parameters (data/cities.yml, derive: italy_viminale:):
    province                 province name as written in the workbooks (matched case-insensitively)
    comune                   capoluogo name in the "CAP PROVINCIA" sheets (optional)
    comune_population_file   raw file (registry source istat_popolazione_comune_transcribed) with the comune's
                             population by year (optional; no other denominators are used)
"""
from __future__ import annotations

import re
import warnings

import pandas as pd

from ..checks import expect_columns, expect_unique, expect_years, first_bad, to_count
from ..errors import DataError

SOURCE = "viminale_ucs_delitti"
COMUNE_POP_SOURCE = "istat_popolazione_comune_transcribed"
SOURCES = [SOURCE, COMUNE_POP_SOURCE]
# Keys of a city's `derive: italy_viminale:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "province": "province name as written in the workbooks: Milano",
    "comune": "optional: capoluogo name in the CAP PROVINCIA sheets",
    "comune_population_file": "optional: raw file with the population of the comune by year",
}
REQUIRED_PARAMETERS = ["province"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['viminale_comune']

_DIR = "milan/viminale_ucs_delitti/"
# (year, file, layout, {level: sheet}); the 2020 file omits crimes with no cases, so only there may a crime be absent.
WORKBOOKS = [
    (2016, _DIR + "INT00062_Delitti_denunciati_dati_2016.xlsx", "wide", {"provincia": "Province"}),
    (2017, _DIR + "INT00062_Delitti_denunciati_-_dati_anno_2017_-_dati_Nazionali_Regionali_Provinciali.xlsx",
     "long", {"provincia": "PROVINCE ELENCO", "comune": "CAP PROVINCIA ELENCO"}),
    (2018, _DIR + "INT00062_Delitti_denunciati__-_dati_anno_2018_-_dati_Nazionali__Regionali__Provinciali.xlsx",
     "long", {"provincia": "PROVINCE ELENCO", "comune": "CAP PROVINCIA ELENCO"}),
    (2019, _DIR + "NT00062_Delitti_denunciati__-_dati_anno_2019_-_dati_Nazionali__Regionali__Provinciali.xlsx",
     "long", {"provincia": "PROVINCE ELENCO", "comune": "CAP PROVINCIA ELENCO"}),
    (2020, _DIR + "DELITTIITA-REG-PROV2020.xls", "long", {"provincia": "PROVINCE"}),
]
OMITS_EMPTY = {2020}

# Crime -> label after stripping the numbering ("03.0 ", "3. ", "b. "), lower case; 2016 uses header paths.
CRIMES = {
    "homicides": ("omicidi volontari consumati", "omicidi volontari | totale"),
    "mafia_homicides": ("omicidio di tipo mafioso", "omicidi volontari | di tipo mafioso"),
    "extortion": ("estorsioni", "estorsioni"),
    "usury": ("usura", "usura"),
    "kidnapping_extortion": ("sequestri di persona a scopo estorsivo", "sequestri di persona | di cui | a scopo estorsivo"),
    "criminal_association": ("associazione per delinquere", "associazione per delinquere"),
    "mafia_association": ("associazione di tipo mafioso", "associazione di tipo mafioso"),
    "money_laundering": ("riciclaggio e impiego di denaro", "riciclaggio e impiego di denaro"),
}

SERIES_COMUNE = "viminale_comune"
UNIT = "crimes reported (count)"
INDICATORS = {
    "mafia_association": ("Mafia-type association (416-bis)",
                          "Crimes of mafia-type association (art. 416-bis of the penal code)"),
    "criminal_association": ("Criminal association (416)",
                             "Crimes of criminal association (associazione per delinquere, art. 416 c.p.)"),
    "extortion": ("Extortion", "Extortions (estorsioni, art. 629 c.p.)"),
    "money_laundering": ("Money laundering", "Money laundering and use of illicit money (riciclaggio e impiego "
                                             "di denaro, beni o utilità di provenienza illecita, arts. 648-bis/ter c.p.)"),
    "usury": ("Usury", "Usury (usura, art. 644 c.p.)"),
    "kidnapping_extortion": ("Kidnapping for extortion", "Kidnappings for the purpose of extortion "
                                                         "(sequestri di persona a scopo estorsivo)"),
    "mafia_homicides": ("Mafia-type homicides", "Intentional homicides classified as mafia-type "
                                                "(omicidi di tipo mafioso)"),
}
LEVEL_TEXT = {"provincia": ("province", "in the province"),
              "comune": ("comune", "in the comune capoluogo (the city itself)")}


def indicator_id(crime: str, level: str) -> str:
    return f"viminale_{crime}_{LEVEL_TEXT[level][0]}"


def normalise_label(label) -> str:
    s = re.sub(r"\s+", " ", str(label)).strip()
    s = re.sub(r"^(\d{1,2}\.\s?[0-9a-z]?\s+|[a-z]\.\s+)", "", s)
    return s.lower()


def _read_sheet(path, sheet) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas flags its xlrd engine as deprecated; the .xls still reads
        try:
            return pd.read_excel(path, sheet_name=sheet, header=None, dtype=object)
        except ValueError as exc:
            raise DataError(path, f"cannot read sheet '{sheet}': {exc}",
                            fix="the workbook's layout changed: check its PROVENANCE.md") from None


def _find_row(df: pd.DataFrame, pred, path, sheet, what: str) -> int:
    for i in range(min(len(df), 40)):
        cells = [str(v).strip().upper() for v in df.iloc[i].tolist() if pd.notna(v)]
        if pred(cells):
            return i
    raise DataError(path, f"sheet '{sheet}': header row with {what} not found in the first 40 rows",
                    fix="the workbook's layout changed: check its PROVENANCE.md")


def read_long_sheet(path, sheet, *, year: int | None = None) -> pd.DataFrame:
    """A long UCS sheet (territory, crime, count) as territory, label, count, row; count is <NA> where empty."""
    df = _read_sheet(path, sheet)
    h = _find_row(df, lambda c: any(x in ("REATO", "DELITTO") for x in c), path, sheet, "REATO/DELITTO")
    header = [str(v).strip().upper() if pd.notna(v) else "" for v in df.iloc[h].tolist()]
    try:
        c_crime = next(i for i, v in enumerate(header) if v in ("REATO", "DELITTO"))
        c_terr = next(i for i, v in enumerate(header) if "PROVINCIA" in v)
        c_count = next(i for i, v in enumerate(header) if "DELITTI" in v)
    except StopIteration:
        raise DataError(path, f"sheet '{sheet}': header {header} lacks a territory, crime or count column",
                        row=h + 1, fix="the workbook's layout changed: check its PROVENANCE.md") from None
    if year is not None:
        if "ANNO" in header:
            years = pd.to_numeric(df.iloc[h + 1:, header.index("ANNO")], errors="coerce").dropna()
            if not (years == year).all():
                raise DataError(path, f"sheet '{sheet}': ANNO column is not {year} throughout", field="ANNO")
        else:
            title = " ".join(str(v) for v in df.iloc[:h, 0].dropna()).replace(" ", "").upper()
            m = re.search(r"ANNO(\d{4})", title)
            if m and int(m.group(1)) != year:
                raise DataError(path, f"sheet '{sheet}': title says year {m.group(1)}, expected {year}")
    body = df.iloc[h + 1:, [c_terr, c_crime, c_count]].copy()
    body.columns = ["territory", "label", "raw"]
    body["row"] = body.index + 1  # spreadsheet row number
    body = body[body["territory"].notna() & body["label"].notna()].reset_index(drop=True)
    body["territory"] = body["territory"].astype(str).str.strip()
    body["label"] = body["label"].map(normalise_label)
    raw = body["raw"].where(body["raw"].notna() & (body["raw"].astype(str).str.strip() != ""))
    body["count"] = _counts(raw, body["row"], path, sheet)
    return body[["territory", "label", "count", "row"]]


def read_wide_sheet(path, sheet) -> pd.DataFrame:
    """The 2016 wide sheet (provinces in rows, crimes in columns with a three-row header) in long form."""
    df = _read_sheet(path, sheet)
    h = _find_row(df, lambda c: "PROVINCE" in c, path, sheet, "PROVINCE")
    c_terr = next(i for i, v in enumerate(df.iloc[h].tolist()) if str(v).strip().upper() == "PROVINCE")
    top = df.iloc[h, c_terr + 1:].ffill()
    labels = []
    for j in range(c_terr + 1, df.shape[1]):
        parts = [top.iloc[j - c_terr - 1]] + [df.iloc[h + k, j] for k in (1, 2)]
        parts = [str(x).strip() for x in parts if isinstance(x, str) and str(x).strip()]
        labels.append(" | ".join(re.sub(r"\s+", " ", x) for x in parts).lower())
    rows = []
    for i in range(h + 3, len(df)):
        terr = df.iloc[i, c_terr]
        if pd.isna(terr) or not str(terr).strip():
            continue
        # Every province row names its region in the column before; the 2016 sheet ends with a stray copy
        # of its last row shifted one column right (no region), which must not be read as a province.
        if c_terr == 0 or pd.isna(df.iloc[i, c_terr - 1]):
            continue
        for j, lab in enumerate(labels):
            rows.append((str(terr).strip(), lab, df.iloc[i, c_terr + 1 + j], i + 1))
    body = pd.DataFrame(rows, columns=["territory", "label", "raw", "row"])
    body["count"] = _counts(body["raw"].where(body["raw"].notna()), body["row"], path, sheet)
    return body[["territory", "label", "count", "row"]]


def _counts(raw: pd.Series, rows: pd.Series, path, sheet) -> pd.Series:
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & (num.isna() | (num < 0) | (num != num.round()))
    i = first_bad(bad)
    if i is not None:
        raise DataError(path, f"sheet '{sheet}': not a count: {raw[i]!r}", row=int(rows[i]), field="count")
    return num.astype("Int64")


def pick(table: pd.DataFrame, territory: str, year: int, layout: str, path, *, allow_absent: bool) -> dict:
    """{crime: count} for one territory; absent crimes only where the file omits them."""
    sel = table[table["territory"].str.casefold() == territory.casefold()]
    if sel.empty:
        raise DataError(path, f"no rows for territory '{territory}' ({year})",
                        fix="check the province/comune name in data/cities.yml")
    out = {}
    for crime, (long_label, wide_label) in CRIMES.items():
        hit = sel[sel["label"] == (wide_label if layout == "wide" else long_label)]
        if len(hit) > 1:
            raise DataError(path, f"crime '{hit['label'].iloc[0]}' appears {len(hit)} times for {territory}",
                            row=int(hit["row"].iloc[1]), field="label")
        if hit.empty or pd.isna(hit["count"].iloc[0]):
            if not allow_absent:
                raise DataError(path, f"no count of '{long_label}' for {territory} ({year})", field="label")
            continue
        out[crime] = int(hit["count"].iloc[0])
    return out


def read_comune_population(path) -> pd.DataFrame:
    """The transcribed comune population table (Italian thousands separators) as year, population."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expect_columns(df, ["Year", "Total", "Males", "Females"], path)
    expect_years(df["Year"], path, field="Year")
    expect_unique(df, ["Year"], path)
    vals = {}
    for col in ("Total", "Males", "Females"):
        s = df[col].str.strip()
        ok = s.str.fullmatch(r"\d{1,3}(\.\d{3})*|\d+")
        if not ok.all():
            i = ok[~ok].index[0]
            raise DataError(path, f"not a population figure: {s[i]!r}", row=int(i) + 2, field=col)
        vals[col] = to_count(s.str.replace(".", "", regex=False), path, col)
    mismatch = vals["Males"] + vals["Females"] != vals["Total"]
    i = first_bad(mismatch)
    if i is not None:
        raise DataError(path, "Males + Females differs from Total", row=int(i) + 2, field="Total")
    return pd.DataFrame({"year": df["Year"].astype(int), "population": vals["Total"]})


def derive(ctx) -> dict[str, pd.DataFrame]:
    targets = ctx.cities_for("italy_viminale")
    if not targets:
        return {}
    tables = {}
    for year, rel, layout, sheets in WORKBOOKS:
        path = ctx.raw(SOURCE, rel)
        for level, sheet in sheets.items():
            t = read_wide_sheet(path, sheet) if layout == "wide" else read_long_sheet(path, sheet, year=year)
            tables[(year, level)] = (t, layout, path)
    annual, indicators, used = [], [], set()
    for city, p in targets:
        slug = city["slug"]
        if not p.get("province"):
            raise DataError("data/cities.yml", f"city '{slug}': italy_viminale needs parameter 'province'",
                            field="derive.italy_viminale.province")
        names = {"provincia": p["province"], "comune": p.get("comune")}
        pop = {}
        if p.get("comune_population_file"):
            pop_path = ctx.raw(COMUNE_POP_SOURCE, p["comune_population_file"])
            pop = dict(read_comune_population(pop_path).itertuples(index=False))
        for (year, level), (t, layout, path) in sorted(tables.items()):
            if not names[level]:
                continue
            got = pick(t, names[level], year, layout, path, allow_absent=year in OMITS_EMPTY)
            if level == "comune":
                annual.append({"city": slug, "year": year, "series": SERIES_COMUNE, "homicides": got["homicides"],
                               "population": pop.get(year), "unit": "municipality", "source_id": SOURCE,
                               "population_source_id": COMUNE_POP_SOURCE if year in pop else None,
                               "status": "final"})
            for crime, n in got.items():
                if crime in INDICATORS:
                    indicators.append({"city": slug, "year": year, "indicator": indicator_id(crime, level),
                                       "value": n, "unit": UNIT, "source_id": SOURCE})
                    used.add((crime, level))
    defs = []
    for crime, level in sorted(used):
        label, what = INDICATORS[crime]
        short, where = LEVEL_TEXT[level]
        defs.append({"indicator": indicator_id(crime, level), "label": f"{label} ({short})",
                     "definition": f"{what}, reported by all police forces to the judicial authority {where}; "
                                   f"crimes committed in the year (Ministry of the Interior, UCS, SDI/SSD data).",
                     "unit": UNIT, "scope": "city"})
    return {"homicides_annual": pd.DataFrame(annual), "indicators": pd.DataFrame(indicators),
            "indicator_definitions": pd.DataFrame(defs)}
