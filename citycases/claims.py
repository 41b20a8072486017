"""Claims made about these cities, checked against the data by code.

The claims are those of the essay the book answers (GI-TOC, 2025; `ESSAY`), in its order (`n`). A claim is a
data entry (a dict in CLAIMS); adding one needs no new code as long as its `kind` exists:

- kind "change": the value in `end` is at least `threshold_pct` % below (direction "fall") or above
  (direction "rise") the value in `start`. `data` selects the series.
- kind "spike": the value in `year` exceeds the mean of the `baseline_years` years before it by at least
  `threshold_pct` % and is the highest value of the window from those years to the year after.
- kind "concentration": in every city with sub-city data, the most violent `fraction` of areas hold at
  least `threshold_pct` % of the city's homicides, in every year.
- kind "occurrence": the counts selected by `data` are above zero in `year`, and the city's dated events hold
  an event of `event` in `month` (annual counts cannot place an event within the year).
- kind "regional_share": a region's share of the world's homicides exceeds its share of the world's
  population by the factor `threshold_ratio`. With rates per head of the same population base, the ratio of
  the two shares equals the region's rate divided by the world rate, so no population is needed.
- kind "not_checkable": the data cannot test the claim; `reason` says why, `would_decide` which data would,
  and `show` lists what the data do hold (shown as a table; `plot` picks one of them for the chart).

A data selector is {"city": slug, "series": id or None (the primary series), "measure": "homicide_rate" or
"homicides"} for a city series, {"city": slug, "indicator": id} for a city indicator, {"country": ISO3,
"indicator": id} for a country_context indicator, {"city": slug, "months": [first, last], "before": [first,
last]} for a sum of monthly counts against an earlier window, or {"city": slug, "table": "events" |
"periods", "match": regex} for dated rows whose title or label matches.

Sensitivity. Every numeric verdict comes with a table (`Result.sensitivity`): the verdict under each other
series of the city that covers the years (police records, death certificates, city records...), the
comparable series of data/cities.yml, the other measure (count or rate), the series listed in `also`, and with
the years moved by one; each with the exact 95% interval of the change where counts exist. A claim whose
verdict flips under another series is "depends on the series" (the note names which); one that flips only
when a year moves is "holds with caveats". `not_alternatives` lists series that are not a fair alternative,
with the reason (shown in the table).

Verdicts: "holds", "holds with caveats", "depends on the series", "does not hold", "not checkable with these
data". Each claim's own chart (charts.claim_chart) is shown below the claims table under the HTML anchor
`claim-<id>`; `chart` names a chart of the comparison page that puts it in context.

Every figure a claim quotes comes from a publication cited in the entry (`source`: the essay; `citations`:
the publications the essay draws on or that report the figure otherwise): publisher, title, year, URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from . import intervals, metrics
from . import text as T

HOLDS, CAVEATS, FAILS, UNCHECKABLE = "holds", "holds with caveats", "does not hold", "not checkable with these data"
DEPENDS = "depends on the series"
VERDICTS = [HOLDS, CAVEATS, DEPENDS, FAILS, UNCHECKABLE]

# The essay. Its words for claims 3, 4 and 7 were read in the stored copy of this page; the other claim texts
# follow issue 11's summary of the essay (`quoted: False`).
ESSAY = {"publisher": "Global Initiative Against Transnational Organized Crime (GI-TOC)",
         "title": "Local institutions, governance and urban violence prevention in Latin American cities "
                  "(title from URL)",
         "year": 2025,
         "url": "https://globalinitiative.net/analysis/local-institutions-governance-urban-violence-prevention-"
                "latin-america-cities"}

GARCIA_MEJIA_ORTEGA = {
    "publisher": "CAF Development Bank of Latin America (working paper 2013/01)",
    "title": "García, Mejía & Ortega: Police reform, training and crime: experimental evidence from Colombia's "
             "Plan Cuadrantes",
    "year": 2013, "url": "https://scioteca.caf.com/handle/123456789/245?show=full",
    "states": "the randomised staggering of police training; after accounting for the concentration of crime, "
              "an overall reduction in homicides of about 22%"}
EUROPOL = {
    "publisher": "Europol (as announced by the European Commission, DG Migration and Home Affairs, 21 March 2025)",
    "title": "EU Serious and Organised Crime Threat Assessment (EU-SOCTA) 2025",
    "year": 2025,
    "url": "https://home-affairs.ec.europa.eu/news/new-report-shows-how-organised-crime-changing-and-effecting-"
           "eu-security-2025-03-21_en",
    "states": "Europol's 2025 threat assessment: organised crime increasingly destabilising, with violence "
              "among its effects"}
UNODC_GSH = {
    "publisher": "United Nations Office on Drugs and Crime (UNODC), as reported by Diario El Chaqueño",
    "title": "Global Study on Homicide 2023 (report: ONU: el crimen organizado provocó 700.000 muertes entre "
             "2015 y 2021)",
    "year": 2023,
    "url": "https://diarioelchaqueno.net/onu-el-crimen-organizado-provoco-700-000-muertes-entre-2015-y-2021/",
    "states": "UNODC's estimate that organised crime caused some 700,000 deaths worldwide in 2015-2021"}
# The series that decides claim 7 (the source registry's worldbank_wdi entry; the year is that of the download).
WDI = {"publisher": "World Bank (data from UNODC for homicides)",
       "title": "World Development Indicators: intentional homicides per 100,000 (VC.IHR.PSRC.P5), regional and "
                "world aggregates", "year": 2025, "url": "https://data.worldbank.org/indicator/VC.IHR.PSRC.P5",
       "states": "the regional and world homicide rates the verdict is computed from"}

CLAIMS: list[dict] = [
    {"id": "medellin-fall", "n": 1, "kind": "change", "subject": "Medellín's homicide rate",
     "claim": "Medellín's homicides fell by over 80% between 2002 and 2014.", "source": ESSAY, "quoted": False,
     "data": {"city": "medellin", "measure": "homicide_rate"},
     "not_alternatives": {"medata_cleaned": "a subset of the city's records (rows without coordinates dropped), "
                                            "most incomplete in the early years: not a city total"},
     "start": 2002, "end": 2014, "direction": "fall", "threshold_pct": 80, "chart": "fig-rates"},
    {"id": "juarez-fall", "n": 2, "kind": "change", "subject": "Ciudad Juárez's homicide rate",
     "claim": "Ciudad Juárez's homicides fell by over 80% between 2010 and 2015.", "source": ESSAY,
     "quoted": False, "data": {"city": "ciudad-juarez", "measure": "homicide_rate"},
     "start": 2010, "end": 2015, "direction": "fall", "threshold_pct": 80, "chart": "fig-rates"},
    {"id": "sweden-spike", "n": 3, "kind": "spike", "subject": "Sweden's homicides",
     "claim": "Sweden's homicides spiked in 2023.", "source": ESSAY, "quoted": True,
     "data": {"country": "SWE", "indicator": "bra_lethal_violence_national"},
     "also": [{"country": "SWE", "indicator": "bra_lethal_violence_national_rate", "role": "measure"},
              {"country": "SWE", "indicator": "wdi_homicide_rate"},
              {"country": "SWE", "indicator": "bra_lethal_violence_firearm_national"}],
     "year": 2023, "baseline_years": 3, "threshold_pct": 20, "chart": "fig-national"},
    {"id": "stockholm-bombings", "n": 4, "kind": "occurrence",
     "claim": "Gang-related bombings struck Stockholm as recently as January 2025.", "source": ESSAY,
     "quoted": True,
     "data": [{"city": "stockholm", "indicator": "police_notices_explosion_kommun"},
              {"city": "stockholm", "indicator": "police_notices_explosion_lan"}],
     "year": 2025, "month": "2025-01", "event": {"city": "stockholm", "match": "bomb|explos"},
     "would_decide": "monthly counts: the Police's monthly detonation statistics or the monthly counts of its "
                     "event feed, and an attribution of each blast to a criminal network, which no count here "
                     "carries",
     "would_decide_monthly": "the Police's confirmed detonation statistics for the month (the notices are press "
                             "notices) and an attribution of each blast to a criminal network, which no count "
                             "here carries",
     "chart": None},
    {"id": "quadrants", "n": 5, "kind": "not_checkable",
     "claim": "Colombia's policing by quadrants was followed by a reduction of about 11% in homicides in the "
              "areas evaluated between November 2010 and May 2011.", "source": ESSAY, "quoted": False,
     "citations": [GARCIA_MEJIA_ORTEGA],
     "reason": "the claim is about an evaluation's estimate: police stations trained earlier against stations "
               "trained later, within the cities that entered the plan. The book's monthly Police counts are "
               "for whole municipalities, which entered the plan as a whole, so a before-and-after change in "
               "them has no comparison group and cannot tell the plan's effect from everything else that "
               "changed; and Medellín's Police counts for 2009-2010 are far below the city's own records, so "
               "the months before the plan are the least comparable of that series. The Evaluations chapter "
               "sets the published estimate beside a coarse re-run on annual Police counts (the eight "
               "first-phase cities against the other departmental capitals), which compares whole cities over "
               "several years and so answers a different question; re-running the evaluation itself needs "
               "counts by police station and month with each station's training date, which the book does not "
               "hold. The publication the essay's smaller figure comes from was not found, so only the "
               "evaluation's own figure is cited",
     "would_decide": "homicides by police station (or quadrant) with the training cohort of each station, as "
                     "in the randomised evaluation; or the Police's monthly counts by municipality with the plan's "
                     "entry dates, for the first cities against comparable municipalities not yet covered",
     "show": [{"city": "medellin", "months": ["2010-11", "2011-05"], "before": ["2009-11", "2010-05"]},
              {"city": "medellin", "series": "medata_cleaned", "months": ["2010-11", "2011-05"],
               "before": ["2009-11", "2010-05"]},
              {"city": "bogota", "measure": "homicides", "years": [2008, 2012]},
              {"city": "medellin", "measure": "homicides", "years": [2008, 2012]}],
     "chart": None},
    # "Concentrated": the most violent fifth of areas holds at least twice the share an even spread would give.
    {"id": "concentration", "n": 6, "kind": "concentration",
     "claim": "Criminal violence is highly concentrated in urban areas (hot spots).", "source": ESSAY,
     "quoted": False, "fraction": 0.2, "threshold_pct": 40, "chart": "fig-concentration"},
    {"id": "latin-america-share", "n": 7, "kind": "regional_share",
     "claim": "Latin America has long faced armed violence that is disproportionate to its share of the "
              "global population.", "source": ESSAY, "quoted": True, "citations": [WDI],
     "region": "LCN", "region_name": "Latin America and the Caribbean", "world": "WLD",
     "indicator": "wdi_homicide_rate", "threshold_ratio": 1.0, "chart": "fig-national"},
    {"id": "europe-intensified", "n": 8, "kind": "not_checkable",
     "claim": "Organised-crime violence has intensified in some European member states, particularly in port "
              "cities and urban drug markets (Europol 2025).", "source": ESSAY, "quoted": False,
     "citations": [EUROPOL],
     "reason": "the claim is about some member states and about port cities and drug markets in general; the "
               "book holds two European cities. Stockholm's and Milan's series count all homicides (or all "
               "shootings and blasts), not those linked to organised crime, and Milan is not a port city. "
               "Sweden's firearm lethal violence and Stockholm's explosions show how violence of the kind "
               "Europol describes moved in one country; Milan's mafia-type homicides, the one series "
               "attributed to organised crime, are zero in the years covered",
     "would_decide": "homicide and shooting series for a set of EU port cities and other cities, with an "
                     "organised-crime marker, over the same years (national police statistics by municipality, "
                     "or Europol's own data)",
     "show": [{"country": "SWE", "indicator": "bra_lethal_violence_firearm_national"},
              {"country": "SWE", "indicator": "bra_lethal_violence_national"},
              {"city": "stockholm", "indicator": "police_nbc_explosions_polisregion"},
              {"city": "stockholm", "indicator": "police_notices_explosion_lan"},
              {"city": "milan", "measure": "homicides"},
              {"city": "milan", "indicator": "viminale_mafia_homicides_province"}],
     "plot": {"country": "SWE", "indicator": "bra_lethal_violence_firearm_national"}, "chart": None},
    {"id": "unodc-700000", "n": 9, "kind": "not_checkable",
     "claim": "Organised crime caused about 700,000 deaths globally between 2015 and 2021 (UNODC).",
     "source": ESSAY, "quoted": False, "citations": [UNODC_GSH],
     "reason": "a global estimate needs homicides by type for every country; the book holds homicide counts "
               "for six cities and national rates for five countries, and none of them says which killings "
               "were linked to organised crime, except Milan's mafia-type homicides (one province, a few "
               "years)",
     "would_decide": "UNODC's homicide data by situational type (organised crime or gang related) for every "
                     "country, with UNODC's estimates where countries report none",
     "show": [{"city": "milan", "indicator": "viminale_mafia_homicides_province"},
              {"city": "milan", "indicator": "viminale_mafia_homicides_comune"}],
     "chart": None},
    {"id": "capture", "n": 10, "kind": "not_checkable",
     "claim": "Rio's militias have strong ties to municipal agencies; Milan's mafias have corrupted urban "
              "planning.", "source": ESSAY, "quoted": False,
     "reason": "ties to municipal agencies and the corruption of planning are qualities of institutions, not "
               "counts. Offences of mafia-type association, confiscated assets and dissolved councils record "
               "what police and courts acted on, so they rise with enforcement as much as with capture, and "
               "the book holds no count of militia activity at all, only dated periods",
     "would_decide": "court records and parliamentary inquiries (such as Rio's inquiry into the militias or "
                     "the Milan planning investigations), or audits of municipal permits and contracts linked "
                     "to the groups",
     "show": [{"city": "milan", "indicator": "viminale_mafia_association_comune"},
              {"city": "milan", "indicator": "viminale_mafia_association_province"},
              {"city": "milan", "indicator": "pinotti_mafia_association_rate_region"},
              {"city": "milan", "indicator": "anbsc_properties_managed_comune"},
              {"city": "milan", "indicator": "anbsc_companies_managed_comune"},
              {"city": "milan", "table": "events", "match": "dissol|infiltrat"},
              {"city": "rio-de-janeiro", "table": "periods", "match": "militia"},
              {"city": "rio-de-janeiro", "table": "events", "match": "militia|mil[ií]cia"}],
     "plot": {"city": "milan", "indicator": "viminale_mafia_association_province"}, "chart": None},
    {"id": "social-urbanism", "n": 11, "kind": "not_checkable",
     "claim": "Medellín's social urbanism (cable cars, escalators, library parks) improved violent "
              "communities.", "source": ESSAY, "quoted": False,
     "reason": "it asks what happened in the served neighbourhoods compared with similar ones not served. The "
               "Evaluations chapter re-runs that comparison for Medellín's Metrocable line K (barrios of the "
               "served comunas against barrios of comparable comunas, beside Cerdá et al. 2012), so the verdict "
               "is left to it. The city-wide and comuna counts here cannot decide it: the comuna counts start in "
               "2003, a single year before line K opened, from a copy of the city's records that is most "
               "incomplete in that year, and the book has no population by comuna. Escalators and library "
               "parks are not evaluated at all",
     "would_decide": "neighbourhood (barrio) homicide counts and populations from before the first line, for "
                     "served and comparison neighbourhoods (Evaluations chapter, evaluation a)",
     "show": [{"city": "medellin", "series": "medata_cleaned", "measure": "homicides"}],
     "chart": None},
]


@dataclass
class Result:
    id: str
    claim: str
    verdict: str
    evidence: str                    # the numbers behind the verdict (plain text)
    chart: str | None
    notes: list[str] = field(default_factory=list)
    sensitivity: pd.DataFrame | None = None   # the verdict under other series, measures and years
    data: pd.DataFrame | None = None          # what the data hold (claims that are not checkable)
    would_decide: str | None = None           # which data would decide a claim these data cannot
    source: dict | None = None                # where the claim is made
    citations: list = field(default_factory=list)  # publications of the figures the claim quotes


# --------------------------------------------------------------------------- data selection
def _by_slug(cities):
    return {c.slug: c for c in cities}


def _indicator_values(rows: pd.DataFrame) -> pd.Series:
    return metrics.values(rows.rename(columns={"value": "v"}), "v")


def select(selector: dict, cities) -> list[tuple[str, pd.Series, pd.DataFrame]]:
    """(label, year -> value, rows) for a selector; series "*" expands to every non-primary series."""
    out = []
    if "country" in selector:
        for c in cities:
            if c.country_code == selector["country"]:
                r = c.country_indicator(selector["indicator"])
                label = f"{c.country_name}, {c.definition(selector['indicator'])['label']}"
                return [(label, _indicator_values(r), r)]
        return []
    c = _by_slug(cities).get(selector.get("city"))
    if c is None:
        return []
    if "indicator" in selector:
        r = c.indicators[c.indicators["indicator"] == selector["indicator"]].sort_values("year")
        if r.empty:
            return []
        label = f"{c.name}, {c.definition(selector['indicator'])['label']}"
        return [(label, _indicator_values(r), r.reset_index(drop=True))]
    measure = selector.get("measure", metrics.RATE)
    series = selector.get("series")
    ids = [s for s in c.series_ids if s != c.primary_series] if series == "*" else [series or c.primary_series]
    for s in ids:
        rows = c.series_rows(s)
        what = "rate per 100,000" if measure == metrics.RATE else T.series_measure(c, s)
        out.append((f"{c.name}, {c.series_label(s)} ({what})", metrics.values(rows, measure), rows))
    return out


def _prelim(rows: pd.DataFrame, years) -> list[int]:
    if rows is None or "status" not in rows:
        return []
    r = rows[rows["year"].isin(list(years)) & (rows["status"] == "preliminary")]
    return sorted(int(y) for y in r["year"])


def _round(x, d=1):
    return None if T.is_missing(x) else round(float(x), d)


def _meets(ok) -> str:
    return "not covered" if ok is None else ("meets the claim" if ok else "does not meet it")


# --------------------------------------------------------------------------- verdicts
def _verdict(ok: bool | None, rows: list[dict], notes: list[str]) -> str:
    """The verdict from the main test (`ok`) and the sensitivity rows (dicts with role, label, ok).

    Another series that covers the years and disagrees: "depends on the series". Otherwise the old rules: a
    disagreeing measure, a flip when a year moves, an interval across the threshold or a preliminary year
    qualify a claim that holds; a claim that fails only with a measure that would meet it is 'with caveats'."""
    if ok is None:
        return UNCHECKABLE
    series = [r for r in rows if r["role"] in ("comparable series", "other series") and r["ok"] is not None]
    flips = [r for r in series if r["ok"] != ok]
    if flips:
        notes.insert(0, "depends on the series: " + "; ".join(
            f"the {r['label']} {'meets' if r['ok'] else 'does not meet'} the claim ({r['result']})" for r in flips))
        return DEPENDS
    measures = [r for r in rows if r["role"] == "other measure" and r["ok"] is not None]
    for r in measures:
        if r["ok"] != ok:
            notes.append(f"the {r['label']} {'does not agree' if ok else 'would meet the claim'}")
    for r in rows:
        if r["role"] == "years moved" and r["ok"] is not None and r["ok"] != ok:
            notes.append(f"with {r['years']} instead the claim {'would not hold' if ok else 'would hold'} "
                         f"({r['result']})")
    if ok:
        return CAVEATS if notes else HOLDS
    return CAVEATS if any(r["ok"] for r in measures) else FAILS


def _series_variants(c: dict, cities) -> list[tuple[str, dict, str | None]]:
    """(role, selector, reason not used) for every other series of the claim's city, the comparable series
    first, then the selectors of `also` ('role': 'measure' marks another measure of the same series)."""
    sel = c["data"]
    out = []
    city = _by_slug(cities).get(sel.get("city"))
    measure = sel.get("measure", metrics.RATE)
    if city is not None and "indicator" not in sel:
        main = sel.get("series") or city.primary_series
        other_measure = metrics.COUNT if measure == metrics.RATE else metrics.RATE
        out.append(("other measure", dict(sel, series=main, measure=other_measure), None))
        skip = c.get("not_alternatives", {})
        comp = city.comparable_series
        ordered = ([comp] if comp != main else []) + [s for s in city.series_ids if s not in (main, comp)]
        for s in ordered:
            role = "comparable series" if s == comp else "other series"
            m = measure if len(metrics.values(city.series_rows(s), measure)) else metrics.COUNT
            out.append((role, {"city": city.slug, "series": s, "measure": m}, skip.get(s)))
    for a in c.get("also", []):
        out.append(("other measure" if a.get("role") == "measure" else "other series",
                    {k: v for k, v in a.items() if k != "role"}, None))
    return out


# --------------------------------------------------------------------------- kinds
def check_change(c: dict, cities, context=None) -> Result:
    start, end, thr = int(c["start"]), int(c["end"]), float(c["threshold_pct"])
    fall = c.get("direction", "fall") == "fall"
    text = c.get("claim") or (f"{c['subject']} {'fell' if fall else 'rose'} by more than {thr:g}% between "
                              f"{start} and {end}.")

    def test(v: pd.Series, rows: pd.DataFrame, meas: str, a=start, b=end):
        """(meets the threshold, the change with its exact interval, the interval reaches past the threshold)."""
        if a not in v.index or b not in v.index:
            return None, None, False
        ch = metrics.change_between(rows, a, b, meas) if meas is not None and meas in rows else None
        ch = ch or {"pct": metrics.pct_change(v.loc[a], v.loc[b]), "start_value": float(v.loc[a]),
                    "end_value": float(v.loc[b])}
        p = ch["pct"]
        ok = bool((p <= -thr) if fall else (p >= thr))
        lo, hi = ch.get("low"), ch.get("high")
        straddles = not (T.is_missing(lo) or T.is_missing(hi)) and (
            (hi > -thr if fall else lo < thr) if ok else (lo <= -thr if fall else hi >= thr))
        return ok, ch, straddles

    def row(role, label, ok, ch, a=start, b=end, reason=None):
        ch = ch or {}
        return {"role": role, "label": label, "years": f"{a}\u2013{b}", "ok": ok,
                "start_value": _round(ch.get("start_value"), 1), "end_value": _round(ch.get("end_value"), 1),
                "change_pct": _round(ch.get("pct"), 1), "low_pct": _round(ch.get("low"), 1),
                "high_pct": _round(ch.get("high"), 1),
                "result": reason or (T.change_with_interval(ch) if ch else "does not cover the years")}

    measure = c["data"].get("measure", metrics.RATE)
    prim = select(c["data"], cities)
    notes, lines = [], []
    if not prim:
        return _result(c, text, UNCHECKABLE, "No such series in the data.")
    label, v, rows = prim[0]
    ok, ch, straddles = test(v, rows, measure)
    if ok is None:
        have = T.year_span(v.index.min(), v.index.max()) if len(v) else "no years"
        return _result(c, text, UNCHECKABLE, f"{label}: needs {start} and {end}; the data cover {have}.")
    lines.append(f"{label}: {T.num(v.loc[start])} in {start}, {T.num(v.loc[end])} in {end} "
                 f"({T.change_with_interval(ch)})")
    city = _by_slug(cities).get(c["data"].get("city"))
    main_is_comparable = city is not None and (c["data"].get("series") or city.primary_series) == city.comparable_series
    sens = [row("main (and comparable) series" if main_is_comparable else "main series", label, ok, ch)]
    for role, sel, reason in _series_variants(c, cities):
        for lab, v2, rows2 in select(sel, cities):
            meas = sel.get("measure", metrics.RATE) if "indicator" not in sel else None
            ok2, ch2, _ = test(v2, rows2, meas)
            if reason:
                if ok2 is not None:
                    sens.append(row("not used", lab, None, ch2, reason=f"{T.change_with_interval(ch2)}; not "
                                                                       f"used: {reason}"))
                continue
            if ok2 is None:
                if role != "other measure" and len(v2):
                    r2 = row(role, lab, None, None, reason="does not cover both years")
                    r2["years"] = "has " + T.year_span(v2.index.min(), v2.index.max())
                    sens.append(r2)
                continue
            sens.append(row(role, lab, ok2, ch2))
            lines.append(f"{lab}: {T.change_with_interval(ch2)}")
    for a, b in [(start - 1, end), (start + 1, end), (start, end - 1), (start, end + 1)]:
        ok3, ch3, _ = test(v, rows, measure, a, b)
        sens.append(row("years moved", label, ok3, ch3, a, b))
    if straddles:
        notes.append(f"the 95% interval of the change reaches {'past' if not ok else 'inside'} the "
                     f"{thr:g}% threshold, so chance alone could {'put it over' if not ok else 'bring it under'}")
    pre = _prelim(rows, [start, end])
    if pre:
        notes.append(f"{T.join_and(pre)} figures are preliminary")
    verdict = _verdict(ok, sens, notes)
    return _result(c, text, verdict, "; ".join(lines) + ".", notes, sensitivity=_change_table(sens))


def _short_labels(labels: pd.Series) -> pd.Series:
    """Series labels without the place name they all share ('Medellín, ...')."""
    first = str(labels.iloc[0])
    prefix = first.split(", ", 1)[0] + ", " if ", " in first else ""
    return labels.map(lambda x: x[len(prefix):] if prefix and str(x).startswith(prefix) else x)


def _change_table(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["label"] = _short_labels(df["label"])
    df["verdict"] = [_meets(o) if r != "not used" else "not used" for o, r in zip(df["ok"], df["role"])]
    return df.rename(columns={"role": "variant", "label": "series", "start_value": "first value",
                              "end_value": "last value", "change_pct": "change (%)", "low_pct": "95% low (%)",
                              "high_pct": "95% high (%)"})[
        ["variant", "series", "years", "first value", "last value", "change (%)", "95% low (%)", "95% high (%)",
         "verdict"]]


def check_spike(c: dict, cities, context=None) -> Result:
    year, k, thr = int(c["year"]), int(c.get("baseline_years", 3)), float(c["threshold_pct"])
    text = c.get("claim") or f"{c['subject']} spiked in {year}."

    def test(v: pd.Series, y=year):
        base_years = [x for x in range(y - k, y) if x in v.index]
        if y not in v.index or len(base_years) < k:
            return None, None, None
        base = float(v.loc[base_years].mean())
        p = metrics.pct_change(base, v.loc[y])
        window = v[(v.index >= y - k) & (v.index <= y + 1)]
        highest = bool(v.loc[y] >= window.max())
        return bool(p >= thr and highest), p, highest

    def row(role, label, y, ok, p, highest, v=None, reason=None):
        res = reason or (f"{T.pct(p)} against the mean of {y - k}\u2013{y - 1}"
                         + ("" if highest else f"; not the highest value around {y}"))
        return {"role": role, "label": label, "years": str(y), "ok": ok,
                "value": None if v is None or y not in v.index else _round(v.loc[y], 2),
                "change_pct": _round(p, 1), "highest": None if highest is None else bool(highest),
                "result": res}

    prim = select(c["data"], cities)
    if not prim:
        return _result(c, text, UNCHECKABLE, "No such series in the data.")
    label, v, rows = prim[0]
    ok, p, highest = test(v)
    notes, lines = [], []
    if ok is None:
        have = T.year_span(v.index.min(), v.index.max()) if len(v) else "no years"
        return _result(c, text, UNCHECKABLE, f"{label}: needs {year - k}\u2013{year}; the data cover {have}.")
    lines.append(f"{label}: {T.smart(round(v.loc[year], 2))} in {year}, {T.pct(p)} against the mean of "
                 f"{year - k}\u2013{year - 1}" + ("" if highest else f"; not the highest value around {year}"))
    if year + 1 not in v.index:
        notes.append(f"no value yet for {year + 1}, so whether {year} was a peak cannot be seen")
    sens = [row("main series", label, year, ok, p, highest, v)]
    for role, sel, _reason in _series_variants(c, cities):
        for lab, v2, _ in select(sel, cities):
            ok2, p2, h2 = test(v2)
            if ok2 is None:
                sens.append(row(role, lab, year, None, None, None, reason="does not cover the years"))
                continue
            sens.append(row(role, lab, year, ok2, p2, h2, v2))
            lines.append(f"{lab}: {T.pct(p2)} against the mean of the {k} years before"
                         + ("" if h2 else f", not the highest value around {year}"))
    for y in (year - 1, year + 1):
        ok3, p3, h3 = test(v, y)
        # informative only: a spike in one year makes its neighbours no spike, so they cannot qualify it
        sens.append(row("neighbouring year", label, y, ok3, p3, h3, v,
                        reason=None if ok3 is not None else "not covered"))
    verdict = _verdict(ok, sens, notes)
    df = pd.DataFrame(sens)
    df["label"] = _short_labels(df["label"])
    df["verdict"] = [_meets(o) for o in df["ok"]]
    df["highest"] = df["highest"].map({True: "yes", False: "no"}).fillna("")
    df = df.rename(columns={"role": "variant", "label": "series", "years": "year", "change_pct":
                            f"against the {k} years before (%)", "highest": "highest around it"})
    df = df[["variant", "series", "year", "value", f"against the {k} years before (%)", "highest around it",
             "verdict"]]
    return _result(c, text, verdict, "; ".join(lines) + ".", notes, sensitivity=df)


def _concentration_rows(x, subcity: pd.DataFrame, frac: float, thr: float, what: str) -> dict | None:
    if subcity.empty:
        return None
    k = metrics.concentration_k(subcity, frac)
    s = metrics.top_k_share(subcity, k)
    n = int(subcity["area_id"].nunique())
    return {"city": x.name, "areas": what, "top areas": f"{k} of {n}", "fraction": frac,
            "years": T.year_span(s["year"].min(), s["year"].max()),
            "lowest share (%)": _round(s["share"].min(), 0), "highest share (%)": _round(s["share"].max(), 0),
            "even spread (%)": _round(100 * k / n, 0), "ok": bool((s["share"] >= thr).all())}


def check_concentration(c: dict, cities, context=None) -> Result:
    frac, thr = float(c.get("fraction", 0.2)), float(c["threshold_pct"])
    text = c.get("claim") or "Homicides are concentrated in a few areas of each city."
    with_data = [x for x in cities if not x.subcity.empty]
    if not with_data:
        return _result(c, text, UNCHECKABLE, "No city has sub-city homicide counts in these data.")
    lines, oks, notes, sens = [], [], [], []
    for x in with_data:
        main = _concentration_rows(x, x.subcity, frac, thr, "all areas")
        oks.append(main["ok"])
        sens.append(dict(main, variant="main test"))
        lines.append(f"{x.name}: the most violent {main['top areas']} areas held {T.num(main['lowest share (%)'], 0)}"
                     f"\u2013{T.num(main['highest share (%)'], 0)}% of homicides ({main['years']}; "
                     f"{T.num(main['even spread (%)'], 0)}% with an even spread)")
        types = list(dict.fromkeys(x.subcity["area_type"].dropna()))
        if len(types) > 1:
            for t in types:
                r = _concentration_rows(x, x.subcity[x.subcity["area_type"] == t], frac, thr, f"{t}s only")
                if r and int(r["top areas"].split()[-1]) >= 10:
                    sens.append(dict(r, variant="other areas"))
        for f2 in (frac / 2,):
            sens.append(dict(_concentration_rows(x, x.subcity, f2, thr * f2 / frac, "all areas"),
                             variant="other fraction"))
    missing = [x.name for x in cities if x.subcity.empty]
    if missing:
        notes.append(f"only {T.join_and([x.name for x in with_data])} "
                     f"{'has' if len(with_data) == 1 else 'have'} sub-city counts; "
                     f"{T.join_and(missing)} cannot be checked")
    notes.append("counts, not rates: the data hold no population by area, so a populous area counts as a hot "
                 "spot; areas differ in population and size")
    for r in sens:
        if r["variant"] != "main test" and r["ok"] != oks[[x.name for x in with_data].index(r["city"])]:
            notes.append(f"in {r['city']}, with {r['areas']} and the top {T.num(100 * r['fraction'], 0)}% of areas "
                         f"the test {'is met' if r['ok'] else 'is not met'}")
    if all(oks):
        verdict = CAVEATS if notes else HOLDS
    elif any(oks):
        verdict = CAVEATS
    else:
        verdict = FAILS
    evidence = "; ".join(lines) + f". Test: at least {T.num(thr, 0)}% in every year (twice an even spread), counts."
    df = pd.DataFrame(sens)
    df["verdict"] = [_meets(o) for o in df["ok"]]
    df["fraction"] = (100 * df["fraction"]).round(0).astype(int).astype(str) + "% of areas"
    df = df[["variant", "city", "areas", "fraction", "top areas", "years", "lowest share (%)", "highest share (%)",
             "even spread (%)", "verdict"]]
    return _result(c, text, verdict, evidence, notes, sensitivity=df)


def _events_of(city, table: str, match: str, month: str | None = None) -> pd.DataFrame:
    if table == "periods":
        df = city.periods.copy()
        if df.empty:
            return df
        df = df.assign(date=df["start"].astype(str) + "\u2013" + df["end"].fillna("").astype(str),
                       title=df["label"] + ": " + df["description"].fillna(""))
    else:
        df = city.events.copy()
        if df.empty:
            return df
    hit = df["title"].fillna("").str.contains(match, flags=re.IGNORECASE, regex=True)
    if month:
        hit &= df["date"].astype(str).str.startswith(month)
    return df[hit]


def monthly_values(selector: dict, cities) -> pd.Series:
    """month -> value of a city indicator's monthly rows (indicators_monthly), empty if it has none."""
    c = _by_slug(cities).get(selector.get("city"))
    if c is None or "indicator" not in selector:
        return pd.Series(dtype=float)
    r = c.indicators_monthly[c.indicators_monthly["indicator"] == selector["indicator"]]
    return r.set_index("month")["value"].astype(float).sort_index()


