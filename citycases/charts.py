"""Altair chart builders: one look for the whole book, one colour per city (fixed by registry order).

Every builder returns an Altair chart (or None when the city has no such data) whose top-level
`description` is a text description for screen readers and whose `usermeta["citycases"]` carries the
caption and the source ids; `show(chart)` displays the chart followed by its caption, which names and
links the sources. Charts embed only the aggregated rows they draw, inline.
"""
from __future__ import annotations

import math
import re

import altair as alt
import numpy as np
import pandas as pd

from . import metrics, settings
from . import text as T
# Colours, greys, dash patterns, shapes and thresholds are set in citycases/settings.py (names kept here).
from .settings import (  # noqa: F401  (BREAK_COLOUR ... SMALL_COUNT: charts.X is their old home)
    ALT_DASHES, BREAK_COLOUR, BREAK_DASH, COUNTERFACTUAL_DASH, DARK_GREY, DASHED, DOTTED, EVENT_COLOUR, EVENT_DASH,
    FADED, FADED_CITIES, GRID_GREY, INK, LIGHT_GREY, MID_GREY, MIN_POINTS, NATIONAL_COLOUR, PALETTE, PERIOD_FILLS,
    REFERENCE_GREY, SHAPES, SMALL_COUNT, SOLID,
)

WIDTH, HEIGHT = 620, 300
LEGEND_LIMIT = 600
SMALL_WIDTH, SMALL_HEIGHT = 230, 160  # two panels side by side fit the page column
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _theme() -> dict:
    return {"config": {
        "font": FONT,
        "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": HEIGHT},
        "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "gridColor": GRID_GREY,
                 "labelColor": DARK_GREY, "titleColor": DARK_GREY, "domainColor": MID_GREY, "tickColor": MID_GREY},
        "legend": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "orient": "bottom",
                   "direction": "vertical", "labelLimit": LEGEND_LIMIT},
        "title": {"fontSize": 14, "fontWeight": "bold", "anchor": "start", "color": INK},
        "header": {"labelFontSize": 12, "titleFontSize": 12},
        "line": {"strokeWidth": 2},
        "point": {"size": 30, "filled": True},
        "range": {"category": PALETTE},
    }}


try:  # Altair >= 5.5
    alt.theme.register("citycases", enable=True)(_theme)
except AttributeError:  # pragma: no cover - older Altair
    alt.themes.register("citycases", _theme)
    alt.themes.enable("citycases")


# --------------------------------------------------------------------------- colours and metadata
def city_colour(city) -> str:
    """The city's colour: by registry position (a City, or an int index)."""
    i = city if isinstance(city, (int, np.integer)) else city.index
    return PALETTE[int(i) % len(PALETTE)]


def _city_scale(cities) -> alt.Scale:
    return alt.Scale(domain=[c.name for c in cities], range=[city_colour(c) for c in cities])


# Colour is never the only thing telling cities apart: each city also has its own dash pattern and point shape
# (by registry position, like its colour), in the same legend.
CITY_DASHES = [SOLID] + ALT_DASHES


def _city_dash(cities, field: str = "city") -> alt.StrokeDash:
    return alt.StrokeDash(f"{field}:N", title=None, scale=alt.Scale(
        domain=[c.country_name if field == "country" else c.name for c in cities],
        range=[CITY_DASHES[c.index % len(CITY_DASHES)] for c in cities]))


def _city_shape(cities, field: str = "city") -> alt.Shape:
    return alt.Shape(f"{field}:N", title=None, scale=alt.Scale(
        domain=[c.country_name if field == "country" else c.name for c in cities],
        range=[SHAPES[c.index % len(SHAPES)] for c in cities]))


def _finish(chart, description: str, caption: str, sources, *, title: str | None = None):
    """Attach the screen-reader description and the caption/sources metadata."""
    src = [s for s in dict.fromkeys(str(s) for s in sources if s is not None and not pd.isna(s))]
    props = {"description": description, "usermeta": {"citycases": {"caption": caption, "sources": src}}}
    if title:
        props["title"] = title
    return chart.properties(**props)


def _sources_of(*frames) -> list:
    out = []
    for f in frames:
        if f is None or len(f) == 0:
            continue
        for col in ("source_id", "population_source_id"):
            if col in f:
                out += [s for s in f[col].dropna().astype(str)]
    return list(dict.fromkeys(out))


MAX_CAPTION_PRODUCERS = 4


def source_markdown(source_ids, registry: dict) -> str:
    """One short line: the producers, then the numbered references, 'Policía Nacional; DANE [3][4]' (escaped;
    the full entries are in the page's references)."""
    producers, refs = [], []
    for sid in source_ids:
        s = registry.get(sid)
        if s is None:
            producers.append(T.md(sid))
        else:
            producers.append(T.md(s.short))
            refs.append(T.cite_source(s))
    names = list(dict.fromkeys(producers))
    # one line under the chart: past a few producers, the references list them in full
    lead = "; ".join(names) if len(names) <= MAX_CAPTION_PRODUCERS else f"{len(names)} producers, listed in the references"
    return lead + (" " + "".join(dict.fromkeys(refs)) if refs else "")


def caption_markdown(chart, registry: dict) -> str:
    # read the attribute `_finish` set rather than serialising the whole chart a second time (the largest cost
    # of a chapter is Altair turning charts into specs)
    um = getattr(chart, "usermeta", None)
    if not isinstance(um, dict):
        um = chart.to_dict(validate=False).get("usermeta") or {}
    meta = um.get("citycases", {})
    src = source_markdown(meta.get("sources", []), registry)
    cap = T.md(meta.get("caption", ""))
    return f"*{cap}*" + (f" Source{'s' if len(meta.get('sources', [])) > 1 else ''}: {src}." if src else "")


def show(chart, registry: dict | None = None) -> None:
    """Display a chart followed by its caption (which names and links its sources)."""
    from IPython.display import Markdown, display

    if chart is None:
        return
    if registry is None:
        from .sources import load_registry
        registry = load_registry()
    display(chart)
    display(Markdown(caption_markdown(chart, registry)))


# --------------------------------------------------------------------------- shared pieces
def _t_annual(years) -> np.ndarray:
    """Annual values sit on the year's tick; events sit at their decimal date (March 2008 = 2008.17)."""
    return np.asarray(years, dtype=float)


def _wrap(text: str, width: int = 44) -> list[str] | str:
    """A chart title as lines of at most `width` characters (Vega draws a list as several lines)."""
    words, lines, cur = " ".join(str(text).split()).split(" "), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines[0] if len(lines) == 1 else lines[:3]


def _year_axis(title: str = "Year") -> alt.Axis:
    return alt.Axis(title=title, format="d", tickMinStep=1, labelOverlap=True)


def events_frame(city, *, lo: float | None = None, hi: float | None = None) -> pd.DataFrame:
    """The city's events as rows for rule marks: t (decimal year), date label, title, category, source."""
    ev = city.events
    if ev.empty:
        return pd.DataFrame(columns=["t", "date", "event", "category", "source"])
    rows = []
    for _, e in ev.iterrows():
        start, _end = metrics.event_interval(e["date"])
        s = city.source(e.get("source_id"))
        if s is not None:
            src = f"{s.producer}: {s.title}"
        else:
            src = e.get("citation") if not T.is_missing(e.get("citation")) else e.get("citation_url")
        rows.append({"t": round(metrics.decimal_year(start), 4), "date": T.date_label(e["date"]),
                     "event": " ".join(str(e["title"]).split()), "category": e["category"],
                     "source": "" if T.is_missing(src) else " ".join(str(src).split())})
    df = pd.DataFrame(rows)
    if lo is not None:
        df = df[df["t"] >= lo]
    if hi is not None:
        df = df[df["t"] <= hi]
    return df.reset_index(drop=True)


def _event_rules(events: pd.DataFrame):
    return alt.Chart(events).mark_rule(color=EVENT_COLOUR, strokeDash=EVENT_DASH, strokeWidth=1.2, opacity=0.8).encode(
        x=alt.X("t:Q"),
        tooltip=[alt.Tooltip("event:N", title="Event"), alt.Tooltip("date:N", title="Date"),
                 alt.Tooltip("category:N", title="Kind"), alt.Tooltip("source:N", title="Source")],
    )


def _citation_text(city, row) -> str:
    s = city.source(row.get("source_id"))
    if s is not None:
        return " ".join(f"{s.producer}: {s.title}".split())
    c = row.get("citation") if not T.is_missing(row.get("citation")) else row.get("citation_url")
    return "" if T.is_missing(c) else " ".join(str(c).split())


def periods_frame(city, *, lo: float | None = None, hi: float | None = None, shift: float = 0.0) -> pd.DataFrame:
    """The city's context periods as rows for band marks: t0, t1 (decimal years plus `shift`, clipped to
    [lo, hi]), label, kind, dates, description, source, lane (0, 1, ... so that overlapping labels do not
    collide). On charts whose annual values sit on the year's tick, shift = -0.5 makes a band cover the ticks
    of the years it spans."""
    cols = ["t0", "t1", "label", "kind", "dates", "description", "source", "lane", "fill"]
    p = city.periods
    if p.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for _, r in p.iterrows():
        t0 = metrics.decimal_year(metrics.event_interval(r["start"])[0]) + shift
        end = r.get("end")
        t1 = (metrics.decimal_year(metrics.event_interval(end)[1]) + shift if not T.is_missing(end)
              else (hi if hi is not None else t0 + 1))
        if lo is not None:
            t0 = max(t0, lo)
        if hi is not None:
            t1 = min(t1, hi)
        if t1 <= t0:
            continue
        dates = T.date_label(r["start"]) + " to " + (T.date_label(end) if not T.is_missing(end) else "the end of the data")
        rows.append({"t0": round(t0, 4), "t1": round(t1, 4), "label": " ".join(str(r["label"]).split()),
                     "kind": r["kind"], "dates": dates, "description": " ".join(str(r["description"]).split()),
                     "source": _citation_text(city, r)})
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows).sort_values(["t0", "t1"], kind="mergesort").reset_index(drop=True)
    lanes_end: list[float] = []
    lane = []
    # a label takes about 5 px a character (9 px font) on a WIDTH-px chart: it may run past its band
    span = ((hi if hi is not None else df["t1"].max()) - (lo if lo is not None else df["t0"].min())) or 1.0
    label_end = df["t0"] + (df["label"].str.len().clip(upper=22) * 5 + 8) / WIDTH * span
    for t0, t1 in zip(df["t0"], np.maximum(df["t1"], label_end)):
        k = next((i for i, e in enumerate(lanes_end) if e <= t0), len(lanes_end))
        if k == len(lanes_end):
            lanes_end.append(t1)
        else:
            lanes_end[k] = t1
        lane.append(k)
    df["lane"] = lane
    df["fill"] = [PERIOD_FILLS[i % 2] for i in range(len(df))]
    return df[cols]


