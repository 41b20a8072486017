"""italy_pinotti: long Lombardy series checked against independent publications, and bad input.

Expected figures come from sources/milan/PROVENANCE.md (ISTAT Noi Italia 2025 implied counts; DCPC data
quoted by tweetimprese.com), never from this step's own output. CSVs written under tmp_path are HAND-MADE
TEST INPUTS, not book data.
"""
from __future__ import annotations

import pytest

from citycases import derive
from citycases.derive import italy_pinotti as ip
from citycases.errors import DataError
from citycases.paths import sources_dir

RAW = sources_dir()
HAVE_RAW = (RAW / "milan" / "pinotti2015").is_dir()
REGIONS = ["PIE", "VDA", "LOM", "TAA", "VEN", "FVG", "LIG", "EMR", "TOS", "UMB", "MAR", "LAZ", "ABR", "MOL",
           "CAM", "PUG", "BAS", "CAL", "SIC", "SAR"]


@pytest.fixture(scope="module")
def tables():
    if not HAVE_RAW:
        pytest.skip(f"raw sources not found at {RAW} (set CITYCASES_SOURCES)")
    return derive.derive_all(steps=["italy_pinotti"], write=False)


@pytest.fixture(scope="module")
def lombardy(tables):
    a = tables["homicides_annual"]
    return a[(a["city"] == "milan") & (a["series"] == ip.SERIES)].set_index("year")


def test_lombardy_2004_2007_match_noi_italia(lombardy):
    # ISTAT Noi Italia 2025 (separate ISTAT publication), Lombardy homicides implied by its rates: 91, 65, 81, 85.
    assert [int(lombardy.loc[y, "homicides"]) for y in range(2004, 2008)] == [91, 65, 81, 85]


def test_italy_2007_close_to_dcpc(tables):
    # tweetimprese.com, citing DCPC data: 632 homicides in Italy in 2007. Sum of the 20 regions: tolerance 1%.
    df = ip.read_pinotti(RAW / ip.FILE)
    y = df[(df["year"] == 2007) & df["region"].isin(REGIONS)]
    assert (y["murd"] * y["pop"] / 1e5).round().sum() == pytest.approx(632, rel=0.01)


def test_years_and_break(tables, lombardy):
    a = tables["homicides_annual"]
    early = a[(a["city"] == "milan") & (a["series"] == ip.SERIES_EARLY)]
    assert list(lombardy.index) == [y for y in range(1975, 2008) if y != 1978]
    assert sorted(early["year"]) == [y for y in range(1956, 1975) if y != 1960]
    assert (lombardy["unit"] == "region").all()


# --------------------------------------------------------------------------- bad input (hand-made files)
HEADER = "reg,region,year,pop,murd,mafia,ext,theft\n"


class FakeCtx:
    """Just enough of derive.Context to run the step on a hand-made file."""

    def __init__(self, path, params):
        self.path, self.params = path, params

    def raw(self, source_id, rel_path):
        return self.path

    def cities_for(self, step):
        return [({"slug": "test"}, self.params)]


def test_non_whole_implied_count_stops_the_step(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(HEADER + "1,AAA,1990,1000000,1.2345,,,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a whole number") as e:
        ip.derive(FakeCtx(p, {"region": "AAA"}))
    assert e.value.row == 2 and e.value.field == "murd"
    out = ip.derive(FakeCtx(p, {"region": "AAA", "exclude_years": {1990: "test"}}))
    assert out["homicides_annual"].empty


def test_all_zero_year_is_missing_not_zero(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(HEADER + "1,AAA,1978,1000000,0,0,0,0\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing record"):
        ip.derive(FakeCtx(p, {"region": "AAA"}))


def test_negative_and_duplicate(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(HEADER + "1,AAA,1990,1000000,-1,,,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="negative"):
        ip.read_pinotti(p)
    p.write_text(HEADER + "1,AAA,1990,1000000,1,,,5\n1,AAA,1990,1000000,2,,,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="duplicate key"):
        ip.read_pinotti(p)


def test_unknown_region(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(HEADER + "1,AAA,1990,1000000,1,,,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows for region"):
        ip.derive(FakeCtx(p, {"region": "ZZZ"}))
