"""Long regional series of murders and mafia-type crimes, Italian regions 1956-2007 (Pinotti 2015 data).

The replication data of Pinotti (2015, Economic Journal) give crimes per 100,000 inhabitants by region from
ISTAT's judicial statistics, with the population used. Murders times population / 100,000 gives whole numbers,
so the counts are recovered exactly; a year where it does not (other denominator) or where every crime is
coded 0 (a missing record) stops the step unless data/cities.yml lists it under exclude_years with a reason.

Parameters (data/cities.yml, derive: italy_pinotti:):
    region          region code in the file (e.g. "LOM" for Lombardy)
    exclude_years   {year: reason} for years that are not usable
    break_year      optional: murders before this year go to a separate series (`pinotti_region_pre_break`);
                    in the file every region's count triples or quadruples from 1974 to 1975, a change in
                    what the judicial statistics counted, not in violence
"""
from __future__ import annotations

import pandas as pd

from ..checks import expect_columns, expect_unique, expect_years, first_bad, to_number
from ..errors import DataError

SOURCE = "pinotti2015"
SOURCES = [SOURCE]
# Keys of a city's `derive: italy_pinotti:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "region": "region code in the file: LOM",
    "exclude_years": "optional: {year: reason} for years that are not usable",
    "break_year": "optional: murders before this year go to a separate series",
}
REQUIRED_PARAMETERS = ["region"]
# Series ids this step may write (derive_all enforces it; the scaffold pre-fills them for a new city).
SERIES_IDS = ['pinotti_region', 'pinotti_region_pre_break']
FILE = "milan/pinotti2015/Pinotti2015_dataset.csv"
SERIES = "pinotti_region"
SERIES_EARLY = "pinotti_region_pre_break"
CRIME_COLUMNS = ["murd", "mafia", "ext", "theft"]
RATE_UNIT = "crimes per 100,000 inhabitants (region)"
INDICATORS = {
    "mafia": ("pinotti_mafia_association_rate_region", "Mafia-type association per 100,000 (region)",
              "Crimes of mafia-type association (art. 416-bis c.p.) per 100,000 inhabitants of the whole region, "
              "from ISTAT judicial statistics as compiled by Pinotti (2015); 1983-2007."),
    "ext": ("pinotti_extortion_rate_region", "Extortion per 100,000 (region)",
            "Extortions per 100,000 inhabitants of the whole region, from ISTAT judicial statistics as compiled "
            "by Pinotti (2015); 1975-2007."),
}


def read_pinotti(path) -> pd.DataFrame:
    """The Pinotti panel: region, year, pop and the crime rates used here (NaN where the file is empty)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8",
                     usecols=lambda c: c in ["region", "year", "pop"] + CRIME_COLUMNS)
    expect_columns(df, ["region", "year", "pop"] + CRIME_COLUMNS, path)
    expect_years(df["year"], path)
    df["year"] = df["year"].astype(int)
    expect_unique(df, ["region", "year"], path)
    for col in ["pop"] + CRIME_COLUMNS:
        s = df[col].str.strip()
        s = s.mask(s == "")
        df[col] = to_number(s, path, col, allow_missing=True)
        neg = df[col] < 0
        i = first_bad(neg)
        if i is not None:
            raise DataError(path, f"negative value {df[col][i]:g}", row=int(i) + 2, field=col)
    return df


def derive(ctx) -> dict[str, pd.DataFrame]:
    targets = ctx.cities_for("italy_pinotti")
    if not targets:
        return {}
    path = ctx.raw(SOURCE, FILE)
    data = read_pinotti(path)
    annual, indicators, used = [], [], set()
    for city, p in targets:
        slug = city["slug"]
        reg = data[data["region"] == p.get("region")]
        if reg.empty:
            raise DataError(path, f"no rows for region '{p.get('region')}'",
                            fix="check derive.italy_pinotti.region in data/cities.yml")
        exclude = {int(y): str(r) for y, r in (p.get("exclude_years") or {}).items()}
        brk = int(p["break_year"]) if p.get("break_year") is not None else None
        unknown = sorted(set(exclude) - set(reg["year"]))
        if unknown:
            raise DataError("data/cities.yml", f"exclude_years {unknown} are not in the file",
                            field="derive.italy_pinotti.exclude_years")
        for i, r in reg.iterrows():
            y = int(r["year"])
            if y in exclude or pd.isna(r["murd"]):
                continue
            row = int(i) + 2
            if all(r[c] == 0 for c in CRIME_COLUMNS):
                raise DataError(path, f"{y}: every crime variable is 0, which marks a missing record",
                                row=row, field="murd", fix="list the year under exclude_years with the reason")
            if pd.isna(r["pop"]):
                raise DataError(path, f"{y}: murder rate without a population", row=row, field="pop")
            implied = r["murd"] * r["pop"] / 1e5
            if abs(implied - round(implied)) > 0.01:
                raise DataError(path, f"{y}: rate x population gives {implied:.3f} murders, not a whole number",
                                row=row, field="murd",
                                fix="the rate used another denominator: list the year under exclude_years")
            series = SERIES_EARLY if brk is not None and y < brk else SERIES
            annual.append({"city": slug, "year": y, "series": series, "homicides": int(round(implied)),
                           "population": int(r["pop"]), "unit": "region", "source_id": SOURCE,
                           "population_source_id": SOURCE, "status": "final"})
            for col, (ind, _, _) in INDICATORS.items():
                if pd.notna(r[col]):
                    indicators.append({"city": slug, "year": y, "indicator": ind, "value": float(r[col]),
                                       "unit": RATE_UNIT, "source_id": SOURCE})
                    used.add(col)
    defs = [{"indicator": INDICATORS[c][0], "label": INDICATORS[c][1], "definition": INDICATORS[c][2],
             "unit": RATE_UNIT, "scope": "city"} for c in sorted(used)]
    return {"homicides_annual": pd.DataFrame(annual), "indicators": pd.DataFrame(indicators),
            "indicator_definitions": pd.DataFrame(defs)}
