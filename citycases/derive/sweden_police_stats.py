"""Swedish Police statistics on shootings and explosions, by police region (params: police_region).

No data file was available: the figures are published values transcribed from polisen.se and from news
pages quoting the Police (PROVENANCE.md section 9). Only full calendar years from official or
news-quoting-agency rows are used; partial-year, rolling-12-month and low-reliability rows are left out.
Where the Police published different values for the same year, the later (revised) one is the main
indicator and the earlier one is kept under an `_earlier` indicator.
"""
from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ._sweden import annual_values, police_region, read_transcribed_series, region_label

SOURCES = ["polisen_shootings_explosions"]
# Keys of a city's `derive: sweden_police_stats:` block (derive_all refuses any other; the scaffold writes the
# required ones for a new city to fill in).
PARAMETERS = {
    "police_region": "police region: Stockholm",
}
REQUIRED_PARAMETERS = ["police_region"]

SOURCE = "polisen_shootings_explosions"
TRANSCRIBED = "stockholm/region_stockholm_series_transcribed.csv"

# (measure in the file, indicator id, unit, value to keep where pages disagree {year: value})
MEASURES = [
    ("Polisen bekräftade skjutningar: skjutningar", "police_shootings_polisregion", "shootings",
     # 2017: 129 (polisen.se, March 2018) vs 130 (polisen.se regional study, May 2018);
     # 2020: 148 (DN, provisional, 30 Dec 2020) vs 156 (police follow-up, Aug 2021).
     {2017: 130, 2020: 156}),
    ("Polisen bekräftade skjutningar: avlidna", "police_shooting_deaths_polisregion", "persons",
     # 2020: 23 (DN, provisional) vs 25 (police follow-up, Aug 2021).
     {2020: 25}),
    ("Polisen bekräftade skjutningar: skadade", "police_shooting_injured_polisregion", "persons", {}),
    ("Nationellt bombdatacenter: explosioner", "police_nbc_explosions_polisregion", "explosions", {}),
]


def _definitions() -> pd.DataFrame:
    base = ("Published figures for the police region (for Stockholm: Stockholms län plus Gotland), "
            "full calendar years only, from polisen.se or news reports quoting the Police.")
    rows = [
        ("police_shootings_polisregion", "Confirmed shootings, police region (Police)",
         "Shootings counted as confirmed ('bekräftade skjutningar') in the Swedish Police's shooting "
         "statistics, which the Police keep by region since November 2016. " + base +
         " Where figures were revised, the later one.", "shootings"),
        ("police_shootings_polisregion_earlier", "Confirmed shootings, earlier published figure",
         "Earlier published value of police_shootings_polisregion, for years where the Police later "
         "published a different one (2017: figure of March 2018; 2020: provisional figure of 30 December "
         "2020).", "shootings"),
        ("police_shooting_deaths_polisregion", "Persons killed in shootings, police region (Police)",
         "Persons killed in confirmed shootings (Police statistics); not the same measure as Brå's "
         "lethal violence with firearms. " + base + " Where figures were revised, the later one.", "persons"),
        ("police_shooting_deaths_polisregion_earlier", "Persons killed in shootings, earlier published figure",
         "Earlier published value of police_shooting_deaths_polisregion where a later one differs "
         "(2020: provisional figure of 30 December 2020).", "persons"),
        ("police_shooting_injured_polisregion", "Persons injured in shootings, police region (Police)",
         "Persons injured in confirmed shootings (Police statistics). " + base +
         " The 2020 value is the provisional figure of 30 December 2020.", "persons"),
        ("police_nbc_explosions_polisregion", "Explosions, police region (Police bomb data centre)",
         "Explosions recorded by the Police's national bomb data centre (Nationellt bombdatacenter) in the "
         "police region; a different count from the Police's monthly 'sprängningar' statistics. "
         "Published in the centre's annual report releases.", "explosions"),
    ]
    return pd.DataFrame([{"indicator": i, "label": lab, "definition": d, "unit": u, "scope": "city"}
                         for i, lab, d, u in rows])


def derive(ctx) -> dict[str, pd.DataFrame]:
    path = ctx.raw(SOURCE, TRANSCRIBED)
    series = read_transcribed_series(path)
    out = []
    for city, params in ctx.cities_for("sweden_police_stats"):
        name = params.get("police_region")
        police_region(name, "data/cities.yml")
        label = region_label(name)
        for measure, indicator, unit, preferred in MEASURES:
            main, other = annual_values(series, path, measure=measure, region=label, preferred=preferred)
            if main.empty:
                raise DataError(path, f"no full-year values of '{measure}' for {label}", field="measure")
            for df, ind in ((main, indicator), (other, f"{indicator}_earlier")):
                if len(df):
                    out.append(pd.DataFrame({"city": city["slug"], "year": df["year"], "indicator": ind,
                                             "value": df["value"], "unit": unit, "source_id": SOURCE}))
    return {"indicators": pd.concat(out, ignore_index=True) if out else pd.DataFrame(),
            "indicator_definitions": _definitions()}
