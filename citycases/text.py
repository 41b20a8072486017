"""The book's computed prose: Markdown (or HTML) describing a city, the comparison or the front page from the data.

Each function returns Markdown (data text escaped with md()) describing a city from its data; a section
without data gets one sentence saying so, computed from the data, never a per-city branch. The functions
follow the chapter's sections in order (notebooks/city.ipynb), then the front page and the comparison.

The formatting helpers (escaping, numbers, years, dates, tables) live in `citycases.fmt`; they are
re-exported here because the notebooks and other modules call them as `text.md`, `text.show_md`, ...
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import settings
from .fmt import (  # noqa: F401  (re-exported: notebooks and modules call text.md, text.show_md, ...)
    Raw, change_with_interval, count, date_label, html, html_link, interval, is_missing, join_and, md, md_link,
    md_table, month_label, num, pct, plural, ratio, safe_url, show_html, show_md, sig, smart, table_html,
    year_span, years_list,
)



# --------------------------------------------------------------------------- numbered references
class References:
    """A page's numbered references, in order of first citation: sources of the registry and cited pages.
    Citing returns a short link "[n]" to the page's bibliography (`references_html`), whose items carry the
    ids ref-1, ref-2, ..."""

    def __init__(self):
        self.keys: dict[str, int] = {}
        self.entries: list[str] = []          # HTML of each entry, escaped

    def number(self, key: str, entry_html: str) -> int:
        if key not in self.keys:
            self.entries.append(entry_html)
            self.keys[key] = len(self.entries)
        return self.keys[key]


_REFS = References()


def reset_references() -> None:
    """Start a new page's numbering (setup_notebook calls it; each notebook is one page)."""
    global _REFS
    _REFS = References()


def ref_link(n: int) -> str:
    return f'<a class="citation" href="#ref-{n}" title="Reference {n}">[{n}]</a>'


def _source_entry(s) -> str:
    link = html_link(s.url_main, s.url_main) if safe_url(s.url_main) else ""
    return (f"{html(s.producer)}: <em>{html(s.title)}</em>. {html(s.citation)} {link} "
            f"(data gathered {html(s.date_accessed)}).")


def cite_source(source) -> str:
    """'[n]' for a registry source (a Source)."""
    return ref_link(_REFS.number(f"source:{source.id}", _source_entry(source)))


def cite_page(citation, url) -> str:
    """'[n]' for a cited page (publisher: title (date), URL)."""
    label = citation if not is_missing(citation) else url
    ok = safe_url(url)
    entry = f"{html(label)}." + (f" {html_link(url, url)}" if ok else "")
    return ref_link(_REFS.number(f"page:{url or ''}:{label}", entry))


def short_publisher(citation) -> str:
    """The publisher part of 'Publisher: Title (date)'."""
    c = " ".join(str(citation).split())
    return c.split(":")[0].strip() if ":" in c else c


def references_html() -> str:
    """The page's bibliography: every reference cited so far, numbered, with its anchor."""
    if not _REFS.entries:
        return "<p>This page cites no source.</p>"
    items = "\n".join(f'<li id="ref-{i}">{e}</li>' for i, e in enumerate(_REFS.entries, start=1))
    return f'<ol class="references">\n{items}\n</ol>'


def source_md(city, source_id) -> str:
    """'Producer [n]': a registry source, short in the text, in full in the page's references."""
    s = city.source(source_id)
    if s is None:
        return md(source_id) if not is_missing(source_id) else ""
    return f"{md(s.short)} {cite_source(s)}"


def cited(city, row) -> str:
    """The source of a hand-written row (event, period, break): its registry source and/or its cited page,
    short ('Publisher [n]') with the full reference at the end of the page."""
    sid = row.get("source_id")
    parts = []
    if not is_missing(sid) and city.source(sid) is not None:
        parts.append(source_md(city, sid))
    if not is_missing(row.get("citation_url")):
        label = row["citation"] if not is_missing(row.get("citation")) else row["citation_url"]
        parts.append(f"{md(short_publisher(label))} {cite_page(label, row['citation_url'])}")
    elif not is_missing(row.get("citation")):
        parts.append(md(row["citation"]))
    return "; ".join(parts) or md(sid or "")


# --------------------------------------------------------------------------- shared phrases
def _value(v: float, measure: str) -> str:
    return f"{sig(v)} per 100,000" if measure == "homicide_rate" else f"{count(v)} homicides"


def _short_territory(city) -> str:
    """The territory's first phrase: 'Municipality of Medellín' rather than the registry's full sentence."""
    t = " ".join(str(city.entry["territory"]).split())
    for sep in (" (", ", ", ": ", "; "):
        if sep in t:
            t = t.split(sep)[0]
    return t.rstrip(".")


def chance_band_pct(k: int) -> float | None:
    """Half the width of the exact 95% interval of a count, as % of the count: how far chance alone could move
    a year's figure with that many events."""
    from .intervals import poisson_interval
    if k is None or k <= 0:
        return None
    lo, hi = poisson_interval(int(k))
    return (hi - lo) / 2 / k * 100


def series_measure(city, series: str) -> str:
    """What one unit of a series counts, for prose: "homicides" unless the registry's series gives a
    `measure` (e.g. "police notices of murder or manslaughter")."""
    from .cities import series_measure as _measure
    return _measure(city.entry, series)


def exceptional_note(city, year: int) -> str:
    """One sentence when the main series' figure for `year` includes an exceptional event (data/breaks.csv)."""
    b = city.breaks_of(city.primary_series, ["exceptional_event"])
    if b.empty:
        return ""
    hit = b[b["date"].str[:4] == str(year)]
    if hit.empty:
        return ""
    return (f"The {year} figure includes an exceptional event ({date_label(hit['date'].iloc[0])}): "
            f"{md(hit['description'].iloc[0])}")


