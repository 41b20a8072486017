"""Prose about context periods, series breaks and differences with published figures, on HAND-MADE TEST INPUTS
(invented rows, never real data, never in the book)."""
from __future__ import annotations

import pandas as pd

from citycases import text
from test_metrics import annual, make_city

HOSTILE = '<script>alert(1)</script>'


def _period(label="Test war", end="2003", description="Hand-made test period."):
    return pd.DataFrame({"city": ["testville"], "start": ["2001-06"], "end": [end], "label": [label],
                         "kind": ["criminal war"], "description": [description], "source_id": [None],
                         "citation": ["Test newspaper"], "citation_url": ["https://example.org/p"]})


def _break(kind="exceptional_event", date="2001-04-07", series="main"):
    return pd.DataFrame({"city": ["testville"], "date": [date], "series": [series], "kind": [kind],
                         "description": ["Hand-made test attack counted in the figures."], "source_id": ["test_source"],
                         "citation": [None], "citation_url": [None]})


def test_periods_passage_lists_each_period_with_dates_and_source():
    text.reset_references()
    out = text.periods_md(make_city(periods=_period()))
    assert "**Test war** (June 2001 to 2003; criminal war)" in out
    assert 'Test newspaper <a class="citation" href="#ref-1"' in out
    assert '<li id="ref-1">Test newspaper. <a href="https://example.org/p">' in text.references_html()
    ongoing = text.periods_md(make_city(periods=_period(end=None)))
    assert "still going on" in ongoing


def test_no_periods_says_so():
    assert "No context periods" in text.periods_md(make_city())


def test_period_text_is_escaped():
    out = text.periods_md(make_city(periods=_period(label=HOSTILE, description=HOSTILE)))
    assert "<script>" not in out


def test_peak_in_a_year_with_an_exceptional_event_says_so():
    c = make_city(annual_rows=annual({2000: 10, 2001: 30, 2002: 12}), breaks=_break())
    out = text.at_a_glance(c)
    assert "exceptional event (7 April 2001)" in out and "Hand-made test attack" in out
    assert "exceptional event (7 April 2001)" in text.summary_md(c)
    # an exceptional event in another year leaves the peak alone
    c2 = make_city(annual_rows=annual({2000: 10, 2001: 30, 2002: 12}), breaks=_break(date="2002-05"))
    assert "exceptional event" not in text.at_a_glance(c2)


def test_breaks_and_differences_appear_in_the_sources_section():
    c = make_city(breaks=_break(kind="definition", date="2001"))
    c.differences = pd.DataFrame({"city": ["testville"], "years": ["2000-2001"], "series": ["main"],
                                  "compared_with": ["Test office, victims"], "explanation": ["Test reason."],
                                  "citation": ["Test page"], "citation_url": ["https://example.org/d"]})
    out = text.sources_section(c)
    assert "**Breaks in the series.**" in out and "what is counted changes" in out
    assert "**Where the book's figures differ from published ones.**" in out and "Test reason." in out
    assert "2000\u20132001" in out
    assert "Breaks in the series" not in text.sources_section(make_city())


def test_references_are_numbered_by_first_citation_and_escaped():
    from test_metrics import TEST_SOURCE
    text.reset_references()
    a = text.cite_page("Paper A: title", "https://example.org/a")
    b = text.cite_source(TEST_SOURCE)
    again = text.cite_page("Paper A: title", "https://example.org/a")
    hostile = text.cite_page(HOSTILE, "javascript:alert(1)")
    assert "[1]" in a and "[2]" in b and again == a and "[3]" in hostile
    refs = text.references_html()
    assert refs.count("<li id=") == 3 and "<script>" not in refs and "javascript:" not in refs
    assert "Test producer" in refs and "Hand-made test data" in refs
    text.reset_references()
    assert "cites no source" in text.references_html()


def test_summary_is_plain_sentences_with_computed_figures():
    # HAND-MADE: 400 -> 100 homicides in a population of 100,000: a clear fall; 20 -> 15: within chance
    big = text.summary_md(make_city(annual_rows=annual({2000: 400, 2001: 300, 2002: 100})))
    assert "peaked in 2000 at 400 per 100,000" in big and "75% lower" in big and "far larger than chance" in big
    assert "first fell to half its peak or less in 2002" in big
    small = text.summary_md(make_city(annual_rows=annual({2000: 20, 2001: 18, 2002: 15})))
    assert "too small to tell apart from year-to-year chance" in small
    assert "chance alone could move a year's figure by about" in small
    assert 3 <= small.count(". ") + 1 <= 6


def test_series_differences_in_plain_words():
    # HAND-MADE: 'close' within 2% of the main series, 'high' 20% above it, 'one' sharing a single year
    main = {2000: 100, 2001: 100, 2002: 100}
    a = pd.concat([annual(main), annual({y: 102 for y in main}, series="close"),
                   annual({y: 120 for y in main}, series="high"), annual({2001: 110}, series="one")],
                  ignore_index=True)
    out = text.sources_section(make_city(annual_rows=a))
    assert "Series close agrees with the main series to within 2% in every year both have (2000–2002)" in out
    assert "Series high runs 20% higher than the main series on average" in out
    assert "Series one is 10% higher than the main series in 2001, the only year both have" in out


def test_national_rise_is_given_as_levels_not_a_change_from_the_trough():
    # HAND-MADE: a low national rate that dips and recovers (no counts, so no interval for a change)
    c = make_city(national={2000: 1.1, 2001: 0.9, 2002: 0.7, 2003: 0.9, 2004: 1.2, 2005: 1.0})
    out = text.contrast_md([c])
    assert "national rate reached 1.2 per 100,000 in 2004, against 1.1 in 2000, the first year" in out, out
    assert "0.7 in 2002, its lowest year" in out
    sentence = out[out.index("national rate reached"):].split("Either way")[0]
    assert "%" not in sentence


def test_numbers_rounded_for_people():
    from citycases.fmt import sig
    assert [sig(x) for x in (1.2, 0.7, 15.0, 266.4, 2754, 11.35, 100.0)] == ["1.2", "0.7", "15", "266", "2,750",
                                                                             "11.4", "100"]