def _period_layers(periods: pd.DataFrame, height: int, lo: float, hi: float):
    """Light bands behind a chart, one per period, with the period's short label at the top. [lo, hi] is the
    chart's x domain (a rect's scale would otherwise start at zero)."""
    xs = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    tips = [alt.Tooltip("label:N", title="Period"), alt.Tooltip("dates:N", title="When"),
            alt.Tooltip("kind:N", title="Kind"), alt.Tooltip("description:N", title="What happened"),
            alt.Tooltip("source:N", title="Source")]
    band = alt.Chart(periods).mark_rect(opacity=0.16).encode(
        x=alt.X("t0:Q", scale=xs), x2="t1:Q", color=alt.Color("fill:N", scale=None, legend=None), tooltip=tips)
    layers = [band]
    for lane in sorted(set(periods["lane"])):
        layers.append(alt.Chart(periods[periods["lane"] == lane]).mark_text(
            align="left", baseline="top", dx=3, fontSize=9, color=DARK_GREY, clip=True, limit=110).encode(
            x=alt.X("t0:Q", scale=xs), y=alt.value(4 + 12 * int(lane)), text="label:N", tooltip=tips))
    return layers


def breaks_frame(city, series_ids, *, lo: float | None = None, hi: float | None = None,
                 shift: float = 0.0) -> pd.DataFrame:
    """Breaks of the given series (and the city's 'all' breaks) as rows for rule marks at t = decimal date
    plus `shift` (-0.5 on charts whose annual values sit on the year's tick: a break on 1 January of a year
    falls between that year's point and the previous one)."""
    cols = ["t", "date", "series", "kind", "description", "source"]
    b = city.breaks
    if b.empty:
        return pd.DataFrame(columns=cols)
    b = b[b["series"].isin(list(series_ids) + ["all"])]
    rows = []
    for _, r in b.iterrows():
        t = metrics.decimal_year(metrics.event_interval(r["date"])[0]) + shift
        if (lo is not None and t < lo) or (hi is not None and t > hi):
            continue
        rows.append({"t": round(t, 4), "date": T.date_label(r["date"]),
                     "series": "every series" if r["series"] == "all" else city.series_label(r["series"]),
                     "kind": str(r["kind"]).replace("_", " "), "description": " ".join(str(r["description"]).split()),
                     "source": _citation_text(city, r)})
    return pd.DataFrame(rows, columns=cols)


def _break_rules(breaks: pd.DataFrame):
    return alt.Chart(breaks).mark_rule(color=BREAK_COLOUR, strokeDash=BREAK_DASH, strokeWidth=1.6).encode(
        x=alt.X("t:Q"),
        tooltip=[alt.Tooltip("kind:N", title="Series break"), alt.Tooltip("date:N", title="Date"),
                 alt.Tooltip("series:N", title="Series"), alt.Tooltip("description:N", title="What changes"),
                 alt.Tooltip("source:N", title="Source")])


def _context_description(periods: pd.DataFrame, breaks: pd.DataFrame) -> str:
    out = ""
    if len(periods):
        out += (f" Shaded bands mark {T.plural(len(periods), 'period')} of context: "
                + "; ".join(f"{r['label']} ({r['dates']})" for _, r in periods.iterrows()) + ".")
    if len(breaks):
        out += (f" Red dash-dot rules mark {T.plural(len(breaks), 'break')} in a series: "
                + "; ".join(f"{r['date']}, {r['kind']} ({r['series']})" for _, r in breaks.iterrows()) + ".")
    return out


def _nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        lo = max(lo, 1e-3)
        ticks = []
        for e in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1):
            for m in (1, 2, 5):
                v = m * 10 ** e
                if lo / 2 <= v <= hi * 2:
                    ticks.append(round(math.log10(v), 6))
        return ticks
    step = 10 ** math.floor(math.log10(hi / 5)) if hi > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if hi / (m * step) <= 6:
            step = m * step
            break
    return [round(i * step, 6) for i in range(0, int(hi // step) + 2)]


def with_segments(d: pd.DataFrame, by: str, x: str = "year") -> pd.DataFrame:
    """Add a `segment` column that changes after every gap of more than one step in `x` within each `by`
    group, so a line (drawn with detail=segment) is broken where years are missing instead of bridging them;
    the points still show every value."""
    d = d.sort_values([by, x], kind="mergesort").reset_index(drop=True)
    gap = d.groupby(by, sort=False)[x].diff().fillna(1) > 1
    return d.assign(segment=gap.groupby(d[by], sort=False).cumsum().astype(int))


_SEGMENT = alt.Detail("segment:N")


def _legend_isolate(field: str, faded: float = FADED):
    """Click a legend entry to isolate it: the legend selection on `field` and the opacity encoding that keeps
    what it picked and fades the rest to `faded`."""
    sel = alt.selection_point(fields=[field], bind="legend")
    return sel, _fade(sel, 1, faded)


def _fade(sel, picked: float, faded: float):
    """Opacity `picked` for what the legend selection `sel` picked, `faded` for the rest."""
    return alt.condition(sel, alt.value(picked), alt.value(faded))


def _lines_and_points(data, enc: dict, *, sel=None, line: dict | None = None, point: dict | None = None,
                      line_enc: dict | None = None, point_enc: dict | None = None, point_data=None) -> list:
    """Two layers sharing the encodings `enc`: lines broken at gaps in the data (detail=segment, see
    with_segments), carrying the legend selection `sel`, and points over them. `data` is a DataFrame or a
    base chart (e.g. with a transform); `line`/`point` are mark properties, `line_enc`/`point_enc` extra
    encodings of one layer, `point_data` other rows for the points."""
    base = data if isinstance(data, alt.Chart) else alt.Chart(data)
    lines = base.mark_line(**(line or {})).encode(**enc, **(line_enc or {}), detail=_SEGMENT)
    if sel is not None:
        lines = lines.add_params(sel)
    points = (base if point_data is None else alt.Chart(point_data)).mark_point(**(point or {}))
    return [lines, points.encode(**enc, **(point_enc or {}))]


def _scale_param():
    return alt.param(name="yscale", value="linear",
                     bind=alt.binding_radio(options=["linear", "log"], name="Vertical scale: "))


def _scaled_y(field: str, lo: float, hi: float, title: str) -> tuple[str, alt.Y]:
    """A y encoding that switches between linear and log10 with the `yscale` parameter (Vega-Lite scale
    types cannot be bound to a parameter, so the log is applied to the data and the axis relabelled)."""
    lin = _nice_ticks(0, hi, False)
    log = _nice_ticks(lo, hi, True)
    calc = f"yscale === 'log' ? (datum.{field} > 0 ? log(datum.{field}) / LN10 : null) : datum.{field}"
    axis = alt.Axis(title=title, values=alt.ExprRef(expr=f"yscale === 'log' ? {log} : {lin}"),
                    labelExpr="yscale === 'log' ? format(pow(10, datum.value), ',.3~r') : format(datum.value, ',')")
    return calc, alt.Y("y_plot:Q", axis=axis, scale=alt.Scale(zero=False, nice=False, padding=8))


# --------------------------------------------------------------------------- city charts
def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    return (rows[name].astype(float).round(2).to_numpy() if name in rows
            else np.full(len(rows), np.nan))


def _trend_rows(city) -> pd.DataFrame:
    rows = []
    for s in city.series_ids:
        r = city.series_rows(s).dropna(subset=["homicide_rate"])
        if r.empty:
            continue
        lab = city.series_label(s) + (" (main series)" if s == city.primary_series else "")
        rows.append(pd.DataFrame({"series": lab, "t": _t_annual(r["year"]), "year": r["year"].astype(int),
                                  "rate": r["homicide_rate"].astype(float).round(2),
                                  "ci_low": _column(r, "rate_ci_low"), "ci_high": _column(r, "rate_ci_high"),
                                  "homicides": r["homicides"].astype("Int64"),
                                  "status": r["status"].astype(str), "kind": "city"}))
    nat = city.national_rate
    if not nat.empty:
        rows.append(pd.DataFrame({"series": f"{city.country_name}, national rate", "t": _t_annual(nat["year"]),
                                  "year": nat["year"].astype(int), "rate": nat["value"].astype(float).round(2),
                                  "ci_low": np.nan, "ci_high": np.nan,
                                  "homicides": pd.array([pd.NA] * len(nat), dtype="Int64"),
                                  "status": "", "kind": "national"}))
    if not rows:
        return pd.DataFrame(columns=["series", "t", "year", "rate", "ci_low", "ci_high", "homicides", "status",
                                     "kind"])
    return pd.concat(rows, ignore_index=True)


def homicide_trend_chart(city, *, with_events: bool = True):
    """Annual homicide rate per 100,000: every series of the city that has rates, the national rate in grey,
    dated events as rules; a legend to isolate a series and a linear/log switch."""
    d = _trend_rows(city)
    if d.empty:
        return None
    labels = list(dict.fromkeys(d["series"]))
    d = with_segments(d, "series")
    colours = []
    for lab in labels:
        colours.append(NATIONAL_COLOUR if lab.endswith("national rate") else city_colour(city))
    alt_dashes = iter(ALT_DASHES * 3)
    dashes = [SOLID if i == 0 else (DOTTED if lab.endswith("national rate") else next(alt_dashes))
              for i, lab in enumerate(labels)]
    pos = d["rate"][d["rate"] > 0]
    lo, hi = float(pos.min()) if len(pos) else 0.1, float(d["rate"].max())
    scale = _scale_param()
    calc, y = _scaled_y("rate", lo, hi, "Homicides per 100,000 inhabitants")
    sel, opacity = _legend_isolate("series")
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=labels, range=colours),
                       legend=alt.Legend(symbolType="stroke", labelLimit=LEGEND_LIMIT, symbolStrokeWidth=2))
    base = alt.Chart(d).transform_calculate(y_plot=calc)
    enc = dict(x=alt.X("t:Q", axis=_year_axis(), scale=alt.Scale(domain=[float(d["t"].min()) - 0.5,
                                                                          float(d["t"].max()) + 0.5], nice=False)),
               y=y, color=colour,
               strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=labels, range=dashes)),
               opacity=opacity)
    tips = [alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("rate:Q", title="Per 100,000", format=",.1f"),
            alt.Tooltip("ci_low:Q", title="95% interval from", format=",.1f"),
            alt.Tooltip("ci_high:Q", title="to", format=",.1f"),
            alt.Tooltip("homicides:Q", title="Homicides", format=","), alt.Tooltip("status:N", title="Status")]
    lines_and_points = _lines_and_points(base, enc, sel=sel, point={"size": 22}, point_enc={
        "tooltip": tips, "shape": alt.Shape("series:N", title=None,
                                            scale=alt.Scale(domain=labels, range=SHAPES[:len(labels)]))})
    x_lo, x_hi = float(d["t"].min()) - 0.5, float(d["t"].max()) + 0.5
    layers = []
    periods = periods_frame(city, lo=x_lo, hi=x_hi, shift=-0.5) if with_events else periods_frame(city).iloc[0:0]
    if len(periods):
        layers += _period_layers(periods, HEIGHT, x_lo, x_hi)
    # Where counts are small, chance alone moves a rate from year to year: draw its exact 95% interval.
    small = d[(d["kind"] == "city") & d["homicides"].notna() & (d["homicides"] < SMALL_COUNT) & d["ci_low"].notna()]
    if len(small):
        sb = with_segments(small[["series", "year", "t", "ci_low", "ci_high"]], "series")
        lo_calc = calc.replace("datum.rate", "datum.ci_low")
        hi_calc = calc.replace("datum.rate", "datum.ci_high")
        band = alt.Chart(sb).transform_calculate(y_plot=lo_calc, y_hi=hi_calc).mark_area(opacity=0.18).encode(
            x=enc["x"], y=y, y2="y_hi:Q", color=alt.Color("series:N", scale=alt.Scale(domain=labels, range=colours),
                                                       legend=None),
            detail=_SEGMENT, opacity=_fade(sel, 0.18, 0.03),
            tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:O", title="Year"),
                     alt.Tooltip("ci_low:Q", title="95% interval from", format=",.1f"),
                     alt.Tooltip("ci_high:Q", title="to", format=",.1f")])
        ticks = alt.Chart(sb).transform_calculate(y_plot=lo_calc, y_hi=hi_calc).mark_rule(strokeWidth=1).encode(
            x=enc["x"], y=y, y2="y_hi:Q", color=alt.Color("series:N", scale=alt.Scale(domain=labels, range=colours),
                                                       legend=None),
            opacity=_fade(sel, 0.5, 0.05))
        layers += [band, ticks]
    layers += lines_and_points
    ev = events_frame(city, lo=x_lo, hi=x_hi) if with_events else None
    if ev is not None and not ev.empty:
        layers.append(_event_rules(ev))
    shown_ids = [s for s in city.series_ids if not city.series_rows(s)["homicide_rate"].dropna().empty]
    br = breaks_frame(city, shown_ids, lo=x_lo, hi=x_hi, shift=-0.5)
    if len(br):
        layers.append(_break_rules(br))
    chart = alt.layer(*layers).add_params(scale).properties(width=WIDTH, height=HEIGHT)
    h = metrics.headline(city)
    desc = (f"Line chart of the annual homicide rate per 100,000 inhabitants in {city.name}, "
            f"{T.year_span(d['year'].min(), d['year'].max())}, for {T.plural(len(labels), 'series', 'series')}: "
            f"{T.join_and(labels)}.")
    if h["peak"] and h["measure"] == metrics.RATE:
        desc += (f" The main series peaked at {T.num(h['peak']['value'])} in {h['peak']['year']} and was "
                 f"{T.num(h['latest']['value'])} in {h['latest']['year']}.")
    if ev is not None and not ev.empty:
        desc += f" Dashed vertical rules mark {T.plural(len(ev), 'dated event')}."
    if len(small):
        desc += (f" Shaded bands around the lines show the 95% interval of the rate in years with fewer than "
                 f"{SMALL_COUNT} homicides.")
    desc += _context_description(periods, br)
    cap = (f"Annual homicides per 100,000 inhabitants, {city.name}"
           + (f", with {city.country_name}'s national rate in grey" if not city.national_rate.empty else "")
           + ". Click a legend entry to isolate a series; switch the vertical scale between linear and log.")
    srcs = _sources_of(city.annual[city.annual["homicide_rate"].notna()], city.national_rate)
    return _finish(chart, desc, cap, srcs, title=f"{city.name}: homicides per 100,000 inhabitants")