# --------------------------------------------------------------------------- chapter: at a glance
def glue_headline(city) -> dict:
    """Glue the at-a-glance figures (display=False) so other pages can cite them; returns what was glued."""
    from myst_nb import glue
    from . import metrics
    h = metrics.headline(city)
    vals = {
        "peak_year": h["peak"]["year"] if h["peak"] else None,
        "peak_value": round(h["peak"]["value"], 3) if h["peak"] else None,
        "latest_year": h["latest"]["year"] if h["latest"] else None,
        "latest_value": round(h["latest"]["value"], 3) if h["latest"] else None,
        "change_from_peak_pct": None if is_missing(h["change_from_peak"]) else round(h["change_from_peak"], 1),
        "years_to_halve": h["halved"]["years"] if h["halved"] else None,
        "ratio_to_national": round(h["ratio"]["ratio"], 3) if h["ratio"] else None,
    }
    for k, v in vals.items():
        glue(k, v, display=False)
    return vals


def summary_md(city) -> str:
    """The chapter's opening in three to five plain sentences: what happened, when, how sure we are, and
    what it was measured with. Every figure computed; numbers rounded for people."""
    from . import metrics
    h = metrics.headline(city)
    name = md(city.name)
    if h["peak"] is None:
        return f"There are no annual homicide figures for {name} in these data."
    m, p, last = h["measure"], h["peak"], h["latest"]
    rate = m == "homicide_rate"
    unit = " per 100,000 inhabitants" if rate else " homicides a year"
    where = md(_short_territory(city))
    out = []
    ch = h["change"] or {}
    if last["year"] == p["year"]:
        out.append(f"In {name}, the latest year in the data, {p['year']}, is also the highest: "
                   f"{sig(p['value'])}{unit}.")
    else:
        direction = "lower" if last["value"] < p["value"] else "higher"
        out.append(f"Homicides in {name} peaked in {p['year']} at {sig(p['value'])}{unit}; in {last['year']}, "
                   f"the latest year in the data, the figure was {sig(last['value'])}, "
                   f"{pct(abs(ch.get('pct', metrics.pct_change(p['value'], last['value']))), 0, False)} {direction}.")
    exceptional = exceptional_note(city, p["year"])
    if exceptional:
        out.append(exceptional)
    if last["year"] != p["year"]:
        if h["halved"]:
            hv = h["halved"]
            out.append(f"It first fell to half its peak or less in {hv['year']}, "
                       f"{plural(hv['years'], 'year')} after the peak.")
        if ch.get("significant") is False:
            out.append("With so few homicides a year, that change is too small to tell apart from year-to-year "
                       "chance.")
        elif ch.get("significant"):
            out.append(f"The change is far larger than chance alone would produce (95% interval "
                       f"{pct(ch['low'], 0)} to {pct(ch['high'], 0)}).")
    r = city.primary[city.primary["year"] == last["year"]]
    k = int(r["homicides"].iloc[0]) if len(r) and not is_missing(r["homicides"].iloc[0]) else None
    band = chance_band_pct(k)
    clear = last["year"] != p["year"] and ch.get("significant")
    if band is not None and not clear:   # a clear change already says how sure we are
        out.append(f"With {count(k)} homicides in {last['year']}, chance alone could move a year's figure by about "
                   f"{pct(band, 0, False)} either way.")
    what = md(city.series_label(city.primary_series))
    note = f" It is not counted exactly as in other cities: {md(city.comparable_note)}." if city.comparable_note else ""
    out.append(f"The figures are {what}, for the territory {where}.{note}")
    return " ".join(out)


def at_a_glance(city) -> str:
    from . import metrics
    h = metrics.headline(city)
    name = md(city.name)
    if h["peak"] is None:
        return f"There are no annual homicide figures for {name} in these data."
    m = h["measure"]
    p, last, cov = h["peak"], h["latest"], h["coverage"]
    items = [f"**Main series:** {md(city.series_label(city.primary_series))}, "
             f"{md(city.entry['territory'].rstrip().rstrip('.'))}."]
    if m != "homicide_rate":
        items.append("No population is available for the main series, so the figures below are counts, not rates.")
    rows = city.primary

    def ci(year):
        r = metrics.stored_rate_interval(rows, year) if m == "homicide_rate" else None
        return f" ({interval(*r)})" if r else ""
    peak_note = exceptional_note(city, p["year"])
    items.append(f"**Peak:** {_value(p['value'], m)}{ci(p['year'])} in {p['year']}." + (f" {peak_note}" if peak_note else ""))
    prelim = " (preliminary)" if last.get("status") == "preliminary" else ""
    items.append(f"**Latest year:** {_value(last['value'], m)}{ci(last['year'])} in {last['year']}{prelim}.")
    if last["year"] != p["year"]:
        items.append(f"**Change from the peak:** {change_with_interval(h['change'])} between {p['year']} and "
                     f"{last['year']}.")
    else:
        items.append("**Change from the peak:** the latest year is the peak year.")
    if h["halved"]:
        hv = h["halved"]
        items.append(f"**Halving:** the {'rate' if m == 'homicide_rate' else 'count'} first fell to half its peak "
                     f"or less in {hv['year']}, {plural(hv['years'], 'year')} after the peak.")
    else:
        items.append(f"**Halving:** the {'rate' if m == 'homicide_rate' else 'count'} has not fallen to half its "
                     f"peak in the years covered.")
    if h["ratio"]:
        r = h["ratio"]
        # fmt.ratio gives a ratio that rounds to 1.0× a second decimal; the words say how close it is too
        close = round(float(r["ratio"]), 1) == 1.0
        rel = ("slightly " if close else "") + ("above" if r["ratio"] > 1 else "below")
        which = ("" if city.comparable_series == city.primary_series
                 else f" in the comparable series ({md(city.series_label(city.comparable_series))})")
        odd = (f" Not like-for-like: {md(city.comparable_note)}." if city.comparable_note else "")
        items.append(f"**Relative to {md(city.country_name)}:** in {r['year']} the rate{which} was "
                     f"{ratio(r['ratio'])} the national rate ({sig(r['city'])} against {sig(r['national'])} per "
                     f"100,000), i.e. {rel} it.{odd}")
    else:
        items.append(f"**Relative to {md(city.country_name)}:** no year has both a city rate and a national rate.")
    gaps = f"missing {years_list(cov['missing'])}" if cov["missing"] else "no gaps"
    items.append(f"**Coverage:** {year_span(cov['first'], cov['last'])}, {plural(cov['years'], 'year')} with "
                 f"data, {gaps}" + (f"; {years_list(cov['preliminary'])} preliminary" if cov["preliminary"] else "")
                 + f"; {plural(len(city.series_ids), 'series', 'series')} in all.")
    return "\n".join(f"- {i}" for i in items)


