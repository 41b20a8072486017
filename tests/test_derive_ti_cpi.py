"""ti_cpi step: Corruption Perceptions Index scores against published figures, and bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive.ti_cpi import read_cpi_timeseries
from citycases.errors import DataError

STEP = "ti_cpi"


@pytest.fixture(scope="module")
def cpi(derived):
    tables = derived(STEP)
    cc = tables["country_context"]
    return {(r.country, int(r.year)): float(r.value) for r in cc.itertuples()}


# PROVENANCE.md cross-check 6: CPI 2023 scores reported in the press (laorla.mx, 24horasyucatan.mx).
@pytest.mark.parametrize("country, score", [("MEX", 31), ("COL", 40), ("BRA", 36)])
def test_cpi_2023_matches_press(cpi, country, score):
    assert cpi[(country, 2023)] == score  # CPI scores are whole numbers: no tolerance


def test_every_city_country_has_2012_2023(cpi):
    for c in ("COL", "MEX", "BRA", "SWE", "ITA"):
        assert {y for (k, y) in cpi if k == c} == set(range(2012, 2024)), c


# ---- bad input: small hand-made test workbooks, not real data ----
def _xlsx(tmp_path, rows, columns=("Country / Territory", "ISO3", "Region", "CPI score 2013", "CPI Score 2012")):
    """Like TI's sheet: a title and a note above the header, which is on spreadsheet row 4."""
    p = tmp_path / "hand_made_cpi.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame([["Hand-made test table"], ["not real data"]]).to_excel(
            xw, sheet_name="CPI Timeseries 2012 - 2023", index=False, header=False)
        pd.DataFrame(rows, columns=list(columns)).to_excel(
            xw, sheet_name="CPI Timeseries 2012 - 2023", index=False, startrow=3)
    return p


GOOD = [("Aland", "AAA", "X", 50, 48), ("Bland", "BBB", "X", 20, None), ("Kosovo", "KSV", "X", 41, 34)]


def test_reads_hand_made_workbook(tmp_path):
    df = read_cpi_timeseries(_xlsx(tmp_path, GOOD))
    got = {(r.country, r.year): r.value for r in df.dropna().itertuples()}
    # Blank = not assessed (missing); both spellings of the score column; TI's KSV becomes XKX.
    assert got == {("AAA", 2013): 50, ("AAA", 2012): 48, ("BBB", 2013): 20, ("XKX", 2013): 41, ("XKX", 2012): 34}


def test_missing_iso3_column(tmp_path):
    rows = [(r[0], r[2], r[3], r[4]) for r in GOOD]
    with pytest.raises(DataError, match=r"missing column.*ISO3"):
        read_cpi_timeseries(_xlsx(tmp_path, rows, columns=("Country / Territory", "Region", "CPI score 2013",
                                                           "CPI Score 2012")))


def test_no_score_columns(tmp_path):
    with pytest.raises(DataError, match="no 'CPI score YYYY' columns"):
        read_cpi_timeseries(_xlsx(tmp_path, [("Aland", "AAA", "X", 50, 48)],
                                  columns=("Country / Territory", "ISO3", "Region", "Score 2013", "Score 2012")))


def test_non_numeric_score_names_spreadsheet_row(tmp_path):
    with pytest.raises(DataError) as exc:
        read_cpi_timeseries(_xlsx(tmp_path, GOOD + [("Cland", "CCC", "X", "fifty", 48)]))
    # Header on row 4, so the fourth data row is spreadsheet row 8.
    assert exc.value.row == 8 and exc.value.field == "CPI score 2013"


def test_score_off_scale(tmp_path):
    with pytest.raises(DataError, match="outside the scale"):
        read_cpi_timeseries(_xlsx(tmp_path, GOOD + [("Cland", "CCC", "X", 150, 48)]))


def test_duplicate_country(tmp_path):
    with pytest.raises(DataError, match="duplicate key") as exc:
        read_cpi_timeseries(_xlsx(tmp_path, GOOD + [("Aland again", "AAA", "X", 51, 47)]))
    assert exc.value.row == 8


def test_missing_sheet(tmp_path):
    p = tmp_path / "hand_made_other.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(p, index=False)
    with pytest.raises(DataError, match="cannot read sheet"):
        read_cpi_timeseries(p)
