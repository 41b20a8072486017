"""citycases.evaluations: the estimators recover a known effect from HAND-MADE PANELS (invented counts, labelled
as such, built in this file) and find none when the effect is removed; the designs keep the right areas; the
hand-typed comuna codes of data/evaluations.yml match the Metro's station list and the comuna layer (raw files).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from citycases import evaluations as E
from citycases.paths import sources_dir


# --------------------------------------------------------------------------- hand-made panels (invented counts)
def hand_made_panel(effect: float, *, n_units: int = 40, n_periods: int = 12, staggered: bool = True,
                    noise: bool = True, seed: int = 7) -> pd.DataFrame:
    """HAND-MADE TEST DATA: units with their own level, periods with a common trend, half the units treated
    (staggered start if asked); expected counts multiplied by `effect` while treated; Poisson draws if noise."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(5, 30, n_units)
    trend = np.linspace(1.0, 0.6, n_periods)
    rows = []
    for u in range(n_units):
        treated = u < n_units // 2
        start = (3 + u % 6) if staggered else n_periods // 2
        for t in range(n_periods):
            d = int(treated and t >= start)
            mu = level[u] * trend[t] * (effect if d else 1.0)
            rows.append({"unit": f"u{u}", "period": t, "d": d, "y": rng.poisson(mu) if noise else mu})
    return pd.DataFrame(rows)


def test_ratio_of_ratios_known_answer():
    # HAND-MADE COUNTS: treated 100 -> 50, comparison 200 -> 200: the ratio is exactly one half.
    e = E.ratio_of_ratios(100, 50, 200, 200)
    assert e.ratio == pytest.approx(0.5)
    se = math.sqrt(1 / 100 + 1 / 50 + 2 / 200)
    assert e.low == pytest.approx(0.5 * math.exp(-E.Z95 * se)) and e.high == pytest.approx(0.5 * math.exp(E.Z95 * se))
    assert e.excludes_one()


def test_ratio_of_ratios_without_effect_is_one():
    # HAND-MADE COUNTS: both groups fall by the same fraction.
    e = E.ratio_of_ratios(100, 60, 300, 180)
    assert e.ratio == pytest.approx(1.0) and not e.excludes_one()


def test_ratio_of_ratios_refuses_a_zero_count():
    assert math.isnan(E.ratio_of_ratios(0, 5, 10, 10).ratio)


def test_poisson_did_exact_on_noise_free_panel():
    # HAND-MADE, noise-free expected counts: the fixed-effects ratio is the effect itself.
    for effect in (0.5, 1.0, 1.7):
        e = E.poisson_did(hand_made_panel(effect, noise=False))
        assert e.ratio == pytest.approx(effect, rel=1e-8)


@pytest.mark.parametrize("staggered", [False, True])
def test_poisson_did_recovers_a_known_effect(staggered):
    e = E.poisson_did(hand_made_panel(0.6, staggered=staggered))
    assert e.low < 0.6 < e.high
    assert e.high < 1, "a 40% fall in half the units must be detected"
    assert e.n_units == 40 and e.n_treated == 20


@pytest.mark.parametrize("staggered", [False, True])
def test_poisson_did_finds_nothing_when_the_effect_is_removed(staggered):
    e = E.poisson_did(hand_made_panel(1.0, staggered=staggered))
    assert e.low < 1 < e.high
    assert abs(math.log(e.ratio)) < 0.1


def test_poisson_did_interval_covers_the_truth_most_of_the_time():
    # HAND-MADE: 40 invented panels with a true ratio of 0.8; a 95% interval should miss only a few times.
    covered = sum(E.poisson_did(hand_made_panel(0.8, seed=s)).low < 0.8 < E.poisson_did(hand_made_panel(0.8, seed=s)).high
                  for s in range(40))
    assert covered >= 34