# --------------------------------------------------------------------------- chapter: sources and comparability
def _series_years(city, s) -> str:
    from . import metrics
    cov = metrics.coverage(city.series_rows(s), "homicides")
    if cov is None:
        return "no years"
    out = year_span(cov["first"], cov["last"])
    if cov["missing"]:
        out += f" (missing {years_list(cov['missing'])})"
    return out


def sources_section(city) -> str:
    from . import metrics
    name = md(city.name)
    out = [f"The chapter's main series is **{md(city.series_label(city.primary_series))}**. "
           f"{md(city.entry['primary_series_reason'])}", "",
           f"**Territory.** {md(city.entry['territory'])}", "",
           f"**Population.** {md(city.entry['population_note'])}", "",
           f"**What is counted.** {md(city.entry['comparability'])}", ""]
    # One entry per series (a list reads better than a six-column table in the page's narrow column).
    items = []
    for s in city.series_ids:
        r = city.series_rows(s)
        srcs = list(dict.fromkeys(r["source_id"].dropna()))
        rate = ("with a rate per 100,000" if r["homicide_rate"].notna().any()
                else "counts only (no population of the same territory)")
        main = " (main series)" if s == city.primary_series else ""
        items.append(f"- **{md(city.series_label(s))}**{main}: {md(city.series_definition(s))} "
                     f"*Territory:* {md(metrics.series_unit(r) or 'not stated')}; *years:* "
                     f"{md(_series_years(city, s))}; {rate}. *Source:* "
                     + "; ".join(source_md(city, x) for x in srcs) + ".")
    if items:
        out += ["**The series.**", ""] + items + [""]
    diffs = metrics.series_differences(city)
    notes = []
    for _, d in diffs.iterrows():
        lab = md(city.series_label(d["series"]))
        if not d["same_unit"]:
            notes.append(f"{lab} counts a different territory ({md(d['unit'])}); it is context, not a "
                         f"substitute for the main series.")
        elif not d["years"]:
            notes.append(f"{lab} shares no year with the main series.")
        elif int(d["years"]) == 1:
            more = "higher" if d["mean_diff_pct"] > 0 else "lower"
            notes.append(f"{lab} is {pct(abs(d['mean_diff_pct']), 0, False)} {more} than the main series in "
                         f"{int(d['first'])}, the only year both have.")
        elif abs(d["max_abs_diff_pct"]) <= 5:
            notes.append(f"{lab} agrees with the main series to within {pct(abs(d['max_abs_diff_pct']), 0, False)} "
                         f"in every year both have ({year_span(d['first'], d['last'])}).")
        else:
            more = "higher" if d["mean_diff_pct"] > 0 else "lower"
            notes.append(f"{lab} runs {pct(abs(d['mean_diff_pct']), 0, False)} {more} than the main series on "
                         f"average over the years both have ({year_span(d['first'], d['last'])}); the two differ "
                         f"most in {int(d['max_year'])}, by {pct(abs(d['max_abs_diff_pct']), 0, False)}.")
    if notes:
        out += ["**Where the series differ.**", ""] + [f"- {n}" for n in notes]
    else:
        out.append(f"{name} has a single homicide series in these data, so there is no second count to check it against.")
    out += ["", breaks_md(city), "", differences_md(city)]
    return "\n".join(x for x in out if x is not None).rstrip() + "\n"


BREAK_KIND_LABELS = {"definition": "what is counted changes", "territory": "the territory changes",
                     "population": "the population base changes", "exceptional_event": "an exceptional event"}


def breaks_md(city) -> str | None:
    """The breaks in the city's series, one line each (they are drawn on the charts as red dash-dot rules)."""
    b = city.breaks
    if b.empty:
        return None
    items = []
    for _, r in b.iterrows():
        what = ("every series" if r["series"] == "all" else
                (city.series_label(r["series"]) if r["series"] in city.entry["series"]
                 else city.definition(r["series"]).get("label", r["series"])))
        items.append(f"- **{date_label(r['date'])}**, {md(what)}: {BREAK_KIND_LABELS.get(r['kind'], md(r['kind']))}. "
                     f"{md(r['description'])} Source: {cited(city, r)}.")
    return ("**Breaks in the series.** Where what is counted, the territory or the population base changes, the "
            "charts mark the date with a red dash-dot rule, and no before/after estimate is fitted across it.\n\n"
            + "\n".join(items))


def differences_md(city) -> str | None:
    """Why the book's figures differ from figures published elsewhere for the same place and years."""
    d = city.differences
    if d.empty:
        return None
    items = [f"- **{md(r['years'].replace('-', chr(0x2013)))}**, {md(city.series_label(r['series']))} against "
             f"{md(r['compared_with'])}: {md(r['explanation'])} Published figure: {cited(city, r)}."
             for _, r in d.iterrows()]
    return ("**Where the book's figures differ from published ones.** Figures quoted elsewhere for the same years "
            "do not always match the book's; each difference we found, and why:\n\n" + "\n".join(items))


# --------------------------------------------------------------------------- chapter: violence over time
def trend_notes(city) -> str:
    out = []
    no_rate = [s for s in city.series_ids if city.series_rows(s)["homicide_rate"].isna().all()]
    if no_rate:
        out.append(f"{join_and([md(city.series_label(s)) for s in no_rate])} "
                   f"{'has' if len(no_rate) == 1 else 'have'} no population denominator here, so "
                   f"{'it appears' if len(no_rate) == 1 else 'they appear'} only as counts, in the chart of the "
                   f"series side by side above.")
    nat = city.national_rate
    if nat.empty:
        out.append(f"There is no national homicide rate for {md(city.country_name)} in these data.")
    else:
        src = source_md(city, nat["source_id"].iloc[0])
        out.append(f"The grey line is {md(city.country_name)}'s national rate ({year_span(nat['year'].min(), nat['year'].max())}, "
                   f"{src}), which counts the whole country and may define homicide differently from the city series.")
    return " ".join(out)


