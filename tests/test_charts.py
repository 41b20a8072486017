"""Unit tests of citycases.charts on HAND-MADE TEST INPUTS (invented numbers, never real data, never in the book):
every builder returns a chart with a screen-reader description and its sources, in the city's colour, embedding
only the rows it draws; hostile text from data stays text."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

from citycases import charts, claims, metrics
from citycases import text as T
from citycases.display import chart_html
from citycases.sources import Source
from test_metrics import TEST_SOURCE, annual, make_city, monthly, subcity

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def full_city(*, name="Testville", index=0, title="Test event"):
    """A hand-made city with every kind of data."""
    a = pd.concat([annual({y: 100 - 5 * (y - 2000) for y in range(2000, 2016)}),
                   annual({y: 90 - 5 * (y - 2000) for y in range(2004, 2012)}, series="alt", pop=None)],
                  ignore_index=True)
    t = np.arange(96)
    m = monthly(list((60 - 20 * (t >= 48) + 10 * (t % 12 == 6)).astype(int)), start="2004-01")
    sub = subcity({y: {"a": 40 + y - 2004, "b": 20, "c": 10, "d": 5, "e": 5} for y in range(2004, 2012)})
    ev = pd.DataFrame({"city": "testville", "date": ["2008-01-01", "2006-05"], "category": ["policing", "political"],
                       "title": [title, "Second test event"], "source_id": ["test_source", None],
                       "citation": [None, "Test newspaper"], "citation_url": [None, "https://example.org/news"]})
    ind = pd.DataFrame({"city": "testville", "year": [2004, 2005, 2006], "indicator": "test_indicator",
                        "value": [1.0, 2.0, 3.0], "unit": "test units", "source_id": "test_source"})
    ctx = pd.DataFrame({"country": "TST", "year": [2004, 2005, 2006], "indicator": "wgi_rule_of_law",
                        "value": [-0.5, -0.4, -0.3], "unit": "estimate", "source_id": "test_source"})
    c = make_city(name=name, index=index, annual_rows=a, monthly_rows=m, subcity_rows=sub, events=ev,
                  indicators=ind, country_rows=ctx, national={y: 10.0 for y in range(2000, 2016)})
    c.definitions = pd.concat([c.definitions, pd.DataFrame({
        "indicator": ["test_indicator", "wgi_rule_of_law"], "label": ["Test indicator", "Rule of law (test)"],
        "definition": ["Hand-made test indicator.", "Hand-made test score."], "unit": ["test units", "estimate"],
        "scope": ["city", "country"]})], ignore_index=True)
    return c


CITY_BUILDERS = ["homicide_trend_chart", "series_comparison_chart", "monthly_chart", "seasonality_chart",
                 "city_indicators_chart", "governance_chart", "concentration_chart", "area_heatmap"]


def all_city_charts(c):
    out = {n: getattr(charts, n)(c) for n in CITY_BUILDERS}
    eff, fits = metrics.event_effects(c)
    out["intervention_chart"] = charts.intervention_chart(c, eff, fits)
    return out


def rows_of(spec: dict) -> list[dict]:
    """Every inline data row of a spec (top-level datasets and inline values anywhere)."""
    out = [r for rows in spec.get("datasets", {}).values() for r in rows]

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("data"), dict) and "values" in x["data"]:
                out.extend(x["data"]["values"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk({k: v for k, v in spec.items() if k != "datasets"})
    return out


def test_every_city_builder_returns_a_described_sourced_chart():
    c = full_city()
    for name, ch in all_city_charts(c).items():
        assert ch is not None, name
        spec = ch.to_dict()
        assert len(spec.get("description", "")) > 40, name
        assert "Testville" in spec["description"] or "Testland" in spec["description"], name
        meta = spec["usermeta"]["citycases"]
        assert meta["caption"] and meta["sources"], name
        assert "data" not in json.dumps(spec.get("data", {})) or "url" not in spec.get("data", {}), name


def test_builders_use_the_city_colour():
    for index in (0, 3):
        c = full_city(index=index)
        colour = charts.city_colour(c)
        assert colour == charts.PALETTE[index]
        for name, ch in all_city_charts(c).items():
            if name in ("governance_chart", "area_heatmap"):
                continue   # national scores are grey; the heat map is a grey scale
            assert colour in json.dumps(ch.to_dict()), name


def test_palette_is_okabe_ito_and_one_colour_per_city():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(charts.PALETTE) == okabe_ito
    assert len({charts.city_colour(i) for i in range(len(charts.PALETTE))}) == len(charts.PALETTE)
    cities = [full_city(name=f"City {i}", index=i) for i in range(3)]
    for c in cities:
        c.slug = c.name.lower().replace(" ", "-")
    spec = charts.all_cities_chart(cities).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == ["City 0", "City 1", "City 2"]
    assert scale["range"] == charts.PALETTE[:3]


def test_missing_data_gives_no_chart():
    c = make_city()
    for name in ("series_comparison_chart", "monthly_chart", "seasonality_chart", "city_indicators_chart",
                 "governance_chart", "concentration_chart", "area_heatmap"):
        assert getattr(charts, name)(c) is None, name
    assert charts.intervention_chart(c, *metrics.event_effects(c)) is None


def test_trend_chart_embeds_only_the_rows_it_draws():
    c = full_city()
    spec = charts.homicide_trend_chart(c).to_dict()
    rows = rows_of(spec)
    main = [r for r in rows if r.get("series", "").startswith("Series main")]
    national = [r for r in rows if r.get("series", "").endswith("national rate")]
    events = [r for r in rows if "event" in r]
    assert len(main) == 16 and len(national) == 16 and len(events) == 2
    # The alternative series has no population, hence no rate: it is not on the rate chart.
    assert len(rows) == 16 + 16 + 2
    allowed = {"series", "t", "year", "rate", "ci_low", "ci_high", "homicides", "status", "kind", "segment", "date",
               "event", "category", "source"}
    assert set().union(*rows) <= allowed


def test_monthly_chart_embeds_one_row_per_month():
    c = full_city()
    rows = [r for r in rows_of(charts.monthly_chart(c).to_dict()) if "label" in r]
    assert len(rows) == 96
    assert set(rows[0]) == {"t", "label", "homicides", "rolling_mean"}


def test_trend_chart_has_scale_switch_and_legend_selection():
    spec = charts.homicide_trend_chart(full_city()).to_dict()
    params = {p["name"]: p for p in spec.get("params", [])}
    assert params["yscale"]["bind"]["input"] == "radio"
    assert params["yscale"]["bind"]["options"] == ["linear", "log"]
    text = json.dumps(spec)
    assert '"bind": "legend"' in text


def test_events_are_rules_with_event_and_source_tooltips():
    c = full_city(title="Test policing operation")
    spec = charts.homicide_trend_chart(c).to_dict()
    rules = [ln for ln in spec["layer"] if (ln.get("mark") == "rule" or (isinstance(ln.get("mark"), dict)
                                                                      and ln["mark"].get("type") == "rule"))]
    assert rules
    tips = {t["field"] for t in rules[0]["encoding"]["tooltip"]}
    assert {"event", "date", "source"} <= tips
    ev = charts.events_frame(c)
    assert ev.loc[ev["event"] == "Test policing operation", "source"].iloc[0] == "Test producer: Hand-made test data"
    assert ev.loc[ev["event"] == "Second test event", "source"].iloc[0] == "Test newspaper"


def test_hostile_text_stays_text():
    c = full_city(name=HOSTILE, title=HOSTILE)
    for name, ch in all_city_charts(c).items():
        spec = ch.to_dict()
        if name == "governance_chart":
            continue   # national scores: names the country only
        # Vega draws titles, tooltips and descriptions as text; the raw string is kept (not double-escaped) ...
        assert HOSTILE in json.dumps(spec, ensure_ascii=False) or HOSTILE in str(spec), name
        # ... and the page's HTML cannot be broken out of: no raw tag from data survives in the embed code.
        html = chart_html(spec)
        assert "<script>alert" not in html and "<img src=x" not in html, name
    tips = charts.events_frame(c)["event"]
    assert HOSTILE in list(tips)


def test_caption_escapes_source_text_and_rejects_bad_urls():
    bad = Source(id="bad", producer=HOSTILE, title="[click](javascript:alert(1))", citation="Hand-made test input",
                 url_main="javascript:alert(1)", url_download="https://example.org", date_accessed="2020-01-01",
                 licence="none", files=(), registry_file=None)
    ch = charts.homicide_trend_chart(full_city())
    ch = ch.properties(usermeta={"citycases": {"caption": HOSTILE, "sources": ["bad", "test_source"]}})
    T.reset_references()
    md = charts.caption_markdown(ch, {"bad": bad, "test_source": TEST_SOURCE})
    # One short line: producers, then numbered links to the page's references (our own markup, removed here).
    ours = re.sub(r'<a class="citation" href="#ref-\d" title="Reference \d">\[\d\]</a>', "", md)
    assert md.count('class="citation"') == 2 and "Test producer" in md
    # Every "<" and "[" from data is backslash-escaped (Markdown shows it as text); no link to javascript:.
    assert not re.search(r"(?<!\\)[<>\[\]]", ours)
    refs = T.references_html()
    assert 'href="javascript' not in refs and "<script>" not in refs and "Hand-made test data" in refs


def test_show_displays_chart_then_caption(monkeypatch):
    shown = []
    import IPython.display
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    ch = charts.homicide_trend_chart(full_city())
    charts.show(ch, {"test_source": TEST_SOURCE})
    assert shown[0] is ch
    assert "Sources:" in shown[1].data or "Source:" in shown[1].data
    shown.clear()
    charts.show(None, {})
    assert shown == []


def test_comparison_charts():
    cities = [full_city(name="Alpha", index=0), full_city(name="Beta", index=1)]
    cities[1].slug, cities[1].entry = "beta", dict(cities[1].entry, slug="beta", country="TSU", country_name="Testuland")
    cities[1].country = cities[1].country.assign(country="TSU")
    for fn in (charts.all_cities_chart, charts.indexed_chart, charts.national_rates_chart, charts.governance_scatter,
               charts.concentration_comparison_chart):
        ch = fn(cities)
        assert ch is not None, fn.__name__
        spec = ch.to_dict()
        assert spec["description"] and spec["usermeta"]["citycases"]["sources"], fn.__name__
        text = json.dumps(spec)
        assert charts.PALETTE[0] in text and charts.PALETTE[1] in text, fn.__name__


def test_claim_charts():
    c = full_city()
    change = {"id": "t", "kind": "change", "subject": "Testville's rate", "start": 2002, "end": 2010,
              "direction": "fall", "threshold_pct": 30, "data": {"city": "testville", "measure": "homicide_rate"}}
    ch = charts.claim_chart(change, [c])
    assert ch is not None and "Verdict" in ch.to_dict()["description"]
    conc = {"id": "c", "kind": "concentration", "fraction": 0.2, "threshold_pct": 40, "claim": "Test."}
    assert charts.claim_chart(conc, [c]) is not None
    assert charts.claim_chart(dict(change, data={"city": "nowhere"}), [c]) is None
    assert claims.anchor("Odd id/2") == "claim-odd-id-2"


def _units(spec: dict):
    """Every single-view spec of a (layered/concatenated) chart spec."""
    if "mark" in spec:
        yield spec
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for sub in spec.get(key, []):
            yield from _units(sub)


def colour_only_fields(spec: dict) -> list[str]:
    """Nominal fields told apart by colour and by nothing else (no dash, shape, outline or text on the same
    field), per chart panel."""
    panels = spec.get("concat") or spec.get("hconcat") or spec.get("vconcat") or [spec]
    found = []
    for panel in panels:
        units = list(_units(panel))
        coloured = {u["encoding"]["color"]["field"] for u in units
                    if u.get("encoding", {}).get("color", {}).get("type") == "nominal"}
        other = {u["encoding"][ch]["field"] for u in units for ch in ("strokeDash", "shape", "strokeWidth", "text")
                 if "field" in u.get("encoding", {}).get(ch, {})}
        found += sorted(coloured - other)
    return found


def test_colour_is_never_the_only_carrier_of_meaning():
    c = full_city()
    for name, ch in all_city_charts(c).items():
        assert colour_only_fields(ch.to_dict()) == [], name
    cities = [full_city(name="Alpha", index=0), full_city(name="Beta", index=1)]
    cities[1].slug, cities[1].entry = "beta", dict(cities[1].entry, slug="beta", country="TSU", country_name="Testuland")
    cities[1].country = cities[1].country.assign(country="TSU")
    for fn in (charts.all_cities_chart, charts.indexed_chart, charts.national_rates_chart, charts.governance_scatter,
               charts.concentration_comparison_chart):
        spec = fn(cities).to_dict()
        assert colour_only_fields(spec) == [], fn.__name__
    change = {"id": "t", "kind": "change", "subject": "Testville's rate", "start": 2002, "end": 2010,
              "direction": "fall", "threshold_pct": 30, "data": {"city": "testville", "measure": "homicide_rate"}}
    assert colour_only_fields(charts.claim_chart(change, [c]).to_dict()) == []
    # the checker itself: a hand-made chart told apart by colour alone is caught
    import altair as alt
    bad = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [1, 2], "k": ["a", "b"]})).mark_line().encode(
        x="x:Q", y="y:Q", color="k:N")
    assert colour_only_fields(bad.to_dict()) == ["k"]


def test_lines_break_at_missing_years():
    """Hand-made series with a gap (2018-2023 missing): the gap starts a new segment, so no line bridges it."""
    d = pd.DataFrame({"series": ["a"] * 5 + ["b"] * 3,
                      "year": [2015, 2016, 2017, 2024, 2025, 2015, 2016, 2017]})
    seg = charts.with_segments(d, "series")
    a = seg[seg["series"] == "a"]
    assert list(a["segment"]) == [0, 0, 0, 1, 1]
    assert set(seg.loc[seg["series"] == "b", "segment"]) == {0}


# --------------------------------------------------------------------------- periods, breaks, small-count bands
def _context_city():
    """HAND-MADE TEST INPUT: small counts (under 100 a year), one period, one break."""
    periods = pd.DataFrame({"city": "testville", "start": ["2001", "2003-06"], "end": ["2002-12", None],
                            "label": ["Test war", "Test truce"], "kind": ["criminal war", "truce"],
                            "description": ["Hand-made test period.", "Another hand-made test period."],
                            "source_id": "test_source", "citation": None, "citation_url": None})
    breaks = pd.DataFrame({"city": ["testville"], "date": ["2002"], "series": ["main"], "kind": ["definition"],
                           "description": ["Hand-made test break."], "source_id": ["test_source"],
                           "citation": [None], "citation_url": [None]})
    a = annual({y: 20 + y - 2000 for y in range(2000, 2006)})
    a["rate_ci_low"] = a["homicide_rate"] * 0.7
    a["rate_ci_high"] = a["homicide_rate"] * 1.4
    return make_city(annual_rows=a, periods=periods, breaks=breaks)


def test_trend_chart_draws_periods_breaks_and_small_count_intervals():
    c = _context_city()
    spec = charts.homicide_trend_chart(c).to_dict(validate=False)
    text = json.dumps(spec)
    rows = rows_of(spec)
    assert {r.get("label") for r in rows} >= {"Test war", "Test truce"}          # bands (and their labels)
    assert any(r.get("kind") == "definition" and r.get("description") == "Hand-made test break." for r in rows)
    assert any("ci_low" in r and r.get("year") == 2003 for r in rows)            # interval band rows
    assert "rect" in text and "area" in text
    desc = spec["description"]
    assert "Test war" in desc and "break" in desc and "95% interval" in desc
    # the open-ended period runs to the end of the chart, not beyond it
    truce = next(r for r in rows if r.get("label") == "Test truce" and "t1" in r)
    assert truce["t1"] <= 2005.5 + 1e-9


def test_no_interval_band_where_counts_are_large():
    a = annual({y: 500 + y - 2000 for y in range(2000, 2006)})
    a["rate_ci_low"] = a["homicide_rate"] * 0.9
    a["rate_ci_high"] = a["homicide_rate"] * 1.1
    spec = charts.homicide_trend_chart(make_city(annual_rows=a)).to_dict(validate=False)
    assert not any("ci_low" in r and "rate" not in r for r in rows_of(spec))   # no band rows
    assert "95% interval" not in spec["description"]


def test_breaks_are_drawn_on_the_headline_and_monthly_charts():
    # HAND-MADE: a definition break in the main series, which also has monthly counts
    t = np.arange(48)
    breaks = pd.DataFrame({"city": ["testville"], "date": ["2002-06"], "series": ["main"], "kind": ["definition"],
                           "description": ["Hand-made test break."], "source_id": ["test_source"],
                           "citation": [None], "citation_url": [None]})
    c = make_city(annual_rows=annual({y: 20 + y - 2000 for y in range(2000, 2006)}),
                  monthly_rows=monthly(list((30 + (t % 5)).astype(int)), start="2000-01"), breaks=breaks)
    for builder in (charts.headline_chart, charts.monthly_chart):
        spec = builder(c).to_dict(validate=False)
        assert any(r.get("description") == "Hand-made test break." for r in rows_of(spec)), builder.__name__
        assert "break" in spec["description"], builder.__name__


def test_front_page_panels_draw_each_citys_own_breaks_but_not_exceptional_events():
    # HAND-MADE: two cities; the first has a definition break and an exceptional event, the second none
    breaks = pd.DataFrame({"city": ["testville"] * 2, "date": ["2002-06", "2003"], "series": ["main", "all"],
                           "kind": ["definition", "exceptional_event"],
                           "description": ["Hand-made test break.", "Hand-made test attack."],
                           "source_id": ["test_source"] * 2, "citation": [None] * 2, "citation_url": [None] * 2})
    a = make_city(annual_rows=annual({y: 20 + y - 2000 for y in range(2000, 2006)}), breaks=breaks)
    b = make_city(annual_rows=annual({y: 40 for y in range(2000, 2006)}), name="Otherville", index=1)
    spec = charts.small_multiples_chart([a, b]).to_dict(validate=False)
    rows = rows_of(spec)
    drawn = [r for r in rows if r.get("description") in ("Hand-made test break.", "Hand-made test attack.")]
    assert [(r["city"], r["description"]) for r in drawn] == [(a.name, "Hand-made test break.")]
    assert "break" in spec["description"] and "breaks in a series" in spec["usermeta"]["citycases"]["caption"]
    # without any break the chart says nothing about breaks
    plain = charts.small_multiples_chart([b]).to_dict(validate=False)
    assert "break" not in plain["description"] and "break" not in plain["usermeta"]["citycases"]["caption"]


def test_monthly_indicators_chart_one_panel_per_indicator_in_defined_order():
    # HAND-MADE monthly counts of two indicators of a test city
    c = make_city()
    c.definitions = pd.DataFrame({"indicator": ["test_b", "test_a"], "label": ["B things (Test feed)", "A things"],
                                  "definition": ["Hand-made.", "Hand-made."], "unit": ["n", "n"],
                                  "scope": ["city", "city"]})
    c.indicators_monthly = pd.DataFrame({"city": "testville", "month": ["2024-01", "2024-02"] * 2,
                                         "indicator": ["test_a", "test_a", "test_b", "test_b"],
                                         "value": [1, 0, 5, 2], "unit": "n", "source_id": "test_source"})
    spec = charts.monthly_indicators_chart(c).to_dict(validate=False)
    assert spec["facet"]["sort"] == ["B things", "A things"]       # defined order, parenthesis dropped
    assert {r["label"] for r in rows_of(spec)} == {"B things", "A things"}
    assert "January 2024 to February 2024" in spec["description"]
    c.indicators_monthly = c.indicators_monthly.iloc[0:0]
    assert charts.monthly_indicators_chart(c) is None
    assert T.monthly_indicators_md(c) == ""


def test_falls_from_the_peak_bands_small_counts_and_warns_of_a_chance_peak():
    # HAND-MADE: a small-count city (peak 30 victims) and a large one (peak 3,000)
    small = annual({2000: 20, 2001: 30, 2002: 15})
    small["rate_ci_low"], small["rate_ci_high"] = small["homicide_rate"] * 0.7, small["homicide_rate"] * 1.4
    big = annual({2000: 2000, 2001: 3000, 2002: 1500}, city="bigville")
    big["rate_ci_low"], big["rate_ci_high"] = big["homicide_rate"] * 0.97, big["homicide_rate"] * 1.03
    a = make_city(annual_rows=small)
    b = make_city(annual_rows=big, slug="bigville", name="Bigville", index=1)
    spec = charts.indexed_chart([a, b]).to_dict(validate=False)
    banded = {(r["city"], r["year"]) for r in rows_of(spec) if r.get("lo") is not None and not math.isnan(r["lo"])}
    assert banded == {("Testville", y) for y in (2000, 2001, 2002)}
    cap = spec["usermeta"]["citycases"]["caption"]
    assert "shaded bands" in cap and "peak year of Testville is partly chance" in cap and "Bigville is" not in cap
    only_big = charts.indexed_chart([b]).to_dict(validate=False)
    assert "shaded bands" not in only_big["usermeta"]["citycases"]["caption"]
    assert "partly chance" not in only_big["usermeta"]["citycases"]["caption"]