def check_occurrence(c: dict, cities, context=None) -> Result:
    year, month = int(c["year"]), c.get("month")
    text = c["claim"]
    ev = c.get("event")
    city = _by_slug(cities).get(ev["city"]) if ev else None
    lines, notes, sens, month_sens, oks, month_oks = [], [], [], [], [], []
    for sel in c["data"]:
        for lab, v, _ in select(sel, cities):
            for y in (year - 1, year):
                if y in v.index:
                    sens.append({"variant": "main test" if y == year else "year moved", "series": lab,
                                 "period": str(y), "count": int(v.loc[y]), "verdict": _meets(bool(v.loc[y] > 0))})
            line = ""
            if year in v.index:
                oks.append(bool(v.loc[year] > 0))
                line = f"{lab}: {T.count(v.loc[year])} in {year}"
            m = monthly_values(sel, cities) if month else pd.Series(dtype=float)
            if month and month in m.index:
                before = m[m.index < month].tail(12)
                month_oks.append(bool(m.loc[month] > 0))
                n = T.count(m.loc[month])
                line = (f"{line}, {n} of them in {T.month_label(month)}" if line and month.startswith(str(year))
                        else f"{lab}: {n} in {T.month_label(month)}")
                if len(before):
                    line += f" (a monthly mean of {T.num(before.mean(), 1)} over the {len(before)} months before)"
                month_sens.append({"variant": "the month itself", "series": lab, "period": T.month_label(month),
                                   "count": int(m.loc[month]), "verdict": _meets(bool(m.loc[month] > 0))})
            if line:
                lines.append(line)
    if not oks and not month_oks:
        return _result(c, text, UNCHECKABLE, f"No count for {year} in the data.", would=c.get("would_decide"))
    hits = _events_of(city, "events", ev["match"], month) if city is not None else pd.DataFrame()
    counted = any(month_oks)
    if month:
        if len(hits):
            lines.append("dated events: " + "; ".join(f"{T.date_label(str(d))}: {t}"
                                                       for d, t in zip(hits["date"], hits["title"])))
        if month_oks and not counted:
            notes.append(f"the monthly notices count none in {T.month_label(month)}"
                         + (", so the month rests on the dated event" if len(hits) else ""))
        elif not month_oks and len(hits):
            notes.append(f"the counts are annual, so {T.month_label(month)} rests on the dated event, not on a "
                         f"count")
        elif not month_oks:
            lines.append(f"no monthly count and no dated event of the kind in {T.month_label(month)}")
            notes.append(f"the counts are annual and no dated event falls in {T.month_label(month)}, so the "
                         f"month itself cannot be confirmed")
    notes.append("police notices are press notices, not crime statistics, and say nothing of who set off a "
                 "blast: the data cannot tell whether it was gang-related")
    in_month = (counted or len(hits) > 0) if month else True
    ok = (all(oks) if oks else True) and in_month
    # nothing at all: no count in the year, or none in the month and no dated event either
    nothing = bool(oks and not any(oks)) or bool(month and month_oks and not in_month)
    verdict = (CAVEATS if notes else HOLDS) if ok else (FAILS if nothing else CAVEATS)
    # with a monthly count, what would still decide the claim is narrower
    would = (month_oks and c.get("would_decide_monthly")) or c.get("would_decide")
    return _result(c, text, verdict, "; ".join(lines) + ".", notes, sensitivity=pd.DataFrame(month_sens + sens),
                   would=would)