def periods_md(city) -> str:
    """'What was happening': the city's context periods in order, each with its dates and source."""
    p = city.periods
    name = md(city.name)
    if p.empty:
        return (f"No context periods (conflicts, truces, policy eras) are recorded for {name} yet; "
                f"see the contributor guide to add them.")
    items = []
    for _, r in p.iterrows():
        end = date_label(r["end"]) if not is_missing(r.get("end")) else "still going on at the end of the sources"
        items.append(f"- **{md(r['label'])}** ({date_label(r['start'])} to {end}; {md(r['kind'])}). "
                     f"{md(r['description'])} Source: {cited(city, r)}.")
    return ("The shaded bands on the chart above mark these periods. They give context: they do not, by "
            "themselves, explain a rise or a fall.\n\n" + "\n".join(items))


# --------------------------------------------------------------------------- chapter: monthly dynamics
def monthly_summary(city) -> str:
    from . import metrics
    name = md(city.name)
    m = city.monthly_rows()
    if m.empty:
        return f"There are no monthly homicide counts for {name} in these data."
    sid = m["series"].iloc[0]
    what = md(series_measure(city, sid))
    r = metrics.rolling_mean(m)
    out = [f"Monthly counts of {what} run from {month_label(m['month'].iloc[0])} to "
           f"{month_label(m['month'].iloc[-1])} ({md(city.series_label(sid))}: {md(city.series_definition(sid))})"]
    gaps = int(r["homicides"].isna().sum())
    out[0] += f", with {plural(gaps, 'month')} missing." if gaps else "."
    others = [s for s in city.monthly_series_ids if s != sid]
    if others:
        out.append(f"Other monthly series in the data (not charted): {join_and([md(city.series_label(s)) for s in others])}.")
    if r["rolling_mean"].notna().any():
        i = r["rolling_mean"].idxmax()
        j = r["rolling_mean"].idxmin()
        out.append(f"The 12-month mean was highest in the year to {r.loc[i, 'month'].strftime('%B %Y')} "
                   f"({num(r.loc[i, 'rolling_mean'])} a month) and lowest in the year to "
                   f"{r.loc[j, 'month'].strftime('%B %Y')} ({num(r.loc[j, 'rolling_mean'])} a month).")
    text_ = " ".join(out)
    ch = metrics.sharpest_changes(m)
    if not ch.empty:
        items = []
        for _, c in ch.iterrows():
            items.append(f"{'Rise' if c['kind'] == 'rise' else 'Fall'}: {count(c['total'])} {what} in the 12 "
                         f"months to {c['month'].strftime('%B %Y')}, against {count(c['previous'])} in the 12 months "
                         f"before: {change_with_interval(dict(c))}.")
        text_ += "\n\nSharpest changes between consecutive 12-month periods:\n\n" + "\n".join(f"- {i}" for i in items)
    s = metrics.seasonality(m)
    mean = metrics.monthly_mean(m)
    if s is None and mean is not None and mean < settings.SEASONALITY_MIN_MEAN:
        text_ += (f"\n\nNo seasonal pattern is estimated: at {num(mean)} {what} a month on average (fewer than "
                  f"{num(settings.SEASONALITY_MIN_MEAN, 0)}), one event more or less changes a month's figure by tens "
                  f"of per cent, too much to tell a season from chance.")
    elif s is None:
        text_ += "\n\nThere are too few complete years of monthly data to look for a seasonal pattern."
    else:
        t = s["table"]
        hi, lo = t.loc[t["ratio"].idxmax()], t.loc[t["ratio"].idxmin()]
        clear = s["p_value"] < 0.05
        text_ += (f"\n\n**Seasonality.** Over {plural(s['years'], 'year')}, "
                  + ("the calendar months differ more than chance alone would easily produce"
                     if clear else "the calendar months do not differ clearly")
                  + " (Kruskal-Wallis test, "
                  + ("p < 0.001" if s["p_value"] < 0.001 else f"p = {num(s['p_value'], 3)}")
                  + f"). On average {hi['month']} is "
                  f"{pct((hi['ratio'] - 1) * 100)} against the surrounding 12-month average and {lo['month']} "
                  f"{pct((lo['ratio'] - 1) * 100)}.")
    return text_


# --------------------------------------------------------------------------- chapter: interventions and turning points
def events_md(city) -> str:
    ev = city.events
    if ev.empty:
        return f"There are no dated events for {md(city.name)} in these data."
    items = [f"**{date_label(e['date'])}** ({md(e['category'])}): {md(e['title'])}. Source: {cited(city, e)}."
             for _, e in ev.iterrows()]
    return "\n".join(f"- {i}" for i in items)


def _ci(v, lo, hi, d=1) -> str:
    return f"{num(v, d)} ({num(lo, d)} to {num(hi, d)})"


