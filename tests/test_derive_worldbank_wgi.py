"""worldbank_wgi step: Worldwide Governance Indicators estimates, structure and bad input.

PROVENANCE.md found no independently published WGI value to check against (its cross-check 8), so the
tests on the real file check coverage and gaps only; the reader is tested on hand-made workbooks.
"""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive.worldbank_wgi import read_wgi
from citycases.errors import DataError

STEP = "worldbank_wgi"
INDICATORS = {"wgi_rule_of_law", "wgi_control_of_corruption", "wgi_government_effectiveness",
              "wgi_political_stability"}


@pytest.fixture(scope="module")
def wgi(derived):
    tables = derived(STEP)
    return tables


def test_years_and_gaps(wgi):
    cc = wgi["country_context"]
    assert set(cc["indicator"]) == INDICATORS
    years = set(cc["year"].astype(int))
    # WGI was biennial before 2002: 1997, 1999 and 2001 must stay absent, never filled.
    assert years == {1996, 1998, 2000} | set(range(2002, 2024))
    per = cc.groupby(["country", "indicator"]).size()
    assert (per == 25).all(), per[per != 25]


def test_values_on_the_wgi_scale(wgi):
    v = wgi["country_context"]["value"].astype(float)
    assert v.between(-2.5, 2.5).all()
    assert set(wgi["indicator_definitions"]["indicator"]) == INDICATORS


# ---- bad input: small hand-made test workbooks, not real data ----
def _xlsx(tmp_path, rows, columns=("code", "countryname", "year", "indicator", "estimate", "stddev")):
    p = tmp_path / "hand_made_wgi.xlsx"
    pd.DataFrame(rows, columns=list(columns)).to_excel(p, index=False)
    return p


GOOD = [("AAA", "Aland", 2000, "rl", 0.5, 0.2), ("AAA", "Aland", 2002, "rl", "..", ".."),
        ("ROM", "Romania", 2000, "cc", -0.25, 0.2), ("AAA", "Aland", 2000, "va", 1.0, 0.2)]


def test_reads_hand_made_workbook(tmp_path):
    df = read_wgi(_xlsx(tmp_path, GOOD))
    # '..' is missing (kept as NaN, dropped later); WGI's ROM becomes ROU; 'va' is not selected.
    assert set(df["indicator"]) == {"wgi_rule_of_law", "wgi_control_of_corruption"}
    assert df["value"].isna().sum() == 1
    assert set(df["country"]) == {"AAA", "ROU"}


def test_missing_column(tmp_path):
    rows = [r[:4] for r in GOOD]
    with pytest.raises(DataError, match=r"missing column.*estimate"):
        read_wgi(_xlsx(tmp_path, rows, columns=("code", "countryname", "year", "indicator")))


def test_non_numeric_estimate(tmp_path):
    rows = GOOD + [("BBB", "Bland", 2000, "rl", "n/a", 0.1)]
    with pytest.raises(DataError) as exc:
        read_wgi(_xlsx(tmp_path, rows))
    assert exc.value.row == 6 and exc.value.field == "estimate"


def test_estimate_off_scale(tmp_path):
    with pytest.raises(DataError, match="outside the scale"):
        read_wgi(_xlsx(tmp_path, GOOD + [("BBB", "Bland", 2000, "rl", 12.0, 0.1)]))


def test_duplicate_country_year_indicator(tmp_path):
    with pytest.raises(DataError, match="duplicate key") as exc:
        read_wgi(_xlsx(tmp_path, GOOD + [("AAA", "Aland", 2000, "rl", 0.6, 0.2)]))
    assert exc.value.row == 6


def test_unknown_dimension(tmp_path):
    with pytest.raises(DataError, match="unknown WGI dimension"):
        read_wgi(_xlsx(tmp_path, GOOD + [("AAA", "Aland", 2000, "xx", 0.6, 0.2)]))
