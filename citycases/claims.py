"""Claims often made about these cities, checked against the data by code.

A claim is a data entry (a dict in CLAIMS); adding one needs no new code as long as its `kind` exists:

- kind "change": the value in `end` is at least `threshold_pct` % below (direction "fall") or above
  (direction "rise") the value in `start`. `data` selects the series; `also` lists other series or measures
  used as cross-checks.
- kind "spike": the value in `year` exceeds the mean of the `baseline_years` years before it by at least
  `threshold_pct` % and is the highest value of the window from those years to the year after.
- kind "concentration": in every city with sub-city data, the most violent `fraction` of areas hold at
  least `threshold_pct` % of the city's homicides, in every year.

A data selector is {"city": slug, "series": id or None (the primary series), "measure": "homicide_rate" or
"homicides"} for a city series, or {"country": ISO3, "indicator": id} for a country_context indicator.
Verdicts: "holds", "holds with caveats", "does not hold", "not checkable with these data".
Each claim's own chart (charts.claim_chart) is shown below the claims table under the HTML anchor
`claim-<id>`; `chart` names a chart of the comparison page that puts it in context.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import metrics
from . import text as T

HOLDS, CAVEATS, FAILS, UNCHECKABLE = "holds", "holds with caveats", "does not hold", "not checkable with these data"
VERDICTS = [HOLDS, CAVEATS, FAILS, UNCHECKABLE]

CLAIMS: list[dict] = [
    {"id": "medellin-fall", "kind": "change", "subject": "Medellín's homicide rate",
     "data": {"city": "medellin", "measure": "homicide_rate"},
     "also": [{"city": "medellin", "measure": "homicides"}, {"city": "medellin", "series": "*", "measure": "homicides"}],
     "start": 2002, "end": 2014, "direction": "fall", "threshold_pct": 80, "chart": "fig-rates"},
    {"id": "juarez-fall", "kind": "change", "subject": "Ciudad Juárez's homicide rate",
     "data": {"city": "ciudad-juarez", "measure": "homicide_rate"},
     "also": [{"city": "ciudad-juarez", "measure": "homicides"},
              {"city": "ciudad-juarez", "series": "*", "measure": "homicides"}],
     "start": 2010, "end": 2015, "direction": "fall", "threshold_pct": 80, "chart": "fig-rates"},
    {"id": "sweden-spike", "kind": "spike", "subject": "Sweden's homicides",
     "data": {"country": "SWE", "indicator": "bra_lethal_violence_national"},
     "also": [{"country": "SWE", "indicator": "bra_lethal_violence_national_rate"},
              {"country": "SWE", "indicator": "wdi_homicide_rate"}],
     "year": 2023, "baseline_years": 3, "threshold_pct": 20, "chart": "fig-national"},
    # "Concentrated": the most violent fifth of areas holds at least twice the share an even spread would give.
    {"id": "concentration", "kind": "concentration",
     "claim": "Criminal violence is concentrated in a few urban areas.",
     "fraction": 0.2, "threshold_pct": 40, "chart": "fig-concentration"},
]


@dataclass
class Result:
    id: str
    claim: str
    verdict: str
    evidence: str                    # the numbers behind the verdict (plain text)
    chart: str | None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- data selection
def _by_slug(cities):
    return {c.slug: c for c in cities}


def select(selector: dict, cities) -> list[tuple[str, pd.Series, pd.DataFrame]]:
    """(label, year -> value, rows) for a selector; series "*" expands to every non-primary series."""
    out = []
    if "country" in selector:
        for c in cities:
            if c.country_code == selector["country"]:
                r = c.country_indicator(selector["indicator"])
                label = f"{c.country_name}, {c.definition(selector['indicator'])['label']}"
                v = metrics.values(r.rename(columns={"value": "v"}), "v")
                return [(label, v, r)]
        return []
    c = _by_slug(cities).get(selector.get("city"))
    if c is None:
        return []
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


# --------------------------------------------------------------------------- kinds
def _combine(primary_ok: bool | None, checks: list[bool], notes: list[str]) -> str:
    if primary_ok is None:
        return UNCHECKABLE
    agree = all(ok == primary_ok for ok in checks)
    if primary_ok and agree and not notes:
        return HOLDS
    if primary_ok:
        return CAVEATS
    return FAILS if agree or not any(checks) else CAVEATS


def check_change(c: dict, cities) -> Result:
    start, end, thr = int(c["start"]), int(c["end"]), float(c["threshold_pct"])
    fall = c.get("direction", "fall") == "fall"
    text = c.get("claim") or (f"{c['subject']} {'fell' if fall else 'rose'} by more than {thr:g}% between "
                              f"{start} and {end}.")

    measure = c["data"].get("measure", metrics.RATE)

    def test(v: pd.Series, rows: pd.DataFrame, meas: str):
        """(meets the threshold, the change with its exact interval, the interval reaches past the threshold)."""
        if start not in v.index or end not in v.index:
            return None, None, False
        ch = metrics.change_between(rows, start, end, meas) or {"pct": metrics.pct_change(v.loc[start], v.loc[end])}
        p = ch["pct"]
        ok = (p <= -thr) if fall else (p >= thr)
        lo, hi = ch.get("low"), ch.get("high")
        straddles = not (T.is_missing(lo) or T.is_missing(hi)) and (
            (hi > -thr if fall else lo < thr) if ok else (lo <= -thr if fall else hi >= thr))
        return ok, ch, straddles

    prim = select(c["data"], cities)
    notes, lines = [], []
    if not prim:
        return Result(c["id"], text, UNCHECKABLE, "No such series in the data.", c.get("chart"))
    label, v, rows = prim[0]
    ok, ch, straddles = test(v, rows, measure)
    if ok is None:
        have = T.year_span(v.index.min(), v.index.max()) if len(v) else "no years"
        return Result(c["id"], text, UNCHECKABLE, f"{label}: needs {start} and {end}; the data cover {have}.",
                      c.get("chart"))
    lines.append(f"{label}: {T.num(v.loc[start])} in {start}, {T.num(v.loc[end])} in {end} "
                 f"({T.change_with_interval(ch)})")
    if straddles:
        notes.append(f"the 95% interval of the change reaches {'past' if not ok else 'inside'} the "
                     f"{thr:g}% threshold, so chance alone could {'put it over' if not ok else 'bring it under'}")
    pre = _prelim(rows, [start, end])
    if pre:
        notes.append(f"{T.join_and(pre)} figures are preliminary")
    checks = []
    for sel in c.get("also", []):
        for lab, v2, rows2 in select(sel, cities):
            ok2, ch2, _ = test(v2, rows2, sel.get("measure", metrics.RATE))
            if ok2 is None:
                continue
            checks.append(ok2)
            lines.append(f"{lab}: {T.change_with_interval(ch2)}")
            if ok2 != ok:
                notes.append(f"the {lab} series {'does not agree' if ok else 'would meet the threshold'}")
    verdict = _combine(ok, checks, notes)
    return Result(c["id"], text, verdict, "; ".join(lines) + ".", c.get("chart"), notes)


def check_spike(c: dict, cities) -> Result:
    year, k, thr = int(c["year"]), int(c.get("baseline_years", 3)), float(c["threshold_pct"])
    text = c.get("claim") or f"{c['subject']} spiked in {year}."

    def test(v: pd.Series):
        base_years = [y for y in range(year - k, year) if y in v.index]
        if year not in v.index or len(base_years) < k:
            return None, None, None
        base = float(v.loc[base_years].mean())
        p = metrics.pct_change(base, v.loc[year])
        window = v[(v.index >= year - k) & (v.index <= year + 1)]
        highest = bool(v.loc[year] >= window.max())
        return (p >= thr and highest), p, highest

    prim = select(c["data"], cities)
    if not prim:
        return Result(c["id"], text, UNCHECKABLE, "No such series in the data.", c.get("chart"))
    label, v, rows = prim[0]
    ok, p, highest = test(v)
    notes, lines = [], []
    if ok is None:
        have = T.year_span(v.index.min(), v.index.max()) if len(v) else "no years"
        return Result(c["id"], text, UNCHECKABLE, f"{label}: needs {year - k}\u2013{year}; the data cover {have}.",
                      c.get("chart"))
    lines.append(f"{label}: {T.smart(round(v.loc[year], 2))} in {year}, {T.pct(p)} against the mean of "
                 f"{year - k}\u2013{year - 1}" + ("" if highest else f"; not the highest value around {year}"))
    if year + 1 not in v.index:
        notes.append(f"no value yet for {year + 1}, so whether {year} was a peak cannot be seen")
    checks = []
    for sel in c.get("also", []):
        for lab, v2, _ in select(sel, cities):
            ok2, p2, h2 = test(v2)
            if ok2 is None:
                continue
            checks.append(ok2)
            lines.append(f"{lab}: {T.pct(p2)} against the mean of the {k} years before"
                         + ("" if h2 else f", not the highest value around {year}"))
            if ok2 != ok:
                notes.append(f"the {lab} series {'does not agree' if ok else 'shows a spike'}")
    verdict = _combine(ok, checks, notes)
    return Result(c["id"], text, verdict, "; ".join(lines) + ".", c.get("chart"), notes)


def check_concentration(c: dict, cities) -> Result:
    frac, thr = float(c.get("fraction", 0.2)), float(c["threshold_pct"])
    text = c.get("claim") or "Homicides are concentrated in a few areas of each city."
    with_data = [x for x in cities if not x.subcity.empty]
    if not with_data:
        return Result(c["id"], text, UNCHECKABLE, "No city has sub-city homicide counts in these data.",
                      c.get("chart"))
    lines, oks, notes = [], [], []
    for x in with_data:
        k = metrics.concentration_k(x.subcity, frac)
        s = metrics.top_k_share(x.subcity, k)
        n_areas = int(x.subcity["area_id"].nunique())
        ok = bool((s["share"] >= thr).all())
        oks.append(ok)
        lines.append(f"{x.name}: the most violent {k} of {n_areas} areas held {T.num(s['share'].min(), 0)}\u2013"
                     f"{T.num(s['share'].max(), 0)}% of homicides ({T.year_span(s['year'].min(), s['year'].max())}; "
                     f"{T.num(100 * k / n_areas, 0)}% with an even spread)")
    missing = [x.name for x in cities if x.subcity.empty]
    if missing:
        notes.append(f"only {T.join_and([x.name for x in with_data])} "
                     f"{'has' if len(with_data) == 1 else 'have'} sub-city counts; "
                     f"{T.join_and(missing)} cannot be checked")
    notes.append("counts, not rates: areas differ in population and size")
    if all(oks):
        verdict = CAVEATS if notes else HOLDS
    elif any(oks):
        verdict = CAVEATS
    else:
        verdict = FAILS
    evidence = "; ".join(lines) + f". Test: at least {T.num(thr, 0)}% in every year."
    return Result(c["id"], text, verdict, evidence, c.get("chart"), notes)


KINDS = {"change": check_change, "spike": check_spike, "concentration": check_concentration}


def check(claim: dict, cities) -> Result:
    if claim["kind"] not in KINDS:
        raise ValueError(f"claim {claim.get('id')}: unknown kind {claim['kind']!r}; kinds are {list(KINDS)}")
    return KINDS[claim["kind"]](claim, cities)


def check_all(cities, claims: list[dict] | None = None) -> list[Result]:
    return [check(c, cities) for c in (CLAIMS if claims is None else claims)]


def anchor(claim_id: str) -> str:
    """The HTML id under which the claim's chart is shown."""
    return "claim-" + "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in str(claim_id).lower())


def claims_html(results: list[Result]) -> str:
    """The claims table as escaped HTML; each row links to the chart that decides it."""
    rows = []
    for r in results:
        chart = f'<a href="#{T.html(anchor(r.id))}">chart</a>'
        notes = f"<br><em>Caveats: {T.html('; '.join(r.notes))}.</em>" if r.notes else ""
        cls = "claim-" + r.verdict.replace(" ", "-")
        rows.append(f'<tr class="{T.html(cls)}"><td>{T.html(r.claim)}</td><td><strong>{T.html(r.verdict)}'
                    f'</strong></td><td>{T.html(r.evidence)}{notes}</td><td>{chart}</td></tr>')
    return ('<table class="citycases-claims">\n<caption>Claims checked against the data (verdicts computed '
            'by citycases/claims.py)</caption>\n<thead><tr><th scope="col">Claim</th><th scope="col">Verdict'
            '</th><th scope="col">Numbers behind it</th><th scope="col">Chart</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>")


def results_frame(results: list[Result]) -> pd.DataFrame:
    return pd.DataFrame([{"claim": r.claim, "verdict": r.verdict, "evidence": r.evidence,
                          "caveats": "; ".join(r.notes), "chart": r.chart} for r in results])