def effects_md(city, effects) -> str:
    name = md(city.name)
    ev = city.events
    if ev.empty:
        return f"There are no dated events for {name}, so there is nothing to estimate before and after."
    n_int = int(ev["category"].isin(settings.INTERVENTION_CATEGORIES).sum())
    refused = effects.attrs.get("refused") if effects is not None else None
    refusals = ""
    if refused is not None and len(refused):
        items = [f"- **{date_label(r['date'])}**: {md(r['title'])}. The data around this date would straddle a "
                 f"change in the series ({date_label(r['break_date'])}, {md(r['break_kind'].replace('_', ' '))}): "
                 f"{md(str(r['break_description']).rstrip('. '))}. The before and after would not measure the same "
                 f"thing." for _, r in refused.iterrows()]
        refusals = "\n\nNo estimate is made for:\n\n" + "\n".join(items)
    if effects is None or effects.empty:
        if refusals:
            return f"No intervention for {name} has an estimate." + refusals
        if n_int == 0:
            return (f"None of the {plural(len(ev), 'dated event')} for {name} is an intervention (policing, military, "
                    f"urban, institutional, legal or prevention), so no before/after estimate is made.")
        return (f"None of the {plural(n_int, 'intervention')} for {name} has enough data on both sides of its date "
                f"(at least a year of monthly counts or four years of annual figures) for a before/after estimate.")
    rows = []
    for _, e in effects.iterrows():
        what = series_measure(city, e["series"]) if not is_missing(e.get("series")) else "homicides"
        unit = f"{what} a month" if e["data"] == "monthly" else (
            "per 100,000" if e["measure"] == "homicide_rate" else f"{what} a year")
        data = f"{'monthly' if e['data'] == 'monthly' else 'annual'} ({unit}), {e['n_before']} before / {e['n_after']} after"
        rows.append([Raw(f"**{date_label(e['date'])}**: {md(e['title'])}"), data,
                     num(e["pre_level"]),
                     _ci(e["level"], e["level_low"], e["level_high"]),
                     _ci(e["slope"], e["slope_low"], e["slope_high"]),
                     str(int(e["other_events"]))])
    head = (f"{plural(len(effects), 'intervention')} of {n_int} "
            f"{'has' if len(effects) == 1 else 'have'} enough data around {'its' if len(effects) == 1 else 'their'} "
            f"date for an estimate.")
    table = md_table(["Event", "Data used", "Level just before (fitted)", "Change in level at the date (95% CI)",
                      "Change in trend, per year (95% CI)", "Other events in the window"], rows,
                     ["l", "l", "r", "r", "r", "r"])
    return head + "\n\n" + table + refusals


# --------------------------------------------------------------------------- chapter: governance and organised crime
def monthly_indicators_md(city) -> str:
    """One line per indicator that comes by month: its busiest month and its monthly mean ('' when none)."""
    rows = city.indicators_monthly
    if rows.empty:
        return ""
    items = []
    for ind in dict.fromkeys(rows["indicator"]):
        r = rows[rows["indicator"] == ind].sort_values("month")
        v = r["value"].astype(float)
        top = r.loc[v.idxmax()]
        items.append(f"**{md(city.definition(ind)['label'])}**: {sig(v.mean())} a month on average, most in "
                     f"{month_label(top['month'])} ({count(top['value'])}).")
    first, last = rows["month"].min(), rows["month"].max()
    return (f"Some of these indicators also come by month ({month_label(first)} to {month_label(last)}, complete "
            f"months only), which shows when incidents bunched together:\n\n" + "\n".join(f"- {i}" for i in items))


def governance_md(city) -> str:
    name = md(city.name)
    out = []
    if city.indicators.empty:
        out.append(f"There are no city-level indicators beyond homicides for {name} in these data.")
    else:
        items, meanings = [], []
        for ind in dict.fromkeys(city.indicators["indicator"]):
            r = city.indicators[city.indicators["indicator"] == ind].dropna(subset=["value"]).sort_values("year")
            d = city.definition(ind)
            last = r.iloc[-1]
            span = year_span(r["year"].min(), r["year"].max())
            items.append(f"**{md(d['label'])}** ({md(last['unit'])}; {span}): {sig(last['value'])} in "
                         f"{int(last['year'])}. Source: "
                         f"{'; '.join(source_md(city, s) for s in dict.fromkeys(r['source_id'].dropna()))}.")
            meanings.append(f"**{md(d['label'])}**: {md(d['definition'])}")
        # the latest values first, in a list a reader can scan; what each one counts folded below it
        out.append(f"Indicators for {name} beyond the homicide count (latest values):\n\n"
                   + "\n".join(f"- {i}" for i in items)
                   + "\n\n<details><summary>What each indicator counts</summary>\n\n"
                   + "\n".join(f"- {m}" for m in meanings) + "\n\n</details>")
    heads = [i for i in settings.GOVERNANCE_HEADLINE if i in set(city.country["indicator"])]
    if not heads:
        out.append(f"There are no national governance or organised-crime scores for {md(city.country_name)} in these data.")
    else:
        items = []
        for ind in heads:
            r = city.country_indicator(ind).dropna(subset=["value"])
            d = city.definition(ind)
            first, last = r.iloc[0], r.iloc[-1]
            change = "" if len(r) < 2 else f" ({smart(first['value'])} in {int(first['year'])})"
            items.append(f"**{md(d['label'])}** ({md(d['unit'])}): {smart(last['value'])} in {int(last['year'])}"
                         f"{change}. Source: {source_md(city, last['source_id'])}.")
        out.append(f"National scores for {md(city.country_name)} (they describe the country, not the city):\n\n"
                   + "\n".join(f"- {i}" for i in items))
    return "\n\n".join(out)