def check_regional_share(c: dict, cities, context=None) -> Result:
    text = c["claim"]
    if context is None:
        from . import load
        context = load.read_table("country_context")
    ind, thr = c["indicator"], float(c.get("threshold_ratio", 1.0))
    ctx = context[context["indicator"] == ind]
    reg = ctx[ctx["country"] == c["region"]].set_index("year")["value"].astype(float)
    wld = ctx[ctx["country"] == c["world"]].set_index("year")["value"].astype(float)
    years = sorted(set(reg.index) & set(wld.index))
    own = {x.country_code for x in cities}
    held = sorted(set(context["country"]) & own) or sorted(set(context["country"]) - {c["region"], c["world"]})
    aggregates = sorted(set(context["country"]) - own)
    if not years:
        return _result(c, text, UNCHECKABLE, f"No {c['region_name']} and world rates for the same years in the "
                       f"data (national series held: {T.join_and(held) or 'none'}).",
                       would="regional and world homicide rates, or the homicides and populations of every "
                             "country of the region and of the world")
    rows = []
    for y in years:
        r = reg.loc[y] / wld.loc[y]
        rows.append({"variant": "main test" if y == years[-1] else "other year", "year": int(y),
                     f"{c['region_name']} rate": _round(reg.loc[y], 1), "world rate": _round(wld.loc[y], 1),
                     "ratio of shares": _round(r, 2), "verdict": _meets(bool(r > thr))})
    df = pd.DataFrame(rows)
    last = rows[-1]
    oks = [bool(reg.loc[y] / wld.loc[y] > thr) for y in years]
    lo, hi = df["ratio of shares"].min(), df["ratio of shares"].max()
    evidence = (f"{c['region_name']}: {T.num(last[c['region_name'] + ' rate'])} homicides per 100,000 in "
                f"{last['year']} against {T.num(last['world rate'])} for the world, so its share of the world's "
                f"homicides is {T.ratio(last['ratio of shares'])} its share of the world's population "
                f"({T.ratio(lo)} to {T.ratio(hi)} in {T.year_span(years[0], years[-1])}; World Bank aggregates "
                f"of UNODC rates, which give the ratio of shares without populations).")
    notes = ["intentional homicide stands in for 'armed violence': deaths in armed conflict are not counted",
             f"the tidy tables hold national series for {T.join_and(held)} only (and the aggregates "
             f"{T.join_and(aggregates)}), too few countries to add up a region, so the decision rests on the "
             f"World Bank's regional and world aggregates"]
    verdict = (CAVEATS if all(oks) else (CAVEATS if any(oks) else FAILS))
    if not all(oks) and any(oks):
        notes.append("the ratio is below the threshold in some years")
    return _result(c, text, verdict, evidence, notes, sensitivity=df)


