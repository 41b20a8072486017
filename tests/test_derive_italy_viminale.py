"""italy_viminale: Milan province/comune crimes checked against independent publications, and bad input.

Expected figures come from sources/milan/PROVENANCE.md ("Cross-checks against independently published
figures"; ISTAT's DCCV_DELITTIPS counts quoted there), never from this step's own output. Workbooks and
CSVs written under tmp_path are HAND-MADE TEST INPUTS, not book data.
"""
from __future__ import annotations

import pandas as pd
import pytest

from citycases import derive
from citycases.derive import italy_viminale as iv
from citycases.errors import DataError
from citycases.paths import sources_dir

RAW = sources_dir()
HAVE_RAW = (RAW / "milan" / "viminale_ucs_delitti").is_dir()


@pytest.fixture(scope="module")
def tables():
    if not HAVE_RAW:
        pytest.skip(f"raw sources not found at {RAW} (set CITYCASES_SOURCES)")
    return derive.derive_all(steps=["italy_viminale"], write=False)


@pytest.fixture(scope="module")
def province_homicides():
    """Provincial homicides read straight from each workbook (not emitted as a series: ISTAT has them)."""
    if not HAVE_RAW:
        pytest.skip(f"raw sources not found at {RAW} (set CITYCASES_SOURCES)")
    out = {}
    for year, rel, layout, sheets in iv.WORKBOOKS:
        path = RAW / rel
        t = iv.read_wide_sheet(path, sheets["provincia"]) if layout == "wide" else \
            iv.read_long_sheet(path, sheets["provincia"], year=year)
        out[year] = iv.pick(t, "Milano", year, layout, path, allow_absent=year in iv.OMITS_EMPTY)["homicides"]
    return out


# --------------------------------------------------------------------------- independent cross-checks
def test_province_homicides_2016_match_sole_24_ore(province_homicides):
    # Il Sole 24 Ore (2018, via cn24tv / ilfattonisseno): "17 a Milano" in 2016. Exact.
    assert province_homicides[2016] == 17


def test_province_homicides_match_istat_and_eurostat(province_homicides):
    # ISTAT DCCV_DELITTIPS and Eurostat crim_gen_reg ITC4C (PROVENANCE section 8): 17, 20, 13, 19, 10. Exact.
    assert [province_homicides[y] for y in range(2016, 2021)] == [17, 20, 13, 19, 10]


def test_comune_series_and_denominators(tables):
    a = tables["homicides_annual"]
    com = a[(a["city"] == "milan") & (a["series"] == iv.SERIES_COMUNE)].set_index("year")
    assert list(com.index) == [2017, 2018, 2019]
    # No invented denominators: the comune population exists in the raw files only from 2019.
    assert com.loc[[2017, 2018], "population"].isna().all()
    assert com.loc[[2017, 2018], "homicide_rate"].isna().all()
    assert com.loc[2019, "population"] == 1395980


def test_city_is_a_part_of_the_province(tables):
    # Crimes in the comune must not exceed those in the whole province in any year and indicator.
    i = tables["indicators"]
    i = i[i["city"] == "milan"]
    for crime in iv.INDICATORS:
        p = i[i["indicator"] == iv.indicator_id(crime, "provincia")].set_index("year")["value"]
        c = i[i["indicator"] == iv.indicator_id(crime, "comune")].set_index("year")["value"]
        for y in c.index:
            assert c.loc[y] <= p.loc[y], (crime, y)


def test_no_zero_invented_for_2020_mafia_homicides(tables):
    # The 2020 workbook has no "omicidio di tipo mafioso" row for Milano: it must stay absent, not 0.
    i = tables["indicators"]
    rows = i[(i["city"] == "milan") & (i["indicator"] == iv.indicator_id("mafia_homicides", "provincia"))]
    assert sorted(rows["year"]) == [2016, 2017, 2018, 2019]


# --------------------------------------------------------------------------- bad input (hand-made files)
def _long_workbook(tmp_path, rows, header=("ANNO", "Regione", "Provincia", "REATO", "TOT DELITTI COMMESSI")):
    df = pd.DataFrame([["UFFICIO CENTRALE DI STATISTICA", None, None, None, None], list(header)] + rows)
    p = tmp_path / "ucs.xlsx"
    df.to_excel(p, sheet_name="PROVINCE ELENCO", header=False, index=False)
    return p


def test_long_sheet_non_numeric_count(tmp_path):
    p = _long_workbook(tmp_path, [[2018, "R", "Testa", "03.0 OMICIDI VOLONTARI CONSUMATI", "tre"]])
    with pytest.raises(DataError, match="not a count") as e:
        iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)
    assert e.value.row == 3


def test_long_sheet_negative_count(tmp_path):
    p = _long_workbook(tmp_path, [[2018, "R", "Testa", "18.0 ESTORSIONI", -4]])
    with pytest.raises(DataError, match="not a count"):
        iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)


def test_long_sheet_wrong_year(tmp_path):
    p = _long_workbook(tmp_path, [[2017, "R", "Testa", "18.0 ESTORSIONI", 4]])
    with pytest.raises(DataError, match="ANNO column is not 2018"):
        iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)


def test_long_sheet_without_header(tmp_path):
    p = _long_workbook(tmp_path, [[2018, "R", "Testa", "x", 4]], header=("A", "B", "C", "D", "E"))
    with pytest.raises(DataError, match="header row"):
        iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)


def test_duplicate_and_missing_crime(tmp_path):
    rows = [[2018, "R", "Testa", f"{n}.0 {lab.upper()}", 1] for n, (lab, _) in
            zip(range(10, 30), iv.CRIMES.values())]
    p = _long_workbook(tmp_path, rows + [[2018, "R", "Testa", "18.0 ESTORSIONI", 2]])
    t = iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)
    with pytest.raises(DataError, match="appears 2 times"):
        iv.pick(t, "Testa", 2018, "long", p, allow_absent=False)
    p = _long_workbook(tmp_path, rows[1:])
    t = iv.read_long_sheet(p, "PROVINCE ELENCO", year=2018)
    with pytest.raises(DataError, match="no count of 'omicidi volontari consumati'"):
        iv.pick(t, "Testa", 2018, "long", p, allow_absent=False)
    assert "homicides" not in iv.pick(t, "Testa", 2018, "long", p, allow_absent=True)
    with pytest.raises(DataError, match="no rows for territory"):
        iv.pick(t, "Altrove", 2018, "long", p, allow_absent=True)


def test_comune_population_bad_separator_and_sum(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("Year,Total,Males,Females\n2019,\"1,395,980\",670.876,725.104\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a population figure") as e:
        iv.read_comune_population(p)
    assert e.value.row == 2 and e.value.field == "Total"
    p.write_text("Year,Total,Males,Females\n2019,1.395.981,670.876,725.104\n", encoding="utf-8")
    with pytest.raises(DataError, match="Males \\+ Females"):
        iv.read_comune_population(p)
    p.write_text("Year,Total,Males,Females\n2019,10,5,5\n2019,12,6,6\n", encoding="utf-8")
    with pytest.raises(DataError, match="duplicate key"):
        iv.read_comune_population(p)


def test_label_normalisation():
    assert iv.normalise_label("03.0 OMICIDI VOLONTARI CONSUMATI") == "omicidi volontari consumati"
    assert iv.normalise_label("3. OMICIDI VOLONTARI CONSUMATI") == "omicidi volontari consumati"
    assert iv.normalise_label("b. Omicidio di tipo mafioso") == "omicidio di tipo mafioso"
    assert iv.normalise_label("20.a Sequestri di persona a scopo estorsivo") == "sequestri di persona a scopo estorsivo"