def other_country_indicators(city) -> pd.DataFrame:
    """Latest value of every country indicator that is neither the national rate nor a headline score."""
    rows = []
    for ind in dict.fromkeys(city.country["indicator"]):
        if ind in settings.GOVERNANCE_HEADLINE or ind == settings.NATIONAL_RATE:
            continue
        r = city.country_indicator(ind).dropna(subset=["value"])
        if r.empty:
            continue
        d = city.definition(ind)
        s = city.source(r["source_id"].iloc[-1])
        rows.append({"Indicator": d["label"], "Unit": d["unit"], "Years": year_span(r["year"].min(), r["year"].max()),
                     "Latest year": int(r["year"].iloc[-1]), "Latest value": float(r["value"].iloc[-1]),
                     "Source": f"{s.producer}: {s.title}" if s else r["source_id"].iloc[-1]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- chapter: where violence concentrates
def concentration_md(city, fraction: float = 0.2) -> str:
    from . import metrics
    name = md(city.name)
    sub = city.subcity
    if sub.empty:
        return (f"There are no homicide counts by area within {name} in these data, so where violence concentrates "
                f"inside the city cannot be shown here.")
    k = metrics.concentration_k(sub, fraction)
    n = int(sub["area_id"].nunique())
    types = sub.groupby("area_type")["area_id"].nunique()
    kinds = (f"each a {md(types.index[0])}" if len(types) == 1 else
             join_and([f"{int(v)} of type {md(t)}" for t, v in types.items()]))
    top = metrics.top_k_share(sub, k)
    fixed = metrics.fixed_set_share(sub, k)
    hi, lo = top.loc[top["share"].idxmax()], top.loc[top["share"].idxmin()]
    tops = metrics.top_areas(sub, 3)
    src = "; ".join(source_md(city, s) for s in dict.fromkeys(sub["source_id"].dropna()))
    out = [f"Counts by area cover {year_span(sub['year'].min(), sub['year'].max())} for {n} areas ({kinds}); "
           f"source: {src}. The most violent fifth of areas ({k} of {n}) held between {num(lo['share'], 0)}% "
           f"({int(lo['year'])}) and {num(hi['share'], 0)}% ({int(hi['year'])}) of the city's homicides, against "
           f"{num(100 * k / n, 0)}% if homicides were spread evenly over areas. Over the whole period the areas with "
           f"most homicides were "
           + join_and([f"{md(r['area_name'])} ({num(r['share'], 0)}% of the total)" for _, r in tops.iterrows()]) + "."]
    out.append(f"The {k} areas that were most violent in {int(fixed['year'].iloc[0])} held "
               f"{num(fixed['share'].iloc[0], 0)}% of homicides then and {num(fixed['share'].iloc[-1], 0)}% in "
               f"{int(fixed['year'].iloc[-1])}.")
    # Around each intervention inside the years covered: mean top-fifth share in the three years before and after.
    items = []
    for _, e in city.events.iterrows():
        if e["category"] not in settings.INTERVENTION_CATEGORIES:
            continue
        y = int(str(e["date"])[:4])
        before = top[(top["year"] < y) & (top["year"] >= y - 3)]["share"]
        after = top[(top["year"] > y) & (top["year"] <= y + 3)]["share"]
        if len(before) >= 2 and len(after) >= 2:
            items.append(f"{date_label(e['date'])}, {md(e['title'])}: {num(before.mean(), 0)}% on average in the "
                         f"{plural(len(before), 'year')} before, {num(after.mean(), 0)}% in the "
                         f"{plural(len(after), 'year')} after.")
    if items:
        out.append("Share of homicides in the most violent fifth of areas around each intervention (a description, "
                   "not an estimate of effect):\n\n" + "\n".join(f"- {i}" for i in items))
    return "\n\n".join(out)


# --------------------------------------------------------------------------- chapter: what the data can and cannot tell
def caveats_md(city) -> str:
    from . import metrics
    items = [f"**What is counted.** {md(city.entry['comparability'])}",
             f"**Population.** {md(city.entry['population_note'])}"]
    items += [md(c) for c in city.entry.get("caveats", [])]
    cov = metrics.coverage(city.primary, "homicides")
    if cov and cov["missing"]:
        items.append(f"The main series has no figure for {years_list(cov['missing'])}.")
    if cov and cov["preliminary"]:
        items.append(f"Figures for {years_list(cov['preliminary'])} are preliminary and may be revised.")
    if cov and cov["years"] < 10:
        items.append(f"The main series has only {plural(cov['years'], 'year')}, too few to speak of a long-run trend.")
    used = set(city.annual["source_id"].dropna()) | set(city.monthly["source_id"].dropna()) | \
        set(city.subcity["source_id"].dropna())
    for sid in sorted(used):
        s = city.source(sid)
        if s is None:
            continue
        for c in s.extra.get("caveats", []) or []:
            items.append(f"{md(c)} ({md(s.short)} {cite_source(s)})")
    return "\n".join(f"- {i}" for i in items)


# --------------------------------------------------------------------------- chapter: data and citation
def book_title() -> str:
    import yaml
    from .paths import ROOT
    try:
        return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("title") or "citycases"
    except (OSError, yaml.YAMLError):
        return "citycases"


def data_links_html(city, base: str = "../../_static/data") -> str:
    """Links to the city's CSV files (written by load.export_city_tables) with their row counts; `base` is
    relative to the chapter's page, book/cities/<slug>.html (Sphinx copies book/_static to the site's _static)."""
    items = []
    for table, df in city.tables().items():
        if df.empty:
            continue
        href = f"{base}/{city.slug}/{table}.csv"
        items.append(f'<li><a href="{html(href)}" download>{html(table)}.csv</a> ({len(df):,} rows)</li>')
    out = ("<ul class=\"citycases-downloads\">\n" + "\n".join(items) + "\n</ul>") if items else \
        f"<p>There are no data rows for {html(city.name)}.</p>"
    nb = f"../../_sources/book/cities/{city.slug}.ipynb"
    return out + (f'\n<p>The code that computes every figure and chart of this chapter is in its executed notebook: '
                  f'<a href="{html(nb)}" download>{html(city.slug)}.ipynb</a>.</p>')


def citation_md(city) -> str:
    dates = [city.source(s).date_accessed for s in set(city.annual["source_id"].dropna()) if city.source(s)]
    accessed = max(dates) if dates else None
    cite = (f"The citycases contributors. \u201c{md(city.name)}.\u201d In *{md(book_title())}*. "
            + (f"Sources accessed up to {md(accessed)}." if accessed else ""))
    return f"{cite}"


# --------------------------------------------------------------------------- front page
def _page_link(label: str, href: str) -> str:
    return f'<a href="{html(href)}">{html(label)}</a>'


def key_findings(cities, base: str = "") -> list[str]:
    """Four to six findings for the front page, each computed from the data and each ending with a link to the
    section that shows the evidence (`base`: path from the page to book/, "" for book/intro)."""
    from . import claims, metrics
    out = []
    table = metrics.comparison_table(cities).set_index("slug")
    by_slug = {c.slug: c for c in cities}
    rated = table[table["measure"] == metrics.RATE].dropna(subset=["peak"])
    # 1. the steepest sustained fall from the peak, with its interval
    falls = []
    for slug, r in rated.iterrows():
        c = by_slug[slug]
        ch = metrics.change_between(c.comparable, int(r["peak_year"]), int(r["latest_year"]))
        if ch and ch["pct"] < 0 and ch.get("significant"):
            falls.append((ch["pct"], slug, ch))
    if falls:
        falls.sort()
        _, slug, ch = falls[0]
        c = by_slug[slug]
        others = [by_slug[s].name for _, s, _ in falls[1:]]
        out.append(f"**The steepest fall:** in {md(c.name)} the homicide rate fell from {sig(ch['start_value'])} per "
                   f"100,000 in {ch['start']} to {sig(ch['end_value'])} in {ch['end']}, "
                   f"{pct(abs(ch['pct']), 0, False)} lower"
                   + (f"; {md(join_and(others))} also fell by far more than chance could explain" if others else "")
                   + ". " + _page_link(f"See the {c.name} chapter", f"{base}cities/{slug}.html#at-a-glance"))
    # 2. the highest rates, and whether they are comparable
    if len(rated) >= 2:
        top = rated.sort_values("peak", ascending=False).head(2)
        parts = []
        for slug, r in top.iterrows():
            c = by_slug[slug]
            parts.append(f"{md(c.name)} ({sig(r['peak'])} per 100,000 in {int(r['peak_year'])}"
                         + ("" if c.like_for_like else "; not like-for-like: " + md(c.comparable_note)) + ")")
        out.append(f"**The highest rates** in the book are those of {' and '.join(parts)}. "
                   + _page_link("Compare all cities", f"{base}comparison.html#all-cities-on-one-chart"))
    # 3. where counts are too small to speak of a change
    unclear = []
    for slug, r in table.dropna(subset=["peak"]).iterrows():
        c = by_slug[slug]
        if r["peak_year"] == r["latest_year"]:
            continue
        ch = metrics.change_between(c.comparable, int(r["peak_year"]), int(r["latest_year"]), r["measure"])
        if ch and ch.get("significant") is False:
            unclear.append(c)
    if unclear:
        names = join_and([md(c.name) for c in unclear])
        out.append(f"**Too few to tell:** in {names} homicides are so few that the change since the peak year "
                   f"cannot be told apart from year-to-year chance; the charts draw each year's 95% interval. "
                   + _page_link(f"See {unclear[0].name}", f"{base}cities/{unclear[0].slug}.html#at-a-glance"))
    # 4. relative to the country
    ratios = table.dropna(subset=["ratio_to_national"])
    if len(ratios):
        above = [by_slug[s].name for s, r in ratios.iterrows() if r["ratio_to_national"] > 1]
        out.append(f"**City and country:** in the latest year with both figures, {len(above)} of {len(ratios)} "
                   f"cities had a higher homicide rate than their country"
                   + (f" ({md(join_and(above))})" if above else "") + ". "
                   + _page_link("See the figures side by side", f"{base}comparison.html#the-figures-side-by-side"))
    # 5. comparability
    lfl = [c for c in cities if c.like_for_like]
    out.append(f"**Like with like:** {len(lfl)} of {len(cities)} cities {'has' if len(lfl) == 1 else 'have'} a "
               f"series that counts intentional homicide the way international statistics do; for the others, each "
               f"chapter says what differs. "
               + _page_link("How the series compare", f"{base}methods.html"))
    # 6. claims
    results = claims.check_all(cities)
    if results:
        counts = {}
        for r in results:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        verbs = {claims.HOLDS: ("holds", "hold"), claims.CAVEATS: ("holds with caveats", "hold with caveats"),
                 claims.FAILS: ("does not hold", "do not hold"),
                 claims.UNCHECKABLE: ("is not checkable with these data", "are not checkable with these data")}
        parts = [f"{n} {verbs.get(v, (v, v))[0 if n == 1 else 1]}" for v, n in
                 sorted(counts.items(), key=lambda kv: list(verbs).index(kv[0]) if kv[0] in verbs else 9)]
        out.append(f"**Claims checked:** of {plural(len(results), 'claim')} about these cities tested against the "
                   f"data, {join_and(parts)}. " + _page_link("See the claims", f"{base}comparison.html#claims-checked"))
    return out


def key_findings_md(cities, base: str = "") -> str:
    return "\n".join(f"{i}. {f}" for i, f in enumerate(key_findings(cities, base), start=1))


# --------------------------------------------------------------------------- comparison
def comparison_table_html(cities) -> str:
    """The headline figures, one compact row per city (a value with its year in one cell) so the table fits the
    page; why a series is not like-for-like is said under it. The CSV download keeps every column apart."""
    from . import metrics
    t = metrics.comparison_table(cities)
    if t.empty:
        return "<p>No city has annual homicide figures in these data.</p>"
    names = {c.slug: c for c in cities}

    def value(v, year, measure):
        if is_missing(v):
            return ""
        # a no-break space keeps a value and its year on one line
        return f"{sig(v)}{'' if measure == 'homicide_rate' else ' homicides'}\u00a0({int(year)})"

    out = pd.DataFrame({
        "City": t["city"],
        "Like-for-like": ["yes" if v else "no" for v in t["like_for_like"]],
        "Peak, per 100,000": [value(v, y, m) for v, y, m in zip(t["peak"], t["peak_year"], t["measure"])],
        "Latest": [value(v, y, m) for v, y, m in zip(t["latest"], t["latest_year"], t["measure"])],
        "Change from peak": [pct(v) if not is_missing(v) else "" for v in t["change_from_peak"]],
        "Years to halve": ["not halved" if is_missing(v) else str(int(v)) for v in t["years_to_halve"]],
        "Against the national rate": [f"{ratio(v)}\u00a0({int(y)})" if not is_missing(v) else ""
                                      for v, y in zip(t["ratio_to_national"], t["ratio_year"])],
        "Years covered": [year_span(a, b) + (f" ({plural(int(n), 'year')} missing)" if not is_missing(n) and n else "")
                          for a, b, n in zip(t["first_year"], t["last_year"], t["missing_years"])],
    })
    notes = [f"<li><strong>{html(names[s].name)}</strong>: {html(names[s].comparable_note)}</li>"
             for s, v in zip(t["slug"], t["like_for_like"]) if not v and names[s].comparable_note]
    table = table_html(out, index=False, float_format=lambda v: f"{v:,.1f}", label="Headline figures by city")
    return table + (f"\n<p>Not like-for-like:</p>\n<ul>{''.join(notes)}</ul>" if notes else "")


HIGH_VIOLENCE = settings.HIGH_VIOLENCE   # alias (the value is set in citycases/settings.py)


def contrast_md(cities) -> str:
    """Violence against the organised-crime scores: computed sentences, no claim of cause."""
    from . import metrics
    rows = []
    for c in cities:
        p = metrics.peak(c.comparable, metrics.RATE)
        last = metrics.latest(c.comparable, metrics.RATE)
        if p is None:
            continue
        crim = metrics.latest_country_value(c, "gitoc_criminality")
        mafia = metrics.latest_country_value(c, "gitoc_mafia_style_groups")
        rows.append({"c": c, "peak": p, "last": last, "crim": crim, "mafia": mafia})
    if not rows:
        return "No city has homicide rates in these data."
    out = []
    high = [r for r in rows if r["peak"]["value"] >= settings.HIGH_VIOLENCE]
    low = [r for r in rows if r["peak"]["value"] < settings.HIGH_VIOLENCE]
    if high:
        out.append(f"Peak rates of at least {num(settings.HIGH_VIOLENCE, 0)} per 100,000: " + join_and(
            [f"{md(r['c'].name)} ({num(r['peak']['value'])} in {r['peak']['year']}; {num(r['last']['value'])} in "
             f"{r['last']['year']})" for r in high]) + ".")
    if low:
        out.append(f"Peak rates below {num(settings.HIGH_VIOLENCE, 0)} per 100,000: " + join_and(
            [f"{md(r['c'].name)} ({num(r['peak']['value'], 2)} in {r['peak']['year']}; {num(r['last']['value'], 2)} in "
             f"{r['last']['year']})" for r in low]) + ".")
    scored = [r for r in rows if r["mafia"] is not None]
    if scored:
        # one entry per country: two cities of one country share its national score
        by_country = {r["c"].country_code: r for r in scored}
        ranks = sorted(by_country.values(), key=lambda r: -r["mafia"]["value"])
        median = float(np.median([r["mafia"]["value"] for r in ranks]))
        embedded = [r for r in scored if r["mafia"]["value"] >= median]
        calm = min(embedded, key=lambda r: r["last"]["value"])
        out.append(
            "GI-TOC's experts score the presence of mafia-style groups (1 to 10, latest edition) at "
            + join_and([f"{num(r['mafia']['value'], 1)} for {md(r['c'].country_name)}" for r in ranks]) + ". "
            f"Of the cities in countries scoring at or above the median, {md(calm['c'].name)} has the lowest "
            f"latest homicide rate, {num(calm['last']['value'], 2)} per 100,000 in {calm['last']['year']}: organised "
            f"crime judged to be embedded need not show up as killing. Scores are national, and a low homicide rate "
            f"says nothing about extortion, corruption or infiltration of the legal economy.")
    seen_countries = set()
    for r in rows:
        c = r["c"]
        if c.country_code in seen_countries:
            continue
        seen_countries.add(c.country_code)
        nat = c.national_rate
        if len(nat) < 5:
            continue
        v = nat.set_index("year")["value"].astype(float)
        trough_year = int(v.idxmin())
        after = v[v.index > trough_year]
        if after.empty:
            continue
        peak_after = int(after.idxmax())
        rise = metrics.pct_change(v.loc[trough_year], v.loc[peak_after])
        if rise >= 50 and v.loc[peak_after] < 5:
            # never quote a rise from the lowest year alone: the trough is the base that makes it look largest
            first = int(v.index.min())
            # levels, not a % change: the national series carries no counts to give a change its interval
            out.append(f"{md(c.country_name)}'s national rate reached {sig(v.loc[peak_after])} per 100,000 in "
                       f"{peak_after}, against {sig(v.loc[first])} in {first}, the first year of the series, and "
                       f"{sig(v.loc[trough_year])} in {trough_year}, its lowest year. Either way it stays far below "
                       f"the rates of the high-violence cities.")
    return "\n\n".join(out)


def governance_table_html(cities) -> str:
    from . import metrics
    rows = []
    for c in cities:
        last = metrics.latest(c.comparable, metrics.RATE)
        row = {"City": c.name, "Country": c.country_name,
               "Latest rate per 100,000": sig(last["value"]) if last else None,
               "Rate year": last["year"] if last else None}
        for ind in settings.GOVERNANCE_HEADLINE:
            v = metrics.latest_country_value(c, ind)
            # value and year stay on one line (a no-break space), rounded for people
            row[c.definition(ind)["label"]] = f"{sig(v['value'], 2)}\u00a0({v['year']})" if v else ""
        rows.append(row)
    return table_html(pd.DataFrame(rows), index=False, label="City homicide rates and national scores")


def series_overview_md(cities) -> str:
    """What each city's comparable series counts and leaves out, and for which territory."""
    from . import metrics
    rows = []
    for c in cities:
        cov = metrics.coverage(c.comparable, "homicides")
        comp = c.entry["comparable"]
        counts = f"Includes {comp['includes']}. Leaves out {comp['excludes']}."
        rows.append([Raw(f"**{md(c.name)}**"), c.series_label(c.comparable_series), counts,
                     c.entry["territory"], year_span(cov["first"], cov["last"]) if cov else "none"])
    return md_table(["City", "Comparable series", "What it counts", "Territory", "Years"], rows)


def download_link_html(href: str, filename: str, what: str) -> str:
    return f'<p>Download {html(what)}: <a href="{html(href)}" download>{html(filename)}</a>.</p>'
