"""Unit tests of citycases.claims (and the claim charts).

Every frame here is a HAND-MADE TEST INPUT (small invented numbers chosen to make the expected answer obvious);
none of these values is data about any real city, and none of them reaches the book. Several tests change the
hand-made data and check that the verdict flips with it, so a checker that ignored the data would fail them.
"""
from __future__ import annotations

import re

import pandas as pd

from citycases import charts, claims
from test_metrics import SUB, annual, empty, make_city, monthly


def _claim(**kw):
    base = {"id": "test", "kind": "change", "subject": "Testville's rate", "data": {"city": "testville",
            "measure": "homicide_rate"}, "start": 2000, "end": 2005, "direction": "fall", "threshold_pct": 80}
    base.update(kw)
    return base


def _two_series(main: dict, other: dict, other_pop=100_000) -> pd.DataFrame:
    """HAND-MADE: a main series and a second series ('other') of the same city."""
    return pd.concat([annual(main), annual(other, series="other", pop=other_pop)], ignore_index=True)


def _indicators(rows: dict[str, dict[int, float]], city="testville") -> pd.DataFrame:
    """HAND-MADE city indicator rows."""
    return pd.DataFrame([{"city": city, "year": y, "indicator": ind, "value": v, "unit": "count",
                          "source_id": "test_source"} for ind, vals in rows.items() for y, v in vals.items()])


# --------------------------------------------------------------------------- change
def test_change_claim_verdicts():
    city = make_city(annual_rows=annual({2000: 100, 2005: 10}))
    assert claims.check(_claim(), [city]).verdict == claims.HOLDS
    city2 = make_city(annual_rows=annual({2000: 100, 2005: 30}))
    assert claims.check(_claim(), [city2]).verdict == claims.FAILS
    city3 = make_city(annual_rows=annual({2001: 100, 2005: 10}))
    assert claims.check(_claim(), [city3]).verdict == claims.UNCHECKABLE


def test_change_claim_uses_the_interval_of_the_change():
    # HAND-MADE: the same -85% from 20 to 3 homicides (chance could explain a much smaller fall) and from
    # 10,000 to 1,500 (it could not).
    small = claims.check(_claim(), [make_city(annual_rows=annual({2000: 20, 2005: 3}))])
    assert small.verdict == claims.CAVEATS and "95% interval" in small.evidence
    assert any("threshold" in n for n in small.notes)
    large = claims.check(_claim(), [make_city(annual_rows=annual({2000: 10_000, 2005: 1_500}, pop=10_000_000))])
    assert large.verdict == claims.HOLDS and not large.notes


def test_change_claim_caveat_for_preliminary_years():
    city = make_city(annual_rows=annual({2000: 100, 2005: 10}, status={2005: "preliminary"}))
    assert claims.check(_claim(), [city]).verdict == claims.CAVEATS


def test_another_series_that_disagrees_makes_it_depend_on_the_series_and_agreeing_data_do_not():
    # HAND-MADE: the main series falls by 90%, the other by 60%: the verdict depends on the series...
    r = claims.check(_claim(), [make_city(annual_rows=_two_series({2000: 100, 2005: 10}, {2000: 100, 2005: 40}))])
    assert r.verdict == claims.DEPENDS
    assert "depends on the series" in r.notes[0] and "Series other" in r.notes[0] and "does not meet" in r.notes[0]
    t = r.sensitivity
    assert {"main (and comparable) series", "other measure", "other series", "years moved"} <= set(t["variant"])
    other = t[t["variant"] == "other series"].iloc[0]
    assert other["change (%)"] == -60.0 and other["verdict"] == "does not meet it"
    assert other["95% low (%)"] < -60 < other["95% high (%)"]
    # ...and when the other series is changed to fall as far, the claim holds.
    r2 = claims.check(_claim(), [make_city(annual_rows=_two_series({2000: 100, 2005: 10}, {2000: 100, 2005: 8}))])
    assert r2.verdict == claims.HOLDS


def test_a_failing_claim_that_another_series_meets_also_depends_on_the_series():
    r = claims.check(_claim(), [make_city(annual_rows=_two_series({2000: 100, 2005: 40}, {2000: 100, 2005: 10}))])
    assert r.verdict == claims.DEPENDS and "meets the claim" in r.notes[0]


def test_the_comparable_series_is_an_alternative():
    a = _two_series({2000: 100, 2005: 10}, {2000: 100, 2005: 50})
    r = claims.check(_claim(), [make_city(annual_rows=a, comparable="other")])
    assert r.verdict == claims.DEPENDS
    assert "comparable series" in set(r.sensitivity["variant"])