def headline_chart(city):
    """The chapter's opening picture: the main series (rate where it has one, else counts) with its 95%
    interval where counts are small, the national rate in grey, and the context periods as light bands."""
    rows = city.primary
    m = metrics.best_measure(rows)
    field = "homicide_rate" if m == metrics.RATE else "homicides"
    r = rows.dropna(subset=[field])
    if r.empty:
        return None
    main = city.series_label(city.primary_series)
    d = pd.DataFrame({"series": main, "year": r["year"].astype(int), "value": r[field].astype(float).round(2),
                      "homicides": r["homicides"].astype("Int64"),
                      "ci_low": _column(r, "rate_ci_low") if m == metrics.RATE else np.nan,
                      "ci_high": _column(r, "rate_ci_high") if m == metrics.RATE else np.nan})
    labels = [main]
    colours = [city_colour(city)]
    nat = city.national_rate if m == metrics.RATE else city.national_rate.iloc[0:0]
    if len(nat):
        lab = f"{city.country_name}, national rate"
        d = pd.concat([d, pd.DataFrame({"series": lab, "year": nat["year"].astype(int),
                                        "value": nat["value"].astype(float).round(2),
                                        "homicides": pd.array([pd.NA] * len(nat), dtype="Int64"),
                                        "ci_low": np.nan, "ci_high": np.nan})], ignore_index=True)
        labels.append(lab)
        colours.append(NATIONAL_COLOUR)
    lo, hi = float(r["year"].min()) - 0.5, float(r["year"].max()) + 0.5
    d = with_segments(d[(d["year"] >= lo) & (d["year"] <= hi)], "series")
    ytitle = "Homicides per 100,000 inhabitants" if m == metrics.RATE else "Homicides per year"
    x = alt.X("year:Q", axis=_year_axis(None), scale=alt.Scale(domain=[lo, hi], nice=False))
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=labels, range=colours),
                       legend=alt.Legend(orient="top", symbolType="stroke", labelLimit=LEGEND_LIMIT))
    dash = alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=labels, range=[SOLID, DOTTED][:len(labels)]))
    tips = [alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("value:Q", title=ytitle, format=",.1f"),
            alt.Tooltip("ci_low:Q", title="95% interval from", format=",.1f"),
            alt.Tooltip("ci_high:Q", title="to", format=",.1f"),
            alt.Tooltip("homicides:Q", title="Homicides", format=",")]
    layers = []
    periods = periods_frame(city, lo=lo, hi=hi, shift=-0.5)
    if len(periods):
        layers += _period_layers(periods, 260, lo, hi)
    br = breaks_frame(city, [city.primary_series], lo=lo, hi=hi, shift=-0.5)
    if m != metrics.RATE:
        br = br[br["kind"] != "population"]
    small = d[(d["series"] == main) & d["homicides"].notna() & (d["homicides"] < SMALL_COUNT) & d["ci_low"].notna()]
    if len(small):
        layers.append(alt.Chart(small[["year", "ci_low", "ci_high", "segment"]]).mark_area(
            color=city_colour(city), opacity=0.18).encode(x=x, y="ci_low:Q", y2="ci_high:Q", detail=_SEGMENT))
    layers += _lines_and_points(
        d, {"x": x, "color": colour}, line={"strokeWidth": 2.5}, point={"size": 18, "filled": True},
        line_enc={"y": alt.Y("value:Q", title=ytitle, scale=alt.Scale(zero=True)), "strokeDash": dash},
        point_enc={"y": "value:Q", "tooltip": tips,
                   "shape": alt.Shape("series:N", title=None, legend=None,
                                      scale=alt.Scale(domain=labels, range=SHAPES[:len(labels)]))})
    if len(br):
        layers.append(_break_rules(br).encode(x=alt.X("t:Q", scale=alt.Scale(domain=[lo, hi], nice=False))))
    chart = alt.layer(*layers).properties(width=WIDTH, height=260)
    h = metrics.headline(city)
    unit = "per 100,000 inhabitants" if m == metrics.RATE else "homicides a year"
    desc = (f"Line chart of {main} in {city.name}, {T.year_span(int(r['year'].min()), int(r['year'].max()))}, "
            f"{unit}" + (f", with {city.country_name}'s national rate as a dotted grey line" if len(nat) else "")
            + f". Peak: {T.sig(h['peak']['value'])} in {h['peak']['year']}; latest: {T.sig(h['latest']['value'])} "
            f"in {h['latest']['year']}.")
    if len(small):
        desc += f" A shaded band shows the 95% interval where a year had fewer than {SMALL_COUNT} homicides."
    desc += _context_description(periods, br)
    cap = (f"Homicides in {city.name}, {unit}: the chapter's main series"
           + (f", with {city.country_name}'s national rate" if len(nat) else "")
           + (". Shaded bands: the periods described under What was happening" if len(periods) else "") + ".")
    srcs = _sources_of(r, nat)
    return _finish(chart, desc, cap, srcs, title=f"{city.name}: homicides, {unit}")


