"""citycases.text on HAND-MADE TEST CITIES (invented rows, never real data, never in the book): every section of
the chapter, the comparison and the front page says so in one sentence when a city has no such data, and the
formatting helpers (citycases.fmt) behave as the prose expects."""
from __future__ import annotations

import sys

import pandas as pd
import pytest

from citycases import fmt, text
from test_metrics import annual, make_city, monthly


def _no_figures():
    """A hand-made city whose only annual row has neither a count nor a rate."""
    return make_city(annual_rows=annual({2000: None}, pop=None))


def _counts_only():
    return make_city(annual_rows=annual({2000: 10, 2001: 12, 2002: 9}, pop=None))


def _events(*categories):
    return pd.DataFrame({"city": "testville", "date": [f"200{i}" for i in range(len(categories))],
                         "category": list(categories), "title": [f"Test event {i}" for i in range(len(categories))],
                         "source_id": "test_source", "citation": None, "citation_url": None})


# --------------------------------------------------------------------------- chapter sections, no data
def test_summary_and_at_a_glance_without_annual_figures():
    c = _no_figures()
    assert text.summary_md(c) == "There are no annual homicide figures for Testville in these data."
    assert text.at_a_glance(c) == "There are no annual homicide figures for Testville in these data."


def test_at_a_glance_without_population_or_national_rate():
    out = text.at_a_glance(_counts_only())
    assert "No population is available for the main series" in out
    assert "no year has both a city rate and a national rate" in out
    assert "has not fallen to half its peak" in out


def test_sources_section_with_a_single_series_and_no_breaks_or_differences():
    c = make_city()
    out = text.sources_section(c)
    assert "Testville has a single homicide series in these data" in out
    assert text.breaks_md(c) is None and text.differences_md(c) is None
    assert "Breaks in the series" not in out and "differ from published ones" not in out


def test_trend_notes_without_national_rate_and_with_a_counts_only_series():
    out = text.trend_notes(_counts_only())
    assert "There is no national homicide rate for Testland in these data." in out
    assert "Series main has no population denominator here" in out


def test_periods_without_periods():
    assert text.periods_md(make_city()).startswith("No context periods")


def test_monthly_summary_without_monthly_counts():
    assert text.monthly_summary(make_city()) == "There are no monthly homicide counts for Testville in these data."


def test_monthly_summary_with_too_few_events_for_seasonality():
    out = text.monthly_summary(make_city(monthly_rows=monthly([2, 3, 1, 2] * 9)))
    assert "No seasonal pattern is estimated" in out


def test_events_and_effects_without_events():
    c = make_city()
    assert text.events_md(c) == "There are no dated events for Testville in these data."
    assert "nothing to estimate before and after" in text.effects_md(c, None)


def test_effects_when_no_event_is_an_intervention_or_none_has_enough_data():
    context = make_city(events=_events("context", "context"))
    assert "None of the 2 dated events for Testville is an intervention" in text.effects_md(context, None)
    short = make_city(events=_events("policing"))
    assert "None of the 1 intervention for Testville has enough data" in text.effects_md(short, pd.DataFrame())


def test_governance_without_city_indicators_or_national_scores():
    c = make_city()
    out = text.governance_md(c)
    assert "There are no city-level indicators beyond homicides for Testville" in out
    assert "There are no national governance or organised-crime scores for Testland" in out
    assert text.other_country_indicators(make_city(national={2000: 1.0})).empty


def test_concentration_without_areas():
    assert text.concentration_md(make_city()).startswith("There are no homicide counts by area within Testville")


def test_caveats_of_a_short_series():
    out = text.caveats_md(make_city())
    assert "only 3 years, too few to speak of a long-run trend" in out and "Test caveat." in out


def test_data_links_and_citation_without_rows_or_sources():
    empty = make_city(annual_rows=annual({2000: 1}).iloc[0:0], series={"main": {"label": "Series main",
                                                                              "definition": "Hand-made."}})
    assert "There are no data rows for Testville." in text.data_links_html(empty)
    assert "Sources accessed" not in text.citation_md(empty)
    assert "Sources accessed up to 2020-01-01." in text.citation_md(make_city())


def test_references_of_a_page_that_cites_nothing():
    text.reset_references()
    assert text.references_html() == "<p>This page cites no source.</p>"


# --------------------------------------------------------------------------- comparison and front page, no data
def test_comparison_without_cities_or_rates():
    assert text.comparison_table_html([]) == "<p>No city has annual homicide figures in these data.</p>"
    assert text.contrast_md([]) == "No city has homicide rates in these data."
    assert text.contrast_md([_counts_only()]) == "No city has homicide rates in these data."