def test_a_series_listed_as_not_an_alternative_does_not_flip_the_verdict():
    a = _two_series({2000: 100, 2005: 10}, {2000: 100, 2005: 40})
    r = claims.check(_claim(not_alternatives={"other": "a hand-made subset"}), [make_city(annual_rows=a)])
    assert r.verdict == claims.HOLDS
    assert "not used" in set(r.sensitivity["verdict"])


def test_a_series_that_does_not_cover_the_years_is_listed_but_not_used():
    a = _two_series({2000: 100, 2005: 10}, {2003: 100, 2004: 90})
    r = claims.check(_claim(), [make_city(annual_rows=a)])
    assert r.verdict == claims.HOLDS
    row = r.sensitivity[r.sensitivity["variant"] == "other series"].iloc[0]
    assert row["verdict"] == "not covered" and row["years"] == "has 2003\u20132004"


def test_moving_an_end_year_that_flips_the_verdict_is_a_caveat():
    # HAND-MADE: 2000 -> 2005 falls by 90%, but 2000 -> 2006 only by 50%.
    a = annual({1999: 100, 2000: 100, 2001: 100, 2004: 10, 2005: 10, 2006: 50})
    r = claims.check(_claim(), [make_city(annual_rows=a)])
    assert r.verdict == claims.CAVEATS
    assert any("2000\u20132006" in n and "would not hold" in n for n in r.notes)
    moved = r.sensitivity[r.sensitivity["variant"] == "years moved"]
    assert list(moved["years"]) == ["1999\u20132005", "2001\u20132005", "2000\u20132004", "2000\u20132006"]
    # change 2006 so that it also falls by 90%: no caveat left
    a2 = annual({1999: 100, 2000: 100, 2001: 100, 2004: 10, 2005: 10, 2006: 10})
    assert claims.check(_claim(), [make_city(annual_rows=a2)]).verdict == claims.HOLDS


# --------------------------------------------------------------------------- spike
def _spike_city(main, other):
    rows = pd.DataFrame(
        [{"country": "TST", "year": y, "indicator": "test_count", "value": v, "unit": "cases", "source_id": "t"}
         for y, v in main.items()]
        + [{"country": "TST", "year": y, "indicator": "test_other", "value": v, "unit": "cases", "source_id": "t"}
           for y, v in other.items()])
    return make_city(country_rows=rows)


SPIKE = {"id": "s", "kind": "spike", "subject": "Testland's homicides",
         "data": {"country": "TST", "indicator": "test_count"}, "year": 2022, "baseline_years": 3,
         "threshold_pct": 20}


def test_spike_claim():
    city = _spike_city({2019: 100, 2020: 100, 2021: 100, 2022: 150, 2023: 110}, {})
    assert claims.check(SPIKE, [city]).verdict == claims.HOLDS
    assert claims.check(dict(SPIKE, year=2023), [city]).verdict == claims.FAILS
    assert claims.check(dict(SPIKE, year=2030), [city]).verdict == claims.UNCHECKABLE


def test_spike_depends_on_the_series_and_not_on_a_measure():
    main = {2019: 100, 2020: 100, 2021: 100, 2022: 150, 2023: 110}
    flat = {2019: 100, 2020: 100, 2021: 100, 2022: 101, 2023: 100}
    city = _spike_city(main, flat)
    also = [{"country": "TST", "indicator": "test_other"}]
    r = claims.check(dict(SPIKE, also=also), [city])
    assert r.verdict == claims.DEPENDS and "test_other" in r.notes[0]
    assert set(r.sensitivity["variant"]) == {"main series", "other series", "neighbouring year"}
    # the same disagreement from another measure of the same count is a caveat, not a flip of series
    r2 = claims.check(dict(SPIKE, also=[dict(also[0], role="measure")]), [city])
    assert r2.verdict == claims.CAVEATS
    # and when the other series spikes too, the claim holds
    assert claims.check(dict(SPIKE, also=also), [_spike_city(main, main)]).verdict == claims.HOLDS


# --------------------------------------------------------------------------- concentration
def test_concentration_claim():
    c = {"id": "c", "kind": "concentration", "claim": "Test claim.", "fraction": 0.4, "threshold_pct": 60}
    with_sub = make_city(subcity_rows=SUB)
    without = make_city(slug="other", name="Otherville", index=1)
    r = claims.check(c, [with_sub])
    assert r.verdict == claims.CAVEATS      # counts, not rates: always a caveat
    assert any("counts, not rates" in n for n in r.notes)
    assert "main test" in set(r.sensitivity["variant"]) and "other fraction" in set(r.sensitivity["variant"])
    assert claims.check(dict(c, threshold_pct=90), [with_sub]).verdict == claims.FAILS
    assert claims.check(c, [without]).verdict == claims.UNCHECKABLE