def trend_table(city) -> pd.DataFrame:
    """The rows behind the trend chart, wide: year x series (rates), plus the national rate."""
    d = _trend_rows(city)
    if d.empty:
        return d
    w = d.pivot_table(index="year", columns="series", values="rate", aggfunc="first")
    return w[list(dict.fromkeys(d["series"]))]


def series_comparison_chart(city):
    """Annual homicide counts of every series of the city (None when it has a single series)."""
    ids = city.series_ids
    if len(ids) < 2:
        return None
    d = city.annual[["series", "year", "homicides", "source_id"]].dropna(subset=["homicides"]).copy()
    labels = [city.series_label(s) for s in ids]
    d["series"] = d["series"].map(lambda s: city.series_label(s))
    d = d.assign(year=d["year"].astype(int), homicides=d["homicides"].astype(int))
    d = with_segments(d, "series")
    dashes = [SOLID] + (ALT_DASHES * 3)[:len(labels) - 1]
    sel, opacity = _legend_isolate("series")
    enc = dict(x=alt.X("year:Q", axis=_year_axis()),
               y=alt.Y("homicides:Q", title="Homicides (victims per year)"),
               color=alt.Color("series:N", title=None, scale=alt.Scale(domain=labels, range=[city_colour(city)] * len(labels)),
                               legend=alt.Legend(symbolType="stroke", labelLimit=LEGEND_LIMIT)),
               strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(domain=labels, range=dashes)),
               opacity=opacity)
    layers = _lines_and_points(d[["series", "year", "homicides", "segment"]], enc, sel=sel,
                               point_data=d[["series", "year", "homicides"]], point_enc={
        "shape": alt.Shape("series:N", scale=alt.Scale(domain=labels, range=SHAPES[:len(labels)]), title=None),
        "tooltip": [alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:O", title="Year"),
                    alt.Tooltip("homicides:Q", title="Homicides", format=",")]})
    br = breaks_frame(city, ids, lo=float(d["year"].min()) - 0.5, hi=float(d["year"].max()) + 0.5, shift=-0.5)
    br = br[br["kind"] != "population"]   # counts: a new population base does not move them
    if len(br):
        layers.append(_break_rules(br))
    chart = alt.layer(*layers).properties(width=WIDTH, height=260)
    diffs = metrics.series_differences(city)
    desc = f"Line chart comparing annual homicide counts from {len(labels)} series for {city.name}: {T.join_and(labels)}."
    desc += _context_description(pd.DataFrame(columns=["label"]), br)
    for _, r in diffs.iterrows():
        if r["years"]:
            desc += (f" {city.series_label(r['series'])} and the main series overlap in {r['years']} years; the "
                     f"largest gap is {T.pct(r['max_abs_diff_pct'])} in {r['max_year']}.")
    cap = f"Annual homicides in {city.name} as counted by each series (counts, so series without a population are shown)."
    return _finish(chart, desc, cap, _sources_of(d), title=f"{city.name}: the series side by side")


def _measure_title(what: str) -> str:
    return what[:1].upper() + what[1:]


def monthly_chart(city, series: str | None = None):
    """Monthly counts of the series' measure (homicides, or e.g. police notices) with the trailing 12-month
    mean and the dated events."""
    m = city.monthly_rows(series)
    if m.empty:
        return None
    sid = m["series"].iloc[0]
    what = T.series_measure(city, sid)
    r = metrics.rolling_mean(m, 12)
    r["t"] = [round(metrics.decimal_year(x) + 1 / 24, 4) for x in r["month"]]
    r["label"] = r["month"].dt.strftime("%B %Y")
    d = r[["t", "label", "homicides", "rolling_mean"]].copy()
    d["rolling_mean"] = d["rolling_mean"].round(1)
    colour = city_colour(city)
    x = alt.X("t:Q", axis=_year_axis("Month"), scale=alt.Scale(nice=False))
    tips = [alt.Tooltip("label:N", title="Month"), alt.Tooltip("homicides:Q", title=_measure_title(what), format=","),
            alt.Tooltip("rolling_mean:Q", title="12-month mean", format=",.1f")]
    base = alt.Chart(d)
    raw = base.mark_line(color=colour, opacity=0.35, strokeWidth=1).encode(
        x=x, y=alt.Y("homicides:Q", title=f"{_measure_title(what)} per month"))
    pts = base.mark_point(color=colour, opacity=0.0, size=40).encode(x=x, y="homicides:Q", tooltip=tips)
    roll = base.mark_line(color=colour, strokeWidth=2.5).encode(x=x, y="rolling_mean:Q", tooltip=tips)
    layers = [raw, roll, pts]
    ev = events_frame(city, lo=float(d["t"].min()), hi=float(d["t"].max()))
    if not ev.empty:
        layers.append(_event_rules(ev))
    br = breaks_frame(city, [m["series"].iloc[0]], lo=float(d["t"].min()), hi=float(d["t"].max()))
    br = br[br["kind"] != "population"]   # counts: a new population base does not move them
    if len(br):
        layers.append(_break_rules(br))
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    first, last = T.month_label(m["month"].iloc[0]), T.month_label(m["month"].iloc[-1])
    peak_i = r["rolling_mean"].idxmax()
    desc = (f"Line chart of monthly {what} in {city.name} from {first} to {last} ({city.series_label(sid)}), "
            f"thin line, with the 12-month mean as a thick line.")
    if not pd.isna(peak_i):
        desc += (f" The 12-month mean was highest, {T.num(r.loc[peak_i, 'rolling_mean'])} a month, in the year to "
                 f"{r.loc[peak_i, 'month'].strftime('%B %Y')}.")
    if not ev.empty:
        desc += f" Dashed vertical rules mark {T.plural(len(ev), 'dated event')}."
    desc += _context_description(pd.DataFrame(columns=["label"]), br)
    cap = f"Monthly {what} in {city.name} ({city.series_label(sid)}), with the mean of the last 12 months."
    return _finish(chart, desc, cap, _sources_of(m), title=f"{city.name}: {what} per month")


def seasonality_chart(city, series: str | None = None):
    """None where metrics.seasonality refuses (too few years, or fewer than SEASONALITY_MIN_MEAN a month)."""
    m = city.monthly_rows(series)
    s = metrics.seasonality(m)
    if s is None:
        return None
    what = T.series_measure(city, m["series"].iloc[0])
    d = s["table"][["month_num", "month", "ratio", "low", "high", "n"]].copy()
    d[["ratio", "low", "high"]] = d[["ratio", "low", "high"]].round(3)
    colour = city_colour(city)
    x = alt.X("month:N", sort=list(d["month"]), title="Calendar month")
    bars = alt.Chart(d).mark_rule(color=colour, strokeWidth=2).encode(
        x=x, y=alt.Y("low:Q", title=f"{_measure_title(what)} relative to the 12-month average (1 = average)",
                     scale=alt.Scale(zero=False)), y2="high:Q")
    pts = alt.Chart(d).mark_point(color=colour, size=60).encode(
        x=x, y="ratio:Q", tooltip=[alt.Tooltip("month:N", title="Month"),
                                   alt.Tooltip("ratio:Q", title="Relative to average", format=".2f"),
                                   alt.Tooltip("low:Q", title="95% interval from", format=".2f"),
                                   alt.Tooltip("high:Q", title="to", format=".2f"),
                                   alt.Tooltip("n:Q", title="Years")])
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color=MID_GREY).encode(y="y:Q")
    chart = alt.layer(one, bars, pts).properties(width=WIDTH, height=220)
    desc = (f"Dot chart of how each calendar month's {what} in {city.name} compare with the surrounding "
            f"12-month average, over {s['years']} years, with 95% intervals. Highest: {s['high_month']}; lowest: "
            f"{s['low_month']}.")
    cap = (f"Seasonality of {what} in {city.name}: each month's count divided by the centred 12-month average, "
           f"averaged over the years, with 95% intervals.")
    return _finish(chart, desc, cap, _sources_of(city.monthly_rows(series)), title=f"{city.name}: seasonality")


def intervention_chart(city, effects: pd.DataFrame, fits: dict, max_events: int = 6):
    """Small multiples: the data around each analysed intervention, the fitted segments, and the pre-event
    trend projected forward (dashed)."""
    if effects is None or effects.empty:
        return None
    colour = city_colour(city)
    panels = []
    for _, e in effects.head(max_events).iterrows():
        f = fits[int(e["event_index"])].fitted.copy()
        f["part"] = np.where(f["post"], "after", "before")
        lab = f"{T.date_label(e['date'])}: {' '.join(str(e['title']).split())}"
        if len(lab) > 120:
            lab = lab[:118].rstrip() + "…"
        d = f[["t", "y", "fitted", "counterfactual", "part"]].round(3)
        what = T.series_measure(city, e["series"]) if not T.is_missing(e.get("series")) else "homicides"
        ytitle = (f"{what.capitalize()} per month" if e["data"] == "monthly" else
                  ("Per 100,000" if e["measure"] == metrics.RATE else f"{what.capitalize()} per year"))
        base = alt.Chart(d)
        x = alt.X("t:Q", axis=_year_axis(None), scale=alt.Scale(zero=False, nice=False))
        pts = base.mark_point(color=colour, size=14, opacity=0.6, clip=True).encode(
            x=x, y=alt.Y("y:Q", title=ytitle, scale=alt.Scale(domainMin=0)), tooltip=[alt.Tooltip("t:Q", title="Year", format=".2f"),
                                                        alt.Tooltip("y:Q", title="Observed", format=",.1f"),
                                                        alt.Tooltip("fitted:Q", title="Fitted", format=",.1f")])
        fit = base.mark_line(color=colour, strokeWidth=2, clip=True).encode(x=x, y="fitted:Q", detail="part:N")
        cf = base.transform_filter("datum.part === 'after'").mark_line(
            color=NATIONAL_COLOUR, strokeDash=COUNTERFACTUAL_DASH, clip=True).encode(x=x, y="counterfactual:Q")
        rule = alt.Chart(pd.DataFrame({"t": [round(fits[int(e['event_index'])].break_t, 4)]})).mark_rule(
            color=EVENT_COLOUR, strokeDash=EVENT_DASH).encode(x="t:Q")
        panels.append(alt.layer(pts, fit, cf, rule).properties(width=SMALL_WIDTH, height=SMALL_HEIGHT,
                                                              title=alt.TitleParams(_wrap(lab), fontSize=11)))
    chart = alt.concat(*panels, columns=2)
    shown = effects.head(max_events)
    desc = (f"{len(panels)} small charts, one per intervention in {city.name}: the observed series around the "
            f"event date as dots, fitted straight lines before and after, and the pre-event trend projected "
            f"forward as a dashed grey line. Events: "
            + "; ".join(f"{T.date_label(r['date'])} {' '.join(str(r['title']).split())}" for _, r in shown.iterrows())
            + ".")
    cap = (f"Before and after {T.plural(len(panels), 'intervention')} in {city.name}: segmented regression on the "
           f"series around each date (dashed grey: the earlier trend continued). An association, not proof of cause.")
    srcs = _sources_of(city.monthly if (shown["data"] == "monthly").any() else None,
                       city.primary if (shown["data"] == "annual").any() else None, shown)
    return _finish(chart, desc, cap, srcs, title=f"{city.name}: before and after interventions")


