"""who_ghe step: WHO modelled homicide counts (sensitivity check only), structure and bad input.

PROVENANCE.md compares these estimates with WDI/UNODC (cross-check 7) but quotes no independent
publication of the WHO figures themselves, so the real-file tests check coverage only.
"""
from __future__ import annotations

import pytest

from citycases.derive.who_ghe import read_who_homicides
from citycases.errors import DataError

STEP = "who_ghe"


@pytest.fixture(scope="module")
def who(derived):
    tables = derived(STEP)
    return tables["country_context"]


def test_each_country_2000_2019(who):
    for c in ("COL", "MEX", "BRA", "SWE", "ITA"):
        assert sorted(who.loc[who["country"] == c, "year"].astype(int)) == list(range(2000, 2020)), c
    assert (who["value"].astype(float) > 0).all()


# ---- bad input: small hand-made test tables, not real data ----
HEADER = "Id,SpatialDimType,SpatialDim,TimeDim,Dim1,Dim2,NumericValue\n"
GOOD = ("1,COUNTRY,AAA,2000,BTSX,NA,10.5\n"
        "2,COUNTRY,AAA,2000,MLE,NA,8\n"
        "3,REGION,GLOBAL,2000,BTSX,NA,1000\n"
        "4,COUNTRY,AAA,2001,BTSX,,11\n")


def _csv(tmp_path, text):
    p = tmp_path / "hand_made_who.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_hand_made_table(tmp_path):
    df = read_who_homicides(_csv(tmp_path, HEADER + GOOD))
    assert list(zip(df["country"], df["year"], df["value"])) == [("AAA", 2000, 10.5), ("AAA", 2001, 11.0)]


def test_missing_column(tmp_path):
    with pytest.raises(DataError, match=r"missing column.*NumericValue"):
        read_who_homicides(_csv(tmp_path, "Id,SpatialDimType,SpatialDim,TimeDim,Dim1,Dim2\n"
                                          "1,COUNTRY,AAA,2000,BTSX,NA\n"))


def test_non_numeric_value(tmp_path):
    with pytest.raises(DataError) as exc:
        read_who_homicides(_csv(tmp_path, HEADER + GOOD + "5,COUNTRY,BBB,2000,BTSX,NA,many\n"))
    assert exc.value.row == 6 and exc.value.field == "NumericValue"


def test_duplicate_country_year(tmp_path):
    with pytest.raises(DataError, match="duplicate key") as exc:
        read_who_homicides(_csv(tmp_path, HEADER + GOOD + "5,COUNTRY,AAA,2001,BTSX,NA,12\n"))
    assert exc.value.row == 6