# --------------------------------------------------------------------------- occurrence
OCC = {"id": "o", "kind": "occurrence", "claim": "Blasts struck Testville as recently as January 2025.",
       "data": [{"city": "testville", "indicator": "test_blasts"}], "year": 2025, "month": "2025-01",
       "event": {"city": "testville", "match": "blast"}}


def _occ_city(count_2025: int, event_date: str | None, months: dict[str, int] | None = None):
    ev = empty(["city", "date", "category", "title", "source_id", "citation", "citation_url"])
    if event_date:
        ev = pd.DataFrame([{"city": "testville", "date": event_date, "category": "criminal event",
                            "title": "A hand-made test blast", "source_id": "test_source", "citation": None,
                            "citation_url": None}])
    c = make_city(indicators=_indicators({"test_blasts": {2024: 3, 2025: count_2025}}), events=ev)
    if months is not None:   # HAND-MADE monthly counts of the same indicator
        c.indicators_monthly = pd.DataFrame({"city": "testville", "month": list(months), "indicator": "test_blasts",
                                             "value": list(months.values()), "unit": "notices",
                                             "source_id": "test_source"})
    return c


def test_occurrence_claim():
    ok = claims.check(OCC, [_occ_city(5, "2025-01-12")])
    assert ok.verdict == claims.CAVEATS and "January 2025" in ok.evidence
    assert list(ok.sensitivity["period"]) == ["2024", "2025"]
    assert any("rests on the dated event" in n for n in ok.notes)
    # no blast counted in 2025: the claim does not hold
    assert claims.check(OCC, [_occ_city(0, "2025-01-12")]).verdict == claims.FAILS
    # blasts counted but no dated event in January: the month cannot be confirmed
    r = claims.check(OCC, [_occ_city(5, "2025-06-01")])
    assert r.verdict == claims.CAVEATS and any("cannot be confirmed" in n for n in r.notes)
    assert claims.check(dict(OCC, year=2030), [_occ_city(5, None)]).verdict == claims.UNCHECKABLE


def test_occurrence_claim_with_monthly_counts():
    months = {"2024-11": 1, "2024-12": 3, "2025-01": 4, "2025-02": 0}
    r = claims.check(OCC, [_occ_city(5, None, months)])
    # the month is confirmed by its own count, with no dated event needed
    assert r.verdict == claims.CAVEATS
    assert "5 in 2025, 4 of them in January 2025 (a monthly mean of 2.0 over the 2 months before)" in r.evidence
    assert not any("rests on the dated event" in n or "cannot be confirmed" in n for n in r.notes)
    assert list(r.sensitivity["variant"])[0] == "the month itself"
    # none counted in January and no dated event: the claim does not hold for that month
    none = claims.check(OCC, [_occ_city(5, None, dict(months, **{"2025-01": 0}))])
    assert none.verdict == claims.FAILS
    # none counted but a dated event in January: the month rests on the event
    ev = claims.check(OCC, [_occ_city(5, "2025-01-12", dict(months, **{"2025-01": 0}))])
    assert ev.verdict == claims.CAVEATS and any("rests on the dated event" in n for n in ev.notes)


# --------------------------------------------------------------------------- regional share
REG = {"id": "r", "kind": "regional_share", "claim": "Testregion's violence is disproportionate.",
       "region": "TRG", "region_name": "Testregion", "world": "WLD", "indicator": "test_rate", "threshold_ratio": 1.0}


def _context(region: dict[int, float], world: dict[int, float]) -> pd.DataFrame:
    rows = [{"country": "TRG", "year": y, "indicator": "test_rate", "value": v} for y, v in region.items()]
    rows += [{"country": "WLD", "year": y, "indicator": "test_rate", "value": v} for y, v in world.items()]
    return pd.DataFrame(rows).assign(unit="per 100,000", source_id="test_source")


def test_regional_share_is_the_ratio_of_rates():
    # HAND-MADE: a rate of 20 against a world rate of 5: four times its share of population.
    r = claims.check(REG, [make_city()], _context({2020: 20, 2021: 20}, {2020: 5, 2021: 5}))
    assert r.verdict == claims.CAVEATS and "4.0\u00d7" in r.evidence
    assert list(r.sensitivity["ratio of shares"]) == [4.0, 4.0]
    assert claims.check(REG, [make_city()], _context({2020: 4}, {2020: 5})).verdict == claims.FAILS
    assert claims.check(REG, [make_city()], _context({2020: 20}, {2021: 5})).verdict == claims.UNCHECKABLE