def test_key_findings_of_a_counts_only_city_still_say_what_is_like_for_like():
    out = text.key_findings([_counts_only()])
    assert any(f.startswith("**Like with like:** 1 of 1 cities has") for f in out)
    assert not any(f.startswith("**The steepest fall") or f.startswith("**City and country") for f in out)


# --------------------------------------------------------------------------- formatting helpers
def test_text_re_exports_the_formatting_helpers():
    for name in ("md", "html", "num", "pct", "md_table", "Raw", "table_html", "show_md", "show_html"):
        assert getattr(text, name) is getattr(fmt, name)


def test_fmt_missing_values_and_labels():
    assert [fmt.num(None), fmt.pct(float("nan")), fmt.sig(None), fmt.ratio(pd.NA)] == ["n/a"] * 4
    assert fmt.interval(None, 3) == "" and fmt.change_with_interval(None) == "n/a"
    assert fmt.years_list([]) == "none" and fmt.years_list([2003, 2001, 2002, 2007]) == "2001\u20132003, 2007"
    assert fmt.date_label("2002-10-16") == "16 October 2002" and fmt.date_label("2008-03") == "March 2008"
    assert fmt.md_link("x", "javascript:alert(1)") == "x"


@pytest.mark.parametrize("module", ["citycases.fmt", "citycases.run"])
def test_fmt_and_the_runner_import_without_pandas(module):
    import subprocess
    from pathlib import Path
    code = f"import sys, {module}; print('pandas' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("national, expected", [
    # HAND-MADE: a city rate of 19 against a national 19.6 rounds to 1.0x: two decimals and 'slightly'
    (19.6, "0.97\u00d7 the national rate (19 against 19.6 per 100,000), i.e. slightly below it"),
    (10.0, "1.9\u00d7 the national rate (19 against 10 per 100,000), i.e. above it"),
])
def test_at_a_glance_never_says_one_times_and_below(national, expected):
    c = make_city(annual_rows=annual({2000: 30, 2001: 19}), national={2001: national})
    out = text.at_a_glance(c)
    assert expected in out
    assert "1.0\u00d7" not in out


def test_governance_lists_latest_values_and_folds_what_they_count():
    # HAND-MADE indicator rows and definition
    ind = pd.DataFrame({"city": "testville", "year": [2019, 2020], "indicator": "test_blasts", "value": [3.0, 12.65],
                        "unit": "per cent", "source_id": "test_source"})
    c = make_city(indicators=ind)
    c.definitions = pd.concat([c.definitions, pd.DataFrame(
        {"indicator": ["test_blasts"], "label": ["Test blasts"], "definition": ["Hand-made definition text."],
         "unit": ["per cent"], "scope": ["city"]})], ignore_index=True)
    out = text.governance_md(c)
    head, folded = out.split("<details>", 1)
    assert "**Test blasts** (per cent; 2019–2020): 12.7 in 2020." in head
    assert "Hand-made definition text." not in head and "Hand-made definition text." in folded
    assert folded.count("</details>") == 1


@pytest.mark.parametrize("x, expected", [(0.97, "0.97\u00d7"), (1.04, "1.04\u00d7"), (1.0, "1.0\u00d7"),
                                         (3.44, "3.4\u00d7"), (0.996, "1.0\u00d7")])
def test_ratio_never_hides_a_difference_behind_one_point_zero(x, expected):
    assert fmt.ratio(x) == expected


def test_comparison_table_pairs_values_with_years_and_explains_not_like_for_like_below():
    # HAND-MADE: a peak of 30 in 2000 falling to 10 by 2003 (population 100,000, so rates equal counts)
    c = make_city(annual_rows=annual({2000: 30, 2001: 20, 2002: 15, 2003: 10}), like_for_like=False)
    out = text.comparison_table_html([c])
    assert "30\u00a0(2000)" in out and "10\u00a0(2003)" in out and "<NA>" not in out
    table, notes = out.split("</table>", 1)
    assert ">no<" in table and "a hand-made test series" not in table
    assert "Not like-for-like" in notes and "a hand-made test series" in notes


def test_comparison_table_says_not_halved_instead_of_a_missing_value():
    # HAND-MADE: a fall from 30 to 25, never to half
    out = text.comparison_table_html([make_city(annual_rows=annual({2000: 30, 2001: 25}))])
    assert "not halved" in out and "<NA>" not in out and "&lt;NA&gt;" not in out