def _window(city, first: str, last: str, series: str | None = None) -> tuple[int, int] | None:
    m = city.monthly_rows(series)
    if m.empty:
        return None
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    w = m[m["month"].isin(months)]
    if len(w) != len(months):
        return None
    return int(w["homicides"].sum()), len(months)


def data_held(selectors: list[dict], cities) -> pd.DataFrame:
    """What the data hold for each selector: one row each (a series' values, a window's change, or dated rows)."""
    out = []
    bys = _by_slug(cities)
    for sel in selectors:
        city = bys.get(sel.get("city"))
        if "months" in sel and city is not None:
            a, b = _window(city, *sel["before"], sel.get("series")), _window(city, *sel["months"], sel.get("series"))
            what = city.series_label(sel["series"]) if sel.get("series") else "Police"
            if a and b:
                ch = intervals.change_interval(a[0], a[1], b[0], b[1])
                ch = {"pct": ch["change"], "low": ch["low"], "high": ch["high"], "significant": ch["significant"]}
                out.append({"what": f"{city.name}, homicides (monthly counts, {what}), "
                                    f"{T.month_label(sel['months'][0])}\u2013{T.month_label(sel['months'][1])} "
                                    f"against the same months a year earlier",
                            "years": f"{sel['before'][0]}\u2013{sel['months'][1]}",
                            "values": f"{T.count(a[0])} then {T.count(b[0])}: {T.change_with_interval(ch)}"})
            continue
        if "table" in sel and city is not None:
            hits = _events_of(city, sel["table"], sel["match"])
            for d, t in zip(hits.get("date", []), hits.get("title", [])):
                out.append({"what": f"{city.name}, dated {'period' if sel['table'] == 'periods' else 'event'}",
                            "years": str(d), "values": str(t)})
            if hits.empty:
                out.append({"what": f"{city.name}, dated {sel['table']}", "years": "",
                            "values": "none of this kind in the data"})
            continue
        for lab, v, _ in select({k: x for k, x in sel.items() if k != "years"}, cities):
            if "years" in sel:
                v = v[(v.index >= sel["years"][0]) & (v.index <= sel["years"][1])]
            if v.empty:
                continue
            vals = "; ".join(f"{y}: {T.smart(round(x, 2))}" for y, x in v.items()) if len(v) <= 6 else (
                f"{v.index.min()}: {T.smart(round(v.iloc[0], 2))} \u2026 {v.index.max()}: "
                f"{T.smart(round(v.iloc[-1], 2))} (lowest {T.smart(round(v.min(), 2))}, highest "
                f"{T.smart(round(v.max(), 2))})")
            out.append({"what": lab, "years": T.year_span(v.index.min(), v.index.max()), "values": vals})
    return pd.DataFrame(out, columns=["what", "years", "values"])