# --------------------------------------------------------------------------- not checkable
def test_not_checkable_claim_shows_what_the_data_hold():
    ev = pd.DataFrame([{"city": "testville", "date": "2013-10-15", "category": "political",
                        "title": "Hand-made council dissolved for infiltration", "source_id": "test_source",
                        "citation": None, "citation_url": None}])
    city = make_city(indicators=_indicators({"test_assoc": {2016: 2, 2017: 1}}), events=ev,
                     monthly_rows=monthly([10] * 24, start="2009-01"))
    c = {"id": "q", "kind": "not_checkable", "claim": "Hand-made claim.", "reason": "a test reason",
         "would_decide": "test data",
         "show": [{"city": "testville", "indicator": "test_assoc"},
                  {"city": "testville", "table": "events", "match": "dissol"},
                  {"city": "testville", "months": ["2010-01", "2010-06"], "before": ["2009-01", "2009-06"]}]}
    r = claims.check(c, [city])
    assert r.verdict == claims.UNCHECKABLE and r.would_decide == "test data" and "a test reason" in r.evidence
    assert list(r.data["values"])[:2] == ["2016: 2; 2017: 1", "Hand-made council dissolved for infiltration"]
    assert "60 then 60" in r.data["values"].iloc[2]


# --------------------------------------------------------------------------- the registry
def test_every_registered_claim_has_a_known_kind_unique_id_and_its_source():
    ids = [c["id"] for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    assert sorted(c["n"] for c in claims.CLAIMS) == list(range(1, 12))   # the essay's eleven claims
    for c in claims.CLAIMS:
        assert c["kind"] in claims.KINDS
        for cit in [c["source"], *c.get("citations", [])]:
            assert {"publisher", "title", "year", "url"} <= set(cit) and cit["url"].startswith("https://")
        if c["kind"] == "not_checkable":
            assert c["reason"] and c["would_decide"]
        # a claim quoting a figure other than a year names where the figure comes from
        figures = [x for x in re.findall(r"\d[\d,.]*", c["claim"]) if not re.fullmatch(r"(19|20)\d\d", x)]
        assert not figures or c.get("source") or c.get("citations")


def test_claims_table_escapes_text():
    r = claims.Result("x", '<script>alert(1)</script>"><img src=x onerror=alert(2)>', claims.HOLDS, "1 & 2",
                      None, ["<b>note</b>"], would_decide="<i>x</i>",
                      source={"publisher": "<b>P</b>", "title": "T", "year": 2025, "url": "javascript:alert(1)"})
    html = claims.claims_html([r])
    assert "<script>" not in html and "<img" not in html and "<b>note" not in html and "<i>x" not in html
    assert "javascript:" not in html and "&lt;b&gt;P" in html
    assert "&lt;script&gt;" in html and 'href="#claim-x"' in html


def test_sensitivity_table_is_escaped():
    hostile = {"main": {"label": "<script>x</script>", "definition": "Hand-made test series."}}
    r = claims.check(_claim(), [make_city(series=hostile, annual_rows=annual({2000: 100, 2005: 10}))])
    html = claims.sensitivity_html(r)
    assert "<script>x" not in html and "&lt;script&gt;" in html and "<table" in html


# --------------------------------------------------------------------------- charts of the new kinds
def test_claim_charts_of_the_new_kinds():
    city = _occ_city(5, "2025-01-12")
    occ = charts.claim_chart(OCC, [city]).to_dict()
    assert "January 2025" in occ["description"]
    reg = charts.claim_chart(REG, [city], _context({2020: 20}, {2020: 5})).to_dict()
    assert "even share" in reg["description"]
    nc = {"id": "q", "kind": "not_checkable", "claim": "Hand-made claim.", "reason": "r", "would_decide": "d"}
    assert charts.claim_chart(nc, [city]) is None
    plotted = charts.claim_chart(dict(nc, plot={"city": "testville", "indicator": "test_blasts"}), [city]).to_dict()
    assert "cannot test" in plotted["description"]


def test_occurrence_chart_shows_the_months_when_there_are_monthly_counts():
    from citycases import charts

    months = {"2024-11": 1, "2024-12": 3, "2025-01": 4, "2025-02": 0}
    spec = charts.claim_chart(OCC, [_occ_city(5, None, months)]).to_dict(validate=False)
    rows = [r for ds in spec.get("datasets", {}).values() for r in ds]
    compared = {r["year"] for r in rows if r.get("compared") == "years compared"}
    assert compared == {"2025-01"} and {r["year"] for r in rows} >= set(months)
    assert "by month" in spec["usermeta"]["citycases"]["caption"]
    # with annual counts only, the chart stays annual
    annual = charts.claim_chart(OCC, [_occ_city(5, "2025-01-12")]).to_dict(validate=False)
    assert "by month" not in annual["usermeta"]["citycases"]["caption"]
