"""sweden_eurostat step: Eurostat crim_gen_reg for Stockholms län (SE110); bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive.sweden_eurostat import read_crim_gen_reg
from citycases.errors import DataError

STEP = "sweden_eurostat"


@pytest.fixture(scope="module")
def ind(derived):
    tables = derived(STEP)
    i = tables["indicators"]
    return {(r.indicator, int(r.year)): float(r.value) for r in i[i["city"] == "stockholm"].itertuples()}


@pytest.mark.parametrize("year, scb_population", [
    (2008, 1_949_516),   # SCB Stockholms län, 31 Dec 2007
    (2014, 2_163_042),   # 31 Dec 2013
    (2021, 2_391_990),   # 31 Dec 2020
])
def test_rates_rest_on_scb_population(ind, year, scb_population):
    # PROVENANCE section 8: Eurostat's rates rest on SCB's population of the previous 31 December.
    # Tolerance: the rate is published with 2 decimals, so count / population * 100,000 must round to it
    # (|difference| <= 0.005 per 100,000); checked for assault and robbery.
    for offence in ("assault", "robbery"):
        computed = ind[(f"eurostat_{offence}_lan", year)] / scb_population * 1e5
        assert abs(computed - ind[(f"eurostat_{offence}_rate_lan", year)]) <= 0.005 + 1e-9, offence


def test_years_and_violent_categories_only(ind):
    years = {y for (i, y) in ind if i == "eurostat_robbery_lan"}
    assert years == set(range(2008, 2022))
    assert {i for i, _ in ind} == {"eurostat_assault_lan", "eurostat_assault_rate_lan",
                                   "eurostat_robbery_lan", "eurostat_robbery_rate_lan"}


# --------------------------------------------------------------------------- bad input (hand-made test inputs)
def _write(tmp_path, rows, cols=("freq", "unit", "iccs", "geo", "2020", "2021")):
    p = tmp_path / "crim.csv"
    pd.DataFrame(rows, columns=list(cols)).to_csv(p, index=False)
    return p


def test_not_available_cells_are_dropped(tmp_path):
    p = _write(tmp_path, [["A", "NR", "ICCS0401", "SE110", ":", "2188"]])
    out = read_crim_gen_reg(p)
    assert out["year"].tolist() == [2021] and out["value"].tolist() == [2188]


def test_flagged_value_is_an_error(tmp_path):
    p = _write(tmp_path, [["A", "NR", "ICCS0401", "SE110", "2704", "2188 p"]])
    with pytest.raises(DataError) as e:
        read_crim_gen_reg(p)
    assert "not a number" in str(e.value) and e.value.field == "2021" and e.value.row == 2


def test_duplicate_series_row(tmp_path):
    p = _write(tmp_path, [["A", "NR", "ICCS0401", "SE110", "2704", "2188"]] * 2)
    with pytest.raises(DataError, match="duplicate"):
        read_crim_gen_reg(p)


def test_negative_value(tmp_path):
    p = _write(tmp_path, [["A", "NR", "ICCS0401", "SE110", "2704", "-5"]])
    with pytest.raises(DataError, match="negative") as e:
        read_crim_gen_reg(p)
    assert e.value.row == 2


def test_missing_column(tmp_path):
    p = _write(tmp_path, [["A", "NR", "SE110", "2704"]], cols=("freq", "unit", "geo", "2020"))
    with pytest.raises(DataError, match="missing column"):
        read_crim_gen_reg(p)