def check_not_checkable(c: dict, cities, context=None) -> Result:
    data = data_held(c.get("show", []), cities)
    evidence = f"Not checkable: {c['reason']}."
    return _result(c, c["claim"], UNCHECKABLE, evidence, data=data, would=c.get("would_decide"))


def _result(c: dict, text: str, verdict: str, evidence: str, notes=None, *, sensitivity=None, data=None,
            would=None) -> Result:
    if verdict == UNCHECKABLE and would is None:
        would = c.get("would_decide")
    return Result(c["id"], text, verdict, evidence, c.get("chart"), list(notes or []), sensitivity, data, would,
                  c.get("source"), list(c.get("citations", [])))


KINDS = {"change": check_change, "spike": check_spike, "concentration": check_concentration,
         "occurrence": check_occurrence, "regional_share": check_regional_share,
         "not_checkable": check_not_checkable}


def check(claim: dict, cities, context: pd.DataFrame | None = None) -> Result:
    """The claim's verdict. `context` is the whole country_context table (read from data/tidy when a claim
    needs countries other than the cities' own and none is given)."""
    if claim["kind"] not in KINDS:
        raise ValueError(f"claim {claim.get('id')}: unknown kind {claim['kind']!r}; kinds are {list(KINDS)}")
    return KINDS[claim["kind"]](claim, cities, context)