def test_poisson_did_matches_statsmodels():
    # The same model fitted by statsmodels' GLM (dummies): same coefficient; clustered standard error equal up to
    # the small-sample factor (ours: G/(G-1); statsmodels without its correction: none).
    import statsmodels.api as sm

    df = hand_made_panel(0.7, n_units=16, n_periods=6)
    e = E.poisson_did(df)
    u, t = pd.Categorical(df["unit"]), pd.Categorical(df["period"])
    X = np.column_stack([df["d"], np.eye(len(u.categories))[u.codes], np.eye(len(t.categories))[t.codes][:, 1:]])
    fit = sm.GLM(df["y"].to_numpy(dtype=float), X.astype(float), family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": u.codes, "use_correction": False})
    assert math.log(e.ratio) == pytest.approx(fit.params[0], abs=1e-7)
    g = len(u.categories)
    se = (math.log(e.high) - math.log(e.ratio)) / E.Z95
    assert se == pytest.approx(fit.bse[0] * math.sqrt(g / (g - 1)), rel=1e-5)


def test_two_period_fixed_effects_equal_the_ratio_of_ratios():
    # HAND-MADE: two periods, one treated group: both estimators give the same point estimate.
    df = hand_made_panel(0.5, n_periods=2, staggered=False)
    tot = df.assign(g=df["unit"].str[1:].astype(int) < 20).groupby(["g", "period"])["y"].sum()
    rr = E.ratio_of_ratios(tot[(True, 0)], tot[(True, 1)], tot[(False, 0)], tot[(False, 1)])
    assert E.poisson_did(df).ratio == pytest.approx(rr.ratio, rel=1e-8)


# --------------------------------------------------------------------------- designs on hand-made panels
def _barrio_rows():
    """HAND-MADE barrio panel: comunas 01 (treated), 03 (comparison), 05 (excluded), 50 (rural)."""
    rows = []
    for comuna, before, after in (("01", 40, 10), ("03", 40, 30), ("05", 40, 40), ("50", 9, 9)):
        for k in range(2):
            for year, v in ((2003, before), (2004, 20), (2008, after)):
                rows.append({"city": "medellin", "period": str(year), "area_type": "barrio",
                             "area_id": f"{comuna}{k:02d}", "area_name": "x", "parent_area_id": comuna,
                             "outcome": "homicides", "victims": v})
    return pd.DataFrame(rows)


DESIGN = {"treated_comunas": ["01"], "excluded_comunas": ["05"], "urban_comunas": ["01", "03", "05"]}


def test_metrocable_panel_keeps_treated_and_comparison_only():
    bp = E.metrocable_panel(_barrio_rows(), DESIGN)
    assert set(bp["parent_area_id"]) == {"01", "03"}
    assert set(bp.loc[bp["group"] == "line K", "parent_area_id"]) == {"01"}


def test_metrocable_estimates_on_hand_made_barrios():
    est = E.metrocable_estimates(E.metrocable_panel(_barrio_rows(), DESIGN), 2003, 2008, 2004)
    # treated 80 -> 20, comparison 80 -> 60: (20/80)/(60/80) = 1/3
    assert est["two_years_poisson"].ratio == pytest.approx(1 / 3)
    assert est["two_years_clustered"].ratio == pytest.approx(1 / 3, rel=1e-8)


def test_upp_panel_rest_of_city_and_treatment_months():
    # HAND-MADE: two UPP areas and a city of two police districts, three months.
    rows = []
    for m, (a, b, c1, c2) in {"2010-01": (3, 2, 20, 10), "2010-02": (1, 2, 15, 10), "2010-03": (0, 1, 12, 9)}.items():
        for area, v, start in (("1", a, "2010-01-20"), ("2", b, "2010-03-05")):
            for outcome, val in (("lethal_violence", v), ("police_killings", v // 2)):
                rows.append({"city": "rio-de-janeiro", "period": m, "area_type": "upp_area", "area_id": area,
                             "area_name": area, "intervention_start": start, "outcome": outcome, "victims": val})
        for cisp, v in (("5", c1), ("6", c2)):
            for outcome, val in (("lethal_violence", v), ("police_killings", 1)):
                rows.append({"city": "rio-de-janeiro", "period": m, "area_type": "police_district", "area_id": cisp,
                             "area_name": cisp, "intervention_start": pd.NA, "outcome": outcome, "victims": val})
    up = E.upp_panel(pd.DataFrame(rows), "2010-01", "2010-03")
    rest = up[up["area_id"] == "rest"].set_index("period")
    assert rest.loc["2010-01", "lethal_violence"] == 30 - 5 and rest.loc["2010-01", "police_killings"] == 2 - 2
    assert (rest["d"] == 0).all()
    a1 = up[up["area_id"] == "1"].set_index("period")
    assert "2010-01" not in a1.index and a1.loc["2010-02", "d"] == 1   # installation month dropped
    a2 = up[up["area_id"] == "2"].set_index("period")
    assert list(a2["d"]) == [0, 0] and "2010-03" not in a2.index
    assert (up["without_police"] == up["lethal_violence"] - up["police_killings"]).all()


# --------------------------------------------------------------------------- the typed codes against raw files
def _point_in_polygon(x, y, rings) -> bool:
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
    return inside


def test_metrocable_comunas_match_the_station_list():
    root = sources_dir() / "medellin" / "crimemappingdata"
    if not (root / "medellin_metro_stns.csv").is_file():
        pytest.skip("raw Medellín files absent (set CITYCASES_SOURCES)")
    gj = json.loads((root / "medellin_comunas.geojson").read_text(encoding="utf-8"))
    stations = pd.read_csv(root / "medellin_metro_stns.csv")

    def comuna_of(x, y):
        for f in gj["features"]:
            g = f["geometry"]
            polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            if any(_point_in_polygon(x, y, [[tuple(p[:2]) for p in r] for r in poly]) for poly in polys):
                return f["properties"]["COMUNA"]
        return None

    cable = stations[stations["sistema"] == "Cable"].copy()
    cable["comuna"] = [comuna_of(x, y) for x, y in zip(cable["x"], cable["y"])]
    metro_names = set(stations.loc[stations["sistema"] == "Metro", "nombre"].str.replace(r"\s*\(.*\)$", "", regex=True))
    cable["plain"] = cable["nombre"].str.replace(r"\s*\(.*\)$", "", regex=True)
    k_hill = cable[(cable["linea"] == "K") & ~cable["plain"].isin(metro_names)]
    design = E.load_spec()["metrocable"]["design"]
    assert sorted(set(k_hill["comuna"])) == design["treated_comunas"]
    others = set(cable.loc[~cable.index.isin(k_hill.index), "comuna"]) & set(design["urban_comunas"])
    assert sorted(others - set(design["treated_comunas"])) == design["excluded_comunas"]


def test_spec_every_study_is_cited():
    spec = E.load_spec()
    assert {"metrocable", "quadrants", "upp"} <= set(spec)
    for ev in spec.values():
        for p in ev["published"]:
            assert p["citation_url"].startswith("https://") or p["citation_url"].startswith("http://")
            if p.get("estimate") is not None and p.get("interval"):
                lo, hi = p["interval"]
                assert lo <= p["estimate"] <= hi


def test_published_ratio_reads_each_scale():
    assert E.published_ratio({"scale": "ratio", "estimate": 0.33, "interval": [0.18, 0.61]}) == (0.33, 0.18, 0.61)
    r, lo, hi = E.published_ratio({"scale": "percent", "estimate": -22})
    assert r == pytest.approx(0.78) and math.isnan(lo) and math.isnan(hi)
    # '60% higher without the intervention': what was observed is 1/1.6 of what would have been
    assert E.published_ratio({"scale": "excess_without", "estimate": 60})[0] == pytest.approx(0.625)
    # the interval of an 'x% higher without' figure turns around, low stays below high
    _, lo, hi = E.published_ratio({"scale": "excess_without", "estimate": 60, "interval": [20, 100]})
    assert (lo, hi) == (pytest.approx(0.5), pytest.approx(1 / 1.2))
    assert all(math.isnan(v) for v in E.published_ratio({"scale": "percent", "estimate": None}))


def _spec_file(tmp_path, study: dict):
    import yaml

    base = {"study": "HAND-MADE TEST STUDY", "citation": "Nobody: test", "citation_url": "https://example.org/t"}
    path = tmp_path / "evaluations.yml"
    path.write_text(yaml.safe_dump({"test": {"published": [{**base, **study}]}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("study, message", [
    ({"estimate": -10}, "scale must be one of"),
    ({"estimate": -10, "scale": "percentage"}, "scale must be one of"),
    ({"estimate": -10, "scale": "percent", "via": "An evidence platform"}, "both via and via_url"),
    ({"note": "no figure", "via_url": "https://example.org/s"}, "both via and via_url"),
])
def test_spec_refuses_a_figure_it_cannot_read(tmp_path, study, message):
    with pytest.raises(ValueError, match=message):
        E.load_spec(_spec_file(tmp_path, study))


def test_spec_accepts_a_summary_with_its_address(tmp_path):
    spec = E.load_spec(_spec_file(tmp_path, {"estimate": -40, "scale": "percent", "via": "An evidence platform",
                                             "via_url": "https://example.org/s"}))
    assert spec["test"]["published"][0]["estimate"] == -40


def test_side_by_side_puts_published_first_within_each_outcome():
    entry = {"published": [
        {"study": "HAND-MADE A", "scale": "percent", "estimate": -40, "via": "x", "via_url": "https://e.org"},
        {"study": "HAND-MADE NO FIGURE", "estimate": None, "note": "none"},
        {"study": "HAND-MADE CLAIM", "scale": "percent", "estimate": -11, "claimed": True}]}
    book = [("lethal", "book 1", E.Estimate(0.7, 0.5, 1.0, "m")), ("killings", "book 2", E.Estimate(0.5, 0.3, 0.8, "m"))]
    df = E.side_by_side(entry, book, outcome_of=lambda p: "killings")
    assert list(df["label"]) == ["lethal: book 1", "killings: HAND-MADE A", "killings: HAND-MADE CLAIM",
                                 "killings: book 2"]
    assert list(df["who"]) == ["the book", "published, via a summary", "claim", "the book"]
    assert list(df["interval"]) == ["95% interval", "no interval reported", "no interval reported", "95% interval"]
    assert df.loc[1, "ratio"] == pytest.approx(0.6)
    chart = E.side_by_side_chart(df, title="t", description="d", caption="c", sources=[]).to_dict()
    assert chart["description"] == "d"


def test_page_cites_a_summary_as_a_summary():
    from citycases import text as T

    T.reset_references()
    md = E.published_md({"published": [
        {"study": "HAND-MADE S", "citation": "Nobody: paper", "citation_url": "https://e.org/p", "where": "x",
         "measure": "percent change", "scale": "percent", "estimate": -40, "outcome": "o", "unit": "u",
         "via": "Platform: summary", "via_url": "https://e.org/s"},
        {"study": "HAND-MADE C", "citation": "Nobody: essay", "citation_url": "https://e.org/c", "where": "claim 5",
         "measure": "percent change", "scale": "percent", "estimate": -11, "outcome": "o", "unit": "u",
         "claimed": True}]})
    first, second = md.splitlines()
    assert "as reported in" in first and "not read in the study itself" in first and "\u221240%" in first
    assert second.startswith("- Claimed, not an evaluation:")
    refs = T.references_html()
    assert "https://e.org/s" in refs and "https://e.org/p" in refs


# --------------------------------------------------------------------------- b. quadrants, coarse design
def _capitals(rows):
    return pd.DataFrame(rows, columns=["area_id", "area_name", "year", "homicides"])


def test_quadrants_panel_windows_groups_and_known_ratio():
    # two first-phase cities halve (100 -> 50 each year), two other capitals stay flat: ratio 0.5 exactly
    rows = []
    for code, after in (("11001", 50), ("05001", 50), ("73001", 100), ("17001", 100)):
        for year in range(2007, 2014):
            rows.append((code, code, year, 100 if year < 2010 else (77 if year == 2010 else after)))
    design = {"treated": ["11001", "05001"], "rollout_year": 2010, "before": [2007, 2009], "after": [2011, 2013]}
    qp = E.quadrants_panel(_capitals(rows), design)
    assert 2010 not in set(qp["year"])
    assert set(qp.loc[qp["d"] == 1, "area_id"]) == {"11001", "05001"} and set(qp.loc[qp["d"] == 1, "year"]) == {
        2011, 2012, 2013}
    est = E.quadrants_estimates(qp)
    assert est["pooled_poisson"].ratio == pytest.approx(0.5)
    assert est["capitals_clustered"].ratio == pytest.approx(0.5, rel=1e-6)
    # pooled counts: 600 -> 300 treated, 600 -> 600 comparison; Poisson se on the log scale
    se = math.sqrt(1 / 600 + 1 / 300 + 1 / 600 + 1 / 600)
    assert est["pooled_poisson"].high == pytest.approx(0.5 * math.exp(E.Z95 * se))


def test_quadrants_panel_refuses_unknown_codes_and_a_start_year_inside_a_window():
    rows = [("11001", "x", y, 1) for y in range(2007, 2014)]
    with pytest.raises(ValueError, match="not among the capitals"):
        E.quadrants_panel(_capitals(rows), {"treated": ["99999"], "rollout_year": 2010, "before": [2007, 2009],
                                            "after": [2011, 2013]})
    with pytest.raises(ValueError, match="start year"):
        E.quadrants_panel(_capitals(rows), {"treated": ["11001"], "rollout_year": 2009, "before": [2007, 2009],
                                            "after": [2011, 2013]})


def test_capitals_panel_keeps_marked_capitals_and_zero_fills_missing_years():
    from citycases.derive.evaluation_areas import capitals_panel

    muni = pd.DataFrame({
        "departamento": ["A", "A", "A", "B", "B"],
        "municipio": ["CAPITAL ONE (CT)", "CAPITAL ONE (CT)", "TOWN", "CAPITAL TWO (CT)", "TOWN TWO"],
        "dane_code": ["01001", "01001", "01002", "02001", "02002"],
        "year": [2003, 2004, 2003, 2003, 2004],
        "homicides": [5, 6, 1, 2, 3],
        "population": [100, 110, 10, 50, 20],
    })
    c = capitals_panel(muni)
    assert list(c["area_id"].unique()) == ["01001", "02001"] and list(c["area_name"].unique()) == [
        "CAPITAL ONE", "CAPITAL TWO"]
    two = c[c["area_id"] == "02001"].set_index("year")
    assert two.loc[2004, "homicides"] == 0 and pd.isna(two.loc[2004, "population"])
    assert c["homicides"].sum() == 13


def test_published_text_is_escaped():
    from citycases import text as T

    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
    T.reset_references()
    md = E.published_md({"published": [
        {"study": f"HAND-MADE {hostile}", "citation": f"Nobody: {hostile}", "citation_url": "https://e.org/p",
         "where": hostile, "measure": hostile, "scale": "percent", "estimate": -40, "outcome": hostile,
         "unit": hostile, "via": f"Platform {hostile}", "via_url": "https://e.org/s", "note": hostile},
        {"study": f"HAND-MADE {hostile}", "citation": "Nobody: x", "citation_url": "javascript:alert(1)",
         "note": hostile}]})
    from markdown_it import MarkdownIt

    # rendered as MyST would (CommonMark passes raw HTML through, so only escaping keeps it text)
    page = MarkdownIt("commonmark").render(md) + T.references_html()
    assert "<script" not in page and "<img" not in page and 'href="javascript:' not in page
    assert "alert(1)" in page        # shown as text, not dropped


def test_quadrants_windows_rerun_each_pair_main_first():
    # HAND-MADE: one first-phase city halves from 2011 on, one other capital stays flat
    rows = []
    for y in range(2005, 2016):
        rows.append(("11001", "BOGOTA", y, 100 if y < 2011 else 50))
        rows.append(("99001", "OTHER", y, 80))
    cap = _capitals(rows)
    design = {"treated": ["11001"], "rollout_year": 2010, "before": [2007, 2009], "after": [2011, 2013],
              "windows": [[[2009, 2009], [2011, 2011]], [[2007, 2009], [2011, 2013]]]}
    out = E.quadrants_windows(cap, design)
    assert [(b, a) for b, a, _ in out] == [((2007, 2009), (2011, 2013)), ((2009, 2009), (2011, 2011))]
    for _, _, est in out:
        assert est["pooled_poisson"].ratio == pytest.approx(0.5)


@pytest.mark.parametrize("book, published, expected", [
    (E.Estimate(0.45, 0.32, 0.62, "m"), (0.33, 0.18, 0.61), "Same direction; the two intervals overlap."),
    (E.Estimate(1.05, 0.88, 1.25, "m"), (0.78, math.nan, math.nan),
     "Opposite directions; the book's interval includes no change; the published figure (no interval) lies "
     "outside the book's interval."),
    (E.Estimate(0.52, 0.32, 0.85, "m"), (0.6, math.nan, math.nan),
     "Same direction; the published figure (no interval) lies inside the book's interval."),
    (E.Estimate(0.96, 0.70, 1.31, "m"), None, "The book's interval includes no change."),
    (E.Estimate(0.2, 0.1, 0.3, "m"), (0.8, 0.7, 0.9), "Same direction; the intervals do not overlap."),
])
def test_agreement_reads_direction_and_overlap(book, published, expected):
    assert E.agreement(book, published) == expected


def test_summary_table_keeps_citations_as_links_and_escapes_text_once():
    from markdown_it import MarkdownIt

    from citycases import text as T

    T.reset_references()
    pub = f"{T.md('HAND-MADE & Co (2012)')} {T.cite_page('Nobody: paper', 'https://e.org/p')}: ratio, 0.3"
    md = E.summary_md([("A & B", pub, "design <x>", E.Estimate(0.5, 0.3, 0.8, "m"), (0.3, 0.2, 0.5))])
    page = MarkdownIt("commonmark").enable("table").render(md)
    assert 'href="#ref-1"' in page and "&amp;lt;" not in page and "\\\\&amp;" not in page
    assert "HAND-MADE &amp; Co (2012)" in page and "design &lt;x&gt;" in page