def charted_indicators(rows: pd.DataFrame) -> list[str]:
    """Indicator ids with at least MIN_POINTS years of values, in order of appearance."""
    out = []
    for ind in dict.fromkeys(rows["indicator"]):
        if rows.loc[rows["indicator"] == ind, "value"].notna().sum() >= MIN_POINTS:
            out.append(ind)
    return out


def _indicator_panels(rows: pd.DataFrame, defs, colour: str, *, key: str, width=SMALL_WIDTH,
                      height=SMALL_HEIGHT) -> list:
    panels = []
    for ind in charted_indicators(rows):
        r = rows[rows["indicator"] == ind].dropna(subset=["value"]).sort_values("year")
        dfn = defs(ind)
        d = pd.DataFrame({"ind": ind, "year": r["year"].astype(int), "value": r["value"].astype(float).round(4)})
        d = with_segments(d, "ind")[["year", "value", "segment"]]
        unit = dfn.get("unit") or (r["unit"].iloc[0] if "unit" in r else "")
        mark = alt.Chart(d).mark_line(color=colour, point=alt.OverlayMarkDef(color=colour, size=25))
        panels.append(mark.encode(
            detail=_SEGMENT,
            x=alt.X("year:Q", axis=_year_axis(None), scale=alt.Scale(zero=False)),
            y=alt.Y("value:Q", title=_wrap(unit, 40), scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~r")),
            tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("value:Q", title=str(dfn.get("label", ind)),
                                                                       format=",.2f")],
        ).properties(width=width, height=height, title=alt.TitleParams(_wrap(dfn.get("label", ind)), fontSize=11)))
    return panels


def city_indicators_chart(city):
    """The city's own indicators beyond homicides, one small chart each (whatever the data hold)."""
    if city.indicators.empty:
        return None
    panels = _indicator_panels(city.indicators, city.definition, city_colour(city), key="city")
    if not panels:
        return None
    labels = [city.definition(i)["label"] for i in charted_indicators(city.indicators)]
    chart = alt.concat(*panels, columns=2)
    desc = (f"{len(panels)} small line charts of indicators for {city.name} other than the homicide series: "
            f"{T.join_and(labels)}.")
    cap = (f"Other indicators for {city.name} with at least {MIN_POINTS} years of data, each on its own scale "
           f"(all indicators are listed in the text).")
    used = city.indicators[city.indicators["indicator"].isin(charted_indicators(city.indicators))]
    return _finish(chart, desc, cap, _sources_of(used), title=f"{city.name}: other indicators")


def monthly_indicators_chart(city):
    """The city's indicators that come by month (indicators_monthly), one small bar chart each on a shared time
    axis, each on its own scale; None when it has none."""
    rows = city.indicators_monthly
    if rows.empty:
        return None
    # in the order the indicators are defined (the deriving step's own order), labels without their trailing
    # parenthesis (the source, named in the caption) so that they fit above a small panel
    defined = list(city.definitions["indicator"])
    order = sorted(dict.fromkeys(rows["indicator"]), key=lambda i: defined.index(i) if i in defined else len(defined))
    short = {i: re.sub(r"\s*\([^()]*\)$", "", str(city.definition(i)["label"])) for i in order}
    d = rows.assign(label=[short[i] for i in rows["indicator"]],
                    t=pd.to_datetime(rows["month"] + "-15"), value=rows["value"].astype(float))
    labels = [short[i] for i in order]
    colour = city_colour(city)
    chart = alt.Chart(d[["label", "month", "t", "value"]]).mark_bar(color=colour, width=3).encode(
        x=alt.X("t:T", title=None, axis=alt.Axis(format="%Y", tickCount="year")),
        y=alt.Y("value:Q", title="per month", axis=alt.Axis(format=",d", tickMinStep=1)),
        tooltip=[alt.Tooltip("label:N", title="Indicator"), alt.Tooltip("month:N", title="Month"),
                 alt.Tooltip("value:Q", title="Count", format=",")],
    ).properties(width=SMALL_WIDTH, height=SMALL_HEIGHT - 40).facet(
        facet=alt.Facet("label:N", title=None, sort=labels, header=alt.Header(labelFontSize=11, labelLimit=260)),
        columns=2).resolve_scale(y="independent")
    first, last = d["month"].min(), d["month"].max()
    desc = (f"{len(order)} small bar charts of monthly counts for {city.name}, {T.month_label(first)} to "
            f"{T.month_label(last)}, each on its own scale: {T.join_and(labels)}.")
    cap = (f"Monthly counts for {city.name}, complete months only, each panel on its own scale; what each counts "
           f"is listed above.")
    return _finish(chart, desc, cap, _sources_of(rows), title=f"{city.name}: indicators by month")


def governance_indicators(city, headline_only: bool = True) -> list[str]:
    present = list(dict.fromkeys(city.country["indicator"]))
    head = [i for i in settings.GOVERNANCE_HEADLINE if i in present]
    if headline_only:
        return head
    return head + [i for i in present if i not in head and i != settings.NATIONAL_RATE]


def governance_chart(city):
    """The country's governance and organised-crime indicators over time (WGI, CPI, GI-TOC)."""
    inds = governance_indicators(city)
    rows = city.country[city.country["indicator"].isin(inds)]
    if rows.empty:
        return None
    rows = rows.assign(indicator=pd.Categorical(rows["indicator"], inds, ordered=True)).sort_values(["indicator", "year"])
    rows = rows.assign(indicator=rows["indicator"].astype(str))
    panels = _indicator_panels(rows, city.definition, NATIONAL_COLOUR, key="country")
    if not panels:
        return None
    chart = alt.concat(*panels, columns=2)
    labels = [city.definition(i)["label"] for i in charted_indicators(rows)]
    desc = (f"{len(panels)} small line charts of {city.country_name}'s national governance and organised-crime "
            f"scores over time: {T.join_and(labels)}.")
    cap = (f"{city.country_name}: governance and organised-crime indicators (national, not city, scores; each on "
           f"its publisher's scale).")
    return _finish(chart, desc, cap, _sources_of(rows), title=f"{city.country_name}: governance and organised crime")