def check_all(cities, claims: list[dict] | None = None, context: pd.DataFrame | None = None) -> list[Result]:
    return [check(c, cities, context) for c in (CLAIMS if claims is None else claims)]


def anchor(claim_id: str) -> str:
    """The HTML id under which the claim's chart is shown."""
    return "claim-" + "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in str(claim_id).lower())


def citation_html(cit: dict | None) -> str:
    """'Publisher: Title (year)' linked to its URL (escaped)."""
    if not cit:
        return ""
    return T.html_link(f"{cit['publisher']}: {cit['title']} ({cit['year']})", cit.get("url"))


def claims_html(results: list[Result]) -> str:
    """The claims table as escaped HTML; each row links to the chart that decides it."""
    rows = []
    for r in results:
        chart = f'<a href="#{T.html(anchor(r.id))}">chart</a>'
        notes = f"<br><em>Caveats: {T.html('; '.join(r.notes))}.</em>" if r.notes else ""
        would = f"<br><em>Data that would decide it: {T.html(r.would_decide)}.</em>" if r.would_decide else ""
        src = f'<br><small>Claim made in {citation_html(r.source)}</small>' if r.source else ""
        figs = "".join(f"<br><small>{T.html(x['states'][:1].upper() + x['states'][1:]) if x.get('states') else 'Figure'}"
                       f": {citation_html(x)}</small>" for x in r.citations)
        cls = "claim-" + r.verdict.replace(" ", "-")
        rows.append(f'<tr class="{T.html(cls)}"><td>{T.html(r.claim)}{src}{figs}</td><td><strong>'
                    f'{T.html(r.verdict)}</strong></td><td>{T.html(r.evidence)}{notes}{would}</td><td>{chart}</td></tr>')
    return ('<table class="citycases-claims">\n<caption>Claims checked against the data (verdicts computed '
            'by citycases/claims.py)</caption>\n<thead><tr><th scope="col">Claim</th><th scope="col">Verdict'
            '</th><th scope="col">Numbers behind it</th><th scope="col">Chart</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>")


def sensitivity_html(r: Result) -> str:
    """The claim's sensitivity table (or what the data hold), folded, escaped; '' when it has none."""
    if r.sensitivity is not None and len(r.sensitivity):
        return T.table_html(r.sensitivity, index=False, float_format=lambda v: f"{v:,.1f}",
                            summary="How the verdict changes with the series, the measure and the years",
                            label=f"Sensitivity of the claim: {r.claim}")
    if r.data is not None and len(r.data):
        return T.table_html(r.data, index=False, summary="What the data hold on this claim",
                            label=f"What the data hold on the claim: {r.claim}")
    return ""


def results_frame(results: list[Result]) -> pd.DataFrame:
    return pd.DataFrame([{"claim": r.claim, "verdict": r.verdict, "evidence": r.evidence,
                          "caveats": "; ".join(r.notes), "chart": r.chart,
                          "would_decide": r.would_decide or "",
                          "source": (r.source or {}).get("url", "")} for r in results])
