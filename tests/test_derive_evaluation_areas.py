"""evaluation_areas step: the small-area panels against figures stated in the sources' PROVENANCE.md, and its
checks on bad input (HAND-MADE rows, labelled as such)."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive import Context, load_step
from citycases.derive.evaluation_areas import barrio_panel
from citycases.cities import load_cities
from citycases.paths import sources_dir
from citycases.sources import load_registry


@pytest.fixture(scope="module")
def panel():
    if not sources_dir().is_dir():
        pytest.skip(f"raw sources folder {sources_dir()} is absent (set CITYCASES_SOURCES)")
    ctx = Context(sources_dir(), load_registry(), load_cities())
    return load_step("evaluation_areas").derive(ctx)["homicides_area_panel"]


def test_medellin_barrio_totals_match_the_cleaned_copy(panel):
    # medellin/PROVENANCE.md: the cleaned MEData copy holds 1,614 victims in 2003 and 391 in 2022.
    b = panel[(panel["city"] == "medellin") & (panel["area_type"] == "barrio")]
    by_year = b.groupby("period")["victims"].sum()
    assert by_year["2003"] == 1614 and by_year["2022"] == 391
    assert b.groupby("area_id")["period"].nunique().eq(20).all(), "every barrio has every year 2003-2022"


def test_rio_upp_areas_2007(panel):
    # rio-de-janeiro/PROVENANCE.md section 6: 361 violent deaths in 2007 in all 38 UPP areas (G1 citing ISP); the
    # city's panel leaves out Mangueirinha (Duque de Caxias), so it holds 361 minus that area's 2007 count.
    u = panel[(panel["city"] == "rio-de-janeiro") & (panel["area_type"] == "upp_area")]
    lv = u[(u["outcome"] == "lethal_violence") & u["period"].str.startswith("2007")]
    assert u["area_id"].nunique() == 37 and "37" not in set(u["area_id"])
    assert lv["victims"].sum() <= 361
    assert (u["intervention_start"].str.len() == 10).all()


def test_rio_police_districts_cover_the_city(panel):
    c = panel[(panel["city"] == "rio-de-janeiro") & (panel["area_type"] == "police_district")]
    assert c["period"].min() == "2007-01" and c["period"].max() == "2017-03"
    # the UPP areas lie inside the city's districts: never more victims than the whole city in a month
    u = panel[(panel["city"] == "rio-de-janeiro") & (panel["area_type"] == "upp_area")]
    city = c.groupby(["period", "outcome"])["victims"].sum()
    upp = u.groupby(["period", "outcome"])["victims"].sum().reindex(city.index)
    assert (upp <= city).all()


def test_barrio_panel_zero_fills_hand_made_records():
    # HAND-MADE records: two barrios, one with no victim in 2004.
    rec = pd.DataFrame({"year": [2003, 2003, 2004], "area_id": ["0101", "0102", "0101"],
                        "area_name": ["A", "B", "A"], "parent_area_id": ["01", "01", "01"]})
    p = barrio_panel(rec, last_year=2004).set_index(["area_id", "period"])["victims"]
    assert p[("0102", "2004")] == 0 and p[("0101", "2003")] == 1 and len(p) == 4