def concentration_chart(city, fraction: float = 0.2):
    """Share of the city's homicides in its most violent areas, per year, with the dated events."""
    sub = city.subcity
    if sub.empty:
        return None
    c = metrics.concentration(sub, fraction)
    k = int(c.loc[c["measure"] == "top", "k"].iloc[0])
    n = int(sub["area_id"].nunique())
    area_type = str(sub["area_type"].iloc[0])
    first = int(sub["year"].min())
    names = {"top": f"Top {k} of {n} areas that year", "top1": "Most violent area that year",
             "fixed": f"The top {k} areas of {first}"}
    d = c.assign(series=c["measure"].map(names), t=_t_annual(c["year"]), share=c["share"].round(1))
    d = with_segments(d[["series", "t", "year", "share"]], "series")
    order = list(names.values())
    colour = city_colour(city)
    sel, opacity = _legend_isolate("series")
    enc = dict(x=alt.X("t:Q", axis=_year_axis(), scale=alt.Scale(nice=False, domain=[float(d["t"].min()) - 0.5,
                                                                                     float(d["t"].max()) + 0.5])),
               y=alt.Y("share:Q", title="Share of the city's homicides (%)", scale=alt.Scale(domain=[0, 100])),
               color=alt.Color("series:N", title=None, scale=alt.Scale(domain=order, range=[colour, NATIONAL_COLOUR, colour]),
                               legend=alt.Legend(symbolType="stroke", labelLimit=LEGEND_LIMIT)),
               strokeDash=alt.StrokeDash("series:N", title=None,
                                         scale=alt.Scale(domain=order, range=[SOLID, DOTTED, DASHED])),
               opacity=opacity)
    tips = [alt.Tooltip("series:N", title="Measure"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("share:Q", title="Share (%)", format=".1f")]
    layers = _lines_and_points(d, enc, sel=sel, point_enc={"tooltip": tips})
    ev = events_frame(city, lo=float(d["t"].min()) - 0.5, hi=float(d["t"].max()) + 0.5)
    if not ev.empty:
        layers.append(_event_rules(ev))
    chart = alt.layer(*layers).properties(width=WIDTH, height=260)
    top = c[c["measure"] == "top"]
    desc = (f"Line chart of the share of {city.name}'s homicides in its most violent {area_type} areas, "
            f"{T.year_span(top['year'].min(), top['year'].max())}: the top {k} of {n} areas held between "
            f"{T.num(top['share'].min(), 0)}% and {T.num(top['share'].max(), 0)}% of homicides.")
    cap = (f"How concentrated homicides are in {city.name}: share in the most violent {k} of {n} areas "
           f"({area_type}) each year, in the single most violent one, and in the areas that were the most violent "
           f"in {first} (if that line falls while the others do not, violence moved elsewhere). Counts, not rates.")
    return _finish(chart, desc, cap, _sources_of(sub), title=f"{city.name}: concentration of homicides")


def area_heatmap(city):
    """Homicides per area and year (counts), areas ordered by their total."""
    sub = city.subcity
    if sub.empty:
        return None
    d = sub[["area_name", "year", "homicides"]].copy()
    d["area_name"] = d["area_name"].map(lambda s: " ".join(str(s).split()))
    d = d.groupby(["area_name", "year"], as_index=False)["homicides"].sum()
    d = d.assign(year=d["year"].astype(int), homicides=d["homicides"].astype(int))
    order = list(d.groupby("area_name")["homicides"].sum().sort_values(ascending=False).index)
    n = len(order)
    chart = alt.Chart(d).mark_rect().encode(
        x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("area_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=180)),
        color=alt.Color("homicides:Q", title="Homicides", scale=alt.Scale(scheme="greys")),
        tooltip=[alt.Tooltip("area_name:N", title="Area"), alt.Tooltip("year:O", title="Year"),
                 alt.Tooltip("homicides:Q", title="Homicides", format=",")],
    ).properties(width=WIDTH - 180, height=min(14 * n, 600))
    top = metrics.top_areas(sub, 3)
    desc = (f"Heat map of homicides by area ({n} areas) and year in {city.name}; darker is more. The areas with "
            f"most homicides over the period: "
            + "; ".join(f"{' '.join(str(r['area_name']).split())} ({T.num(r['share'], 0)}% of the total)"
                        for _, r in top.iterrows()) + ".")
    cap = f"Homicides by area and year in {city.name} (counts; areas ordered by their total)."
    return _finish(chart, desc, cap, _sources_of(sub), title=f"{city.name}: homicides by area")


# --------------------------------------------------------------------------- comparison charts
def not_like_for_like(cities) -> str:
    """One sentence naming the cities whose comparable series is not like-for-like, and how each differs."""
    odd = [c for c in cities if not c.like_for_like]
    if not odd:
        return "Every series shown counts intentional homicide as the UNODC defines it."
    return ("Not like-for-like: " + "; ".join(f"{c.name}, {c.comparable_note}" for c in odd) + ".")


def _comparable_rates(cities) -> pd.DataFrame:
    rows = []
    for c in cities:
        r = c.comparable.dropna(subset=["homicide_rate"])
        if r.empty:
            continue
        rows.append(pd.DataFrame({"city": c.name, "year": r["year"].astype(int),
                                  "rate": r["homicide_rate"].astype(float).round(2),
                                  "series": c.series_label(c.comparable_series), "unit": c.entry["unit"]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["city", "year", "rate", "series", "unit"])


def small_multiples_chart(cities, columns: int = 3):
    """The front page's picture: one small panel per city, its comparable series' rate per 100,000 on one shared
    log scale and shared years, with the exact 95% interval as a band where counts are small."""
    rows = []
    for c in cities:
        r = c.comparable.dropna(subset=["homicide_rate"])
        r = r[r["homicide_rate"] > 0]
        if r.empty:
            continue
        rows.append(pd.DataFrame({"city": c.name, "year": r["year"].astype(int),
                                  "rate": r["homicide_rate"].astype(float).round(2),
                                  "ci_low": _column(r, "rate_ci_low"), "ci_high": _column(r, "rate_ci_high"),
                                  "homicides": r["homicides"].astype("Int64"),
                                  "series": c.series_label(c.comparable_series),
                                  "like": "like-for-like" if c.like_for_like else "not like-for-like"}))
    if not rows:
        return None
    d = with_segments(pd.concat(rows, ignore_index=True), "city")
    present = [c for c in cities if c.name in set(d["city"])]
    # each panel's breaks ride in the same rows as its rates (a faceted chart takes one table), told apart by `t`
    y0, y1 = int(d["year"].min()), int(d["year"].max())
    brk = [breaks_frame(c, [c.comparable_series], lo=y0 - 0.5, hi=y1 + 0.5, shift=-0.5).assign(city=c.name)
           for c in present]
    # exceptional events (an attack's victims) are not changes in how a series counts: the chapters show them
    brk = [b[b["kind"] != "exceptional event"] for b in brk]
    brk = [b for b in brk if not b.empty]
    d["ci_low"] = d["ci_low"].where(d["homicides"].astype(float) < SMALL_COUNT)
    d["ci_high"] = d["ci_high"].where(d["homicides"].astype(float) < SMALL_COUNT)
    lo = float(np.nanmin(np.r_[d["rate"], d["ci_low"].dropna()])) if len(d) else 0.1
    hi = float(np.nanmax(np.r_[d["rate"], d["ci_high"].dropna()]))
    x = alt.X("year:Q", axis=_year_axis(None), scale=alt.Scale(domain=[int(d["year"].min()), int(d["year"].max())],
                                                                nice=False))
    yscale = alt.Scale(type="log", domain=[round(lo * 0.8, 4), round(hi * 1.25, 4)], nice=False)
    y = alt.Y("rate:Q", title="Per 100,000 (log)", scale=yscale)
    colour = alt.Color("city:N", legend=None, scale=_city_scale(present))
    tips = [alt.Tooltip("city:N", title="City"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("rate:Q", title="Per 100,000", format=",.1f"),
            alt.Tooltip("ci_low:Q", title="95% interval from", format=",.2f"),
            alt.Tooltip("ci_high:Q", title="to", format=",.2f"),
            alt.Tooltip("homicides:Q", title="Homicides", format=","), alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("like:N", title="Comparability")]
    if brk:
        b = pd.concat(brk, ignore_index=True).rename(columns={"kind": "break_kind", "series": "break_series"})
        d = pd.concat([d, b], ignore_index=True)
    base = alt.Chart(d)
    rates = base.transform_filter("isValid(datum.rate)") if brk else base
    band = rates.transform_filter("isValid(datum.ci_low)").mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("ci_low:Q", scale=yscale), y2="ci_high:Q", color=colour, detail=_SEGMENT)
    line, pts = _lines_and_points(rates, {"x": x, "y": y, "color": colour}, line={"strokeWidth": 2},
                                  point={"size": 10, "filled": True},
                                  point_enc={"shape": _city_shape(present, "city"), "tooltip": tips})
    layers = [band, line, pts]
    if brk:
        # aria=False: a panel without breaks has an empty rule layer, which screen readers would meet as an
        # unlabelled image; the chart's description lists the breaks instead
        rules = base.transform_filter("isValid(datum.t)").mark_rule(
            color=BREAK_COLOUR, strokeDash=BREAK_DASH, strokeWidth=1.2, aria=False).encode(
            x=alt.X("t:Q"), tooltip=[alt.Tooltip("city:N", title="City"),
                                     alt.Tooltip("break_kind:N", title="Series break"),
                                     alt.Tooltip("date:N", title="Date"),
                                     alt.Tooltip("description:N", title="What changes"),
                                     alt.Tooltip("source:N", title="Source")])
        layers = [band, rules, line, pts]
    chart = alt.layer(*layers).properties(width=170, height=120).facet(
        facet=alt.Facet("city:N", title=None, sort=[c.name for c in present],
                        header=alt.Header(labelFontSize=12, labelFontWeight="bold")),
        columns=columns).resolve_scale(x="shared", y="shared")
    parts = []
    for c in present:
        p, last = metrics.peak(c.comparable, metrics.RATE), metrics.latest(c.comparable, metrics.RATE)
        parts.append(f"{c.name}: highest {T.sig(p['value'])} in {p['year']}, latest {T.sig(last['value'])} in "
                     f"{last['year']}")
    desc = (f"{len(present)} small line charts, one per city, of the annual homicide rate per 100,000 on one shared "
            f"logarithmic scale, {T.year_span(int(d['year'].min()), int(d['year'].max()))}; shaded bands show the 95% "
            f"interval in years with fewer than {SMALL_COUNT} homicides. " + "; ".join(parts) + "."
            + (f" Dash-dot rules mark {T.count(sum(len(b) for b in brk))} breaks in the series." if brk else ""))
    cap = ("Homicides per 100,000 inhabitants in each city's comparable series, on one log scale (equal vertical "
           "distances are equal ratios)" + ("; red dash-dot rules mark breaks in a series, where what is counted, "
                                             "the territory or the population base changes (each city's chapter "
                                             "lists them). " if brk else ". ") + not_like_for_like(present))
    srcs = _sources_of(*(c.comparable for c in present))
    return _finish(chart, desc, cap, srcs, title="Homicide rates in the book's cities")


def all_cities_chart(cities):
    """Every city's main series, rate per 100,000 on a log scale, each in its colour."""
    d = _comparable_rates(cities)
    if d.empty:
        return None
    d = with_segments(d[d["rate"] > 0], "city")
    present = [c for c in cities if c.name in set(d["city"])]
    sel, opacity = _legend_isolate("city", FADED_CITIES)
    enc = dict(x=alt.X("year:Q", axis=_year_axis()),
               y=alt.Y("rate:Q", title="Homicides per 100,000 inhabitants (log scale)", scale=alt.Scale(type="log")),
               color=alt.Color("city:N", title=None, scale=_city_scale(present)),
               opacity=opacity)
    tips = [alt.Tooltip("city:N", title="City"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("rate:Q", title="Per 100,000", format=",.1f"), alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("unit:N", title="Territory")]
    chart = alt.layer(*_lines_and_points(d, enc, sel=sel, line_enc={"strokeDash": _city_dash(present)},
                                         point={"size": 18},
                                         point_enc={"shape": _city_shape(present), "tooltip": tips})
                      ).properties(width=WIDTH, height=340)
    parts = []
    for c in present:
        p = metrics.peak(c.comparable, metrics.RATE)
        last = metrics.latest(c.comparable, metrics.RATE)
        parts.append(f"{c.name} peaked at {T.num(p['value'])} in {p['year']} and was {T.num(last['value'])} in "
                     f"{last['year']}")
    desc = (f"Line chart, log scale, of annual homicide rates per 100,000 in {len(present)} cities (each with its "
            f"own colour, dash pattern and point shape), {T.year_span(d['year'].min(), d['year'].max())}. "
            + "; ".join(parts) + ".")
    cap = ("Annual homicides per 100,000 inhabitants in each city's comparable series (log scale: equal vertical "
           "distances are equal ratios). " + not_like_for_like(present))
    srcs = _sources_of(*(c.comparable for c in present))
    return _finish(chart, desc, cap, srcs, title="Homicide rates, all cities")


def indexed_chart(cities):
    """Each city's main series as % of its own peak (= 100), aligned on years since the peak."""
    rows, chance_peaks = [], []
    for c in cities:
        measure = metrics.best_measure(c.comparable)
        idx = metrics.indexed_to_peak(c.comparable, measure)
        if idx.empty:
            continue
        idx = idx.assign(city=c.name, index=idx["index"].astype(float).round(1), lo=np.nan, hi=np.nan,
                         band_colour=city_colour(c))
        if measure == metrics.RATE:
            # the year's exact 95% interval as % of the peak, where counts are small (the peak itself is taken
            # as known, so the band understates the uncertainty of the fall)
            r = c.comparable.set_index("year")
            p = metrics.peak(c.comparable, measure)
            small = (r["homicides"].astype(float) < SMALL_COUNT).reindex(idx["year"]).fillna(False).to_numpy()
            for col, src in (("lo", "rate_ci_low"), ("hi", "rate_ci_high")):
                if src in r:
                    v = r[src].astype(float).reindex(idx["year"]).to_numpy() / p["value"] * 100
                    idx[col] = np.where(small, np.round(v, 1), np.nan)
            peak_count = r["homicides"].astype(float).get(p["year"])
            if peak_count is not None and peak_count < SMALL_COUNT:
                chance_peaks.append(c.name)
        rows.append(idx)
    if not rows:
        return None
    d = with_segments(pd.concat(rows, ignore_index=True)[["city", "year", "since_peak", "index", "lo", "hi",
                                                          "band_colour"]], "city")
    present = [c for c in cities if c.name in set(d["city"])]
    sel, opacity = _legend_isolate("city", FADED_CITIES)
    enc = dict(x=alt.X("since_peak:Q", title="Years since the city's peak year", axis=alt.Axis(format="d")),
               y=alt.Y("index:Q", title="Homicide rate, % of the city's peak (peak = 100)"),
               color=alt.Color("city:N", title=None, scale=_city_scale(present)),
               opacity=opacity)
    tips = [alt.Tooltip("city:N", title="City"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("since_peak:Q", title="Years since peak"), alt.Tooltip("index:Q", title="% of peak", format=".0f")]
    half = alt.Chart(pd.DataFrame({"y": [50.0]})).mark_rule(color=REFERENCE_GREY, strokeDash=DOTTED).encode(y="y:Q")
    layers = [half]
    banded = bool(d["lo"].notna().any())
    if banded:
        layers.append(alt.Chart(d).transform_filter("isValid(datum.lo)").mark_area(opacity=0.15).encode(
            # the city's colour as a literal (scale=None): a band sharing the lines' colour scale would merge into,
            # fade or hide their legend
            x="since_peak:Q", y="lo:Q", y2="hi:Q", fill=alt.Fill("band_colour:N", scale=None),
            detail=_SEGMENT, tooltip=[alt.Tooltip("city:N", title="City"), alt.Tooltip("year:O", title="Year"),
                                      alt.Tooltip("lo:Q", title="95% interval from", format=".0f"),
                                      alt.Tooltip("hi:Q", title="to", format=".0f")]))
    chart = alt.layer(*layers, *_lines_and_points(d, enc, sel=sel, line_enc={"strokeDash": _city_dash(present)},
                                               point={"size": 18},
                                               point_enc={"shape": _city_shape(present), "tooltip": tips})
                      ).properties(width=WIDTH, height=320)
    parts = []
    for c in present:
        h = metrics.years_to_halve(c.comparable, metrics.best_measure(c.comparable))
        parts.append(f"{c.name} " + (f"fell to half its peak within {T.plural(h['years'], 'year')}" if h
                                     else "has not fallen to half its peak"))
    desc = ("Line chart of each city's homicide rate as a percentage of its own peak, aligned on years since the "
            "peak, with a dotted line at half the peak. " + "; ".join(parts) + ".")
    if banded:
        desc += f" Shaded bands show the 95% interval in years with fewer than {SMALL_COUNT} homicides."
    cap = ("Each city's comparable series indexed to its peak year (= 100) and aligned on years since that peak"
           + (f"; shaded bands: the 95% interval in years with fewer than {SMALL_COUNT} homicides" if banded else "") + ". "
           + (f"With so few homicides, the peak year of {T.join_and(chance_peaks)} is partly chance, so the fall "
              "from it looks larger than the change in violence. " if chance_peaks else "")
           + not_like_for_like(present))
    srcs = _sources_of(*(c.comparable for c in present))
    return _finish(chart, desc, cap, srcs, title="Falls from the peak")


def national_rates_chart(cities):
    """The national homicide rate of each city's country, in the city's colour."""
    rows, seen = [], set()
    present = []
    for c in cities:
        if c.country_code in seen or c.national_rate.empty:
            continue
        seen.add(c.country_code)
        n = c.national_rate
        rows.append(pd.DataFrame({"country": c.country_name, "year": n["year"].astype(int),
                                  "rate": n["value"].astype(float).round(2)}))
        present.append(c)
    if not rows:
        return None
    d = with_segments(pd.concat(rows, ignore_index=True), "country")
    scale = alt.Scale(domain=[c.country_name for c in present], range=[city_colour(c) for c in present])
    sel, opacity = _legend_isolate("country", FADED_CITIES)
    enc = dict(x=alt.X("year:Q", axis=_year_axis()),
               y=alt.Y("rate:Q", title="Homicides per 100,000 inhabitants (log scale)", scale=alt.Scale(type="log")),
               color=alt.Color("country:N", title=None, scale=scale),
               opacity=opacity)
    tips = [alt.Tooltip("country:N", title="Country"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("rate:Q", title="Per 100,000", format=",.2f")]
    chart = alt.layer(*_lines_and_points(d, enc, sel=sel, line={"strokeDash": DOTTED}, point={"size": 30},
                                         point_enc={"shape": _city_shape(present, "country"), "tooltip": tips})
                      ).properties(width=WIDTH, height=300)
    desc = (f"Line chart, log scale, of national homicide rates per 100,000 in {T.join_and([c.country_name for c in present])}, "
            f"{T.year_span(d['year'].min(), d['year'].max())}.")
    cap = "National homicide rates of the cities' countries (each in its city's colour and point shape), log scale."
    srcs = []
    for c in present:
        srcs += _sources_of(c.national_rate)
    return _finish(chart, desc, cap, srcs, title="National homicide rates")


def governance_scatter(cities, indicators=None):
    """City homicide rate (latest year) against each country score of the same or an earlier year."""
    inds = indicators or settings.GOVERNANCE_HEADLINE
    rows = []
    for c in cities:
        last = metrics.latest(c.comparable, metrics.RATE)
        if last is None:
            continue
        for ind in inds:
            v = metrics.latest_country_value(c, ind, upto=last["year"])
            if v is None:
                continue
            rows.append({"city": c.name, "indicator": c.definition(ind)["label"], "ind": ind,
                         "score": round(v["value"], 3), "score_year": v["year"], "rate": round(last["value"], 2),
                         "rate_year": last["year"], "source_id": v["source_id"]})
    if not rows:
        return None
    d = pd.DataFrame(rows)
    present = [c for c in cities if c.name in set(d["city"])]
    panels = []
    for ind in [i for i in inds if i in set(d["ind"])]:
        s = d[d["ind"] == ind][["city", "indicator", "score", "score_year", "rate", "rate_year"]]
        label = s["indicator"].iloc[0]
        base = alt.Chart(s).encode(
            x=alt.X("score:Q", title=str(label)[:50], scale=alt.Scale(zero=False, padding=12)),
            y=alt.Y("rate:Q", title="City homicides per 100,000 (log)", scale=alt.Scale(type="log")),
            color=alt.Color("city:N", title=None, scale=_city_scale(present)),
            tooltip=[alt.Tooltip("city:N", title="City"), alt.Tooltip("rate:Q", title="Per 100,000", format=",.1f"),
                     alt.Tooltip("rate_year:O", title="Rate year"), alt.Tooltip("score:Q", title=str(label), format=".2f"),
                     alt.Tooltip("score_year:O", title="Score year")])
        panels.append(alt.layer(base.mark_point(size=80, filled=True).encode(shape=_city_shape(present)),
                                base.mark_text(dx=8, align="left", fontSize=10).encode(text="city:N"))
                      .properties(width=SMALL_WIDTH, height=SMALL_HEIGHT + 20))
    chart = alt.concat(*panels, columns=2)
    desc = (f"{len(panels)} scatter plots, one per national score ({T.join_and(list(dict.fromkeys(d['indicator'])))}), "
            f"each placing every city by its country's score (horizontal) and its own latest homicide rate "
            f"(vertical, log scale).")
    cap = ("Each city's latest homicide rate against its country's governance and organised-crime scores (latest "
           "score up to the same year). National scores describe countries, not cities; correlation is not causation.")
    srcs = _sources_of(*(c.comparable for c in present))
    srcs += list(d["source_id"])
    return _finish(chart, desc, cap, srcs, title="Violence and governance")


def concentration_comparison_chart(cities, fraction: float = 0.2, threshold: float | None = None):
    """Share of homicides in the most violent fifth of areas, per year, for cities with sub-city data."""
    rows, present = [], []
    for c in cities:
        if c.subcity.empty:
            continue
        k = metrics.concentration_k(c.subcity, fraction)
        s = metrics.top_k_share(c.subcity, k)
        n = int(c.subcity["area_id"].nunique())
        rows.append(pd.DataFrame({"city": c.name, "year": s["year"].astype(int), "share": s["share"].round(1),
                                  "areas": f"top {k} of {n} areas"}))
        present.append(c)
    if not rows:
        return None
    d = with_segments(pd.concat(rows, ignore_index=True), "city")
    enc = dict(x=alt.X("year:Q", axis=_year_axis()),
               y=alt.Y("share:Q", title="Share of homicides in the most violent fifth of areas (%)",
                       scale=alt.Scale(domain=[0, 100])),
               color=alt.Color("city:N", title=None, scale=_city_scale(present)))
    tips = [alt.Tooltip("city:N", title="City"), alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("share:Q", title="Share (%)", format=".1f"), alt.Tooltip("areas:N", title="Areas")]
    layers = [*_lines_and_points(d, enc, line_enc={"strokeDash": _city_dash(present)},
                                 point_enc={"shape": _city_shape(present), "tooltip": tips}),
              alt.Chart(pd.DataFrame({"y": [100 * fraction]})).mark_rule(color=REFERENCE_GREY, strokeDash=DOTTED).encode(
                  y="y:Q", tooltip=[alt.Tooltip("y:Q", title="Share with an even spread (%)")])]
    if threshold is not None:
        layers.append(alt.Chart(pd.DataFrame({"y": [float(threshold)]})).mark_rule(
            color=INK, strokeDash=DASHED).encode(y="y:Q", tooltip=[alt.Tooltip("y:Q", title="Claim threshold (%)")]))
    chart = alt.layer(*layers).properties(width=WIDTH, height=260)
    desc = ("Line chart of the share of homicides in the most violent fifth of areas, per year, in "
            + "; ".join(f"{c.name} ({T.num(d.loc[d['city'] == c.name, 'share'].min(), 0)}\u2013"
                        f"{T.num(d.loc[d['city'] == c.name, 'share'].max(), 0)}%)" for c in present) + ".")
    cap = ("Share of each city's homicides in its most violent fifth of areas (comunas, police districts...), "
           "per year; the dotted line is the share an even spread would give"
           + ("; the dashed line is the claim's threshold" if threshold is not None else "")
           + ". Counts, not rates: areas differ in population.")
    srcs = []
    for c in present:
        srcs += _sources_of(c.subcity)
    return _finish(chart, desc, cap, srcs, title="Concentration within cities")


# --------------------------------------------------------------------------- claims
def _selector_colour(sel: dict, cities) -> str:
    for c in cities:
        if c.slug == sel.get("city") or c.country_code == sel.get("country"):
            return city_colour(c)
    return NATIONAL_COLOUR


def _claim_bars(d: pd.DataFrame, marks: list[int], colour: str, ytitle: str, *, x_title: str = "Year",
                threshold: float | None = None, threshold_title: str = "Claim threshold"):
    """Bars by year, the years the claim compares coloured, outlined and labelled (not by colour alone)."""
    d = d.copy()
    d["compared"] = d["year"].isin(marks).map({True: "years compared", False: "other years"})
    domain = ["years compared", "other years"]
    x = alt.X("year:O", title=x_title, axis=alt.Axis(labelAngle=0, labelOverlap=True))
    bars = alt.Chart(d).mark_bar(size=14, stroke=INK).encode(
        x=x, y=alt.Y("value:Q", title=ytitle),
        color=alt.Color("compared:N", title=None, scale=alt.Scale(domain=domain, range=[colour, LIGHT_GREY])),
        strokeWidth=alt.StrokeWidth("compared:N", title=None, scale=alt.Scale(domain=domain, range=[1.5, 0])),
        tooltip=[alt.Tooltip("year:O", title=x_title), alt.Tooltip("value:Q", title=ytitle, format=",.2f")])
    values = alt.Chart(d[d["compared"] == domain[0]]).mark_text(dy=-7, fontSize=11, color=INK).encode(
        x=x, y="value:Q", text=alt.Text("value:Q", format=",.3~r"))
    layers = [bars, values]
    if threshold is not None:
        layers.append(alt.Chart(pd.DataFrame({"y": [float(threshold)]})).mark_rule(
            color=INK, strokeDash=DASHED).encode(y="y:Q", tooltip=[alt.Tooltip("y:Q", title=threshold_title)]))
    return alt.layer(*layers).properties(width=WIDTH - 120, height=200)


def _regional_chart(claim: dict, cities, context):
    """The ratio of a region's share of the world's homicides to its share of the world's population, by year."""
    from . import claims as C

    res = C.check(claim, cities, context)
    if res.sensitivity is None or res.sensitivity.empty:
        return None
    s = res.sensitivity
    d = pd.DataFrame({"year": s["year"].astype(int), "value": s["ratio of shares"].astype(float)})
    thr = float(claim.get("threshold_ratio", 1.0))
    chart = _claim_bars(d, [int(d["year"].max())], NATIONAL_COLOUR,
                        "Share of homicides \u00f7 share of population", threshold=thr,
                        threshold_title="Even share (ratio)")
    name = claim["region_name"]
    desc = (f"Bar chart of {name}'s share of the world's homicides divided by its share of the world's "
            f"population, {T.year_span(d['year'].min(), d['year'].max())} (from {T.ratio(d['value'].min())} to "
            f"{T.ratio(d['value'].max())}); the dashed line marks an even share. Claim: {res.claim} "
            f"Verdict: {res.verdict}. {res.evidence}")
    cap = (f"The data behind the claim \u201c{res.claim}\u201d: {name}'s homicide rate divided by the world "
           "rate, which equals its share of the world's homicides divided by its share of the world's population; "
           "the dashed line marks an even share.")
    return _finish(chart, desc, cap, ["worldbank_wdi"], title=f"{name}: share of homicides against share of people")


def _monthly_occurrence_chart(claim: dict, cities, context):
    """Monthly counts of the claim's first indicator that has months, the claim's month highlighted; None if
    none of its indicators has monthly rows."""
    from . import claims as C

    for sel in claim["data"]:
        m = C.monthly_values(sel, cities)
        if not m.empty:
            break
    else:
        return None
    month = claim["month"]
    city = next(c for c in cities if c.slug == sel["city"])
    label = f"{city.name}, {city.definition(sel['indicator'])['label']}"
    d = pd.DataFrame({"year": list(m.index), "value": m.to_numpy().round(3)})
    chart = _claim_bars(d, [month], _selector_colour(sel, cities), "Notices per month", x_title="Month")
    res = C.check(claim, cities, context)
    desc = (f"Bar chart of {label} by month, {T.month_label(d['year'].iloc[0])} to {T.month_label(d['year'].iloc[-1])}, "
            f"with {T.month_label(month)} highlighted (coloured, outlined and labelled with its value). "
            f"Claim: {res.claim} Verdict: {res.verdict}. {res.evidence}")
    cap = f"The data behind the claim \u201c{res.claim}\u201d: {label}, by month."
    rows = city.indicators_monthly
    srcs = list(rows.loc[rows["indicator"] == sel["indicator"], "source_id"].dropna().astype(str).unique())
    return _finish(chart, desc, cap, srcs, title=f"{label}, by month"[:90])


def claim_chart(claim: dict, cities, context=None):
    """The data that decides a claim: the claim's series around its years (years compared highlighted), the
    concentration of homicides for a concentration claim, a region's ratio of shares, or for a claim the data
    cannot test the series named in its `plot` (None when it has none: the claim's reason is shown instead)."""
    from . import claims as C

    kind = claim["kind"]
    if kind == "concentration":
        return concentration_comparison_chart(cities, claim.get("fraction", 0.2), float(claim["threshold_pct"]))
    if kind == "regional_share":
        return _regional_chart(claim, cities, context)
    if kind == "occurrence" and claim.get("month"):
        chart = _monthly_occurrence_chart(claim, cities, context)
        if chart is not None:
            return chart
    if kind == "occurrence":
        sel = claim["data"][-1]
    elif kind == "not_checkable":
        sel = claim.get("plot")
        if sel is None:
            return None
    else:
        sel = claim["data"]
    found = C.select(sel, cities)
    if not found or found[0][1].empty:
        return None
    label, v, _rows = found[0]
    if kind == "change":
        marks = [int(claim["start"]), int(claim["end"])]
        lo, hi = marks[0] - 4, marks[1] + 4
    elif kind == "spike":
        y = int(claim["year"])
        marks = list(range(y - int(claim.get("baseline_years", 3)), y)) + [y]
        lo, hi = y - 10, y + 2
    elif kind == "occurrence":
        marks = [int(claim["year"])]
        lo, hi = marks[0] - 10, marks[0]
    else:
        marks = []
        lo, hi = int(v.index.min()), int(v.index.max())
    v = v[(v.index >= lo) & (v.index <= hi)]
    d = pd.DataFrame({"year": v.index.astype(int), "value": v.to_numpy().round(3)})
    colour = _selector_colour(sel, cities)
    ind = str(sel.get("indicator", ""))
    rate = sel.get("measure") == metrics.RATE or "rate" in ind
    if rate:
        ytitle = "Per 100,000 inhabitants"
    elif ind:
        ytitle = "Count"
    else:
        ytitle = "Homicides (victims or cases)"
    chart = _claim_bars(d, marks, colour, ytitle)
    res = C.check(claim, cities, context)
    what = ("with the years the claim compares highlighted (coloured, outlined and labelled with their values)"
            if marks else "what the data hold on the claim, which they cannot test")
    desc = (f"Bar chart of {label}, {T.year_span(d['year'].min(), d['year'].max())}, {what}. "
            f"Claim: {res.claim} Verdict: {res.verdict}. {res.evidence}")
    cap = (f"The data behind the claim \u201c{res.claim}\u201d: {label}." if marks else
           f"What the data hold on the claim \u201c{res.claim}\u201d (not checkable with these data): {label}.")
    srcs = list(_rows["source_id"].dropna().astype(str).unique()) if "source_id" in _rows else []
    return _finish(chart, desc, cap, srcs, title=label[:90])
