"""rio_upp step: ISP's UPP (Pacifying Police Unit) files against published figures, and bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive import derive_all
from citycases.derive.rio_upp import read_upp_dates, read_upp_monthly, selected_units, unit_counts
from citycases.errors import DataError
from citycases.paths import sources_dir

CITY = "rio-de-janeiro"


def _skip_without_sources():
    if not sources_dir().is_dir():
        pytest.skip(f"raw sources folder {sources_dir()} is absent (set CITYCASES_SOURCES)")


@pytest.fixture(scope="module")
def indicators():
    _skip_without_sources()
    tables = derive_all(steps=["rio_upp"], write=False)
    ind = tables["indicators"]
    ind = ind[ind["city"] == CITY]
    return {(r.indicator, int(r.year)): float(r.value) for r in ind.itertuples()}


@pytest.fixture(scope="module")
def dates():
    _skip_without_sources()
    return read_upp_dates(sources_dir() / "rio-de-janeiro/governance/UppDatasDeOcupacaoeInstalacao.xlsx")


# ---- independent figures (sources/rio-de-janeiro/PROVENANCE.md, section 6) ----
def test_upp_areas_2007_match_g1():
    # G1, 2018-12-11 ("10 anos de UPP", citing ISP): 361 violent deaths in 2007 in the communities that later got a
    # UPP (all 38 areas). Same publisher's figure: tolerance 0.
    _skip_without_sources()
    m = read_upp_monthly(sources_dir() / "rio-de-janeiro/isp/UppEvolucaoMensalDeTitulos.csv")
    assert int(m[m["year"] == 2007]["lethal_violence"].sum()) == 361


@pytest.mark.parametrize("name, date", [("Santa Marta", "2008-12-19"), ("Vidigal", "2012-01-18"),
                                         ("Rocinha", "2012-09-20")])
def test_upp_dates_match_o_globo(dates, name, date):
    # O Globo archive (acervo): installation dates of these units.
    row = dates[dates["upp"] == name]
    assert len(row) == 1 and row["installed"].iloc[0] == pd.Timestamp(date)


def test_upp_total_and_mangueirinha_match_o_globo(dates):
    # O Globo: 38 UPPs in all; Mangueirinha (Duque de Caxias) installed in February 2014.
    assert len(dates) == 38
    inst = dates.loc[dates["upp"] == "Mangueirinha", "installed"].iloc[0]
    assert (inst.year, inst.month) == (2014, 2)


# ---- the derived indicators ----
def test_unit_counts_for_the_city(indicators):
    # The city excludes Mangueirinha, so 37 units; the first unit in 2008; nine closures in 2018, eight in the city.
    assert indicators[("upp_units_installed", 2008)] == 1
    assert indicators[("upp_units_installed", 2014)] == 37
    assert indicators[("upp_units_active", 2017)] == 37
    assert indicators[("upp_units_active", 2018)] == 29
    years = sorted(y for (k, y) in indicators if k == "upp_area_lethal_violence")
    assert years == list(range(2007, 2022))
    assert indicators[("upp_area_lethal_violence", 2007)] < 361  # Mangueirinha's deaths left out


# ---- bad input: small hand-made test tables, not real data ----
UPP_HEADER = ("cod_upp;upp;ano;mes;hom_doloso;lesao_corp_morte;latrocinio;hom_por_interv_policial;"
              "registro_ocorrencias\n")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="latin1")
    return p


def test_hand_made_monthly_zero_copies_dropped(tmp_path):
    p = _write(tmp_path, "hand_made_upp.csv", UPP_HEADER +
               "1;A;2020;1;1;0;0;2;50\n1;A;2020;1;0;0;0;0;0\n1;A;2020;2;0;0;0;0;0\n1;A;2020;2;0;0;0;0;0\n")
    m = read_upp_monthly(p)
    assert len(m) == 2 and list(m["lethal_violence"]) == [3, 0]


def test_hand_made_monthly_conflicting_copies(tmp_path):
    p = _write(tmp_path, "hand_made_upp.csv", UPP_HEADER + "1;A;2020;1;1;0;0;2;50\n1;A;2020;1;1;0;0;0;40\n")
    with pytest.raises(DataError) as e:
        read_upp_monthly(p)
    assert e.value.row == 3 and "twice" in e.value.problem


def test_hand_made_monthly_negative(tmp_path):
    p = _write(tmp_path, "hand_made_upp.csv", UPP_HEADER + "1;A;2020;1;-1;0;0;2;50\n")
    with pytest.raises(DataError) as e:
        read_upp_monthly(p)
    assert e.value.row == 2 and e.value.field == "hom_doloso"


def _xlsx(tmp_path, df):
    p = tmp_path / "hand_made_upp_dates.xlsx"
    df.to_excel(p, sheet_name="upp_datas", index=False)
    return p


def test_hand_made_dates(tmp_path):
    good = pd.DataFrame({"cod_upp": [1, 2], "upp": ["A", "B"],
                         "data_ocupacao": pd.to_datetime(["2008-11-01", "2009-01-01"]),
                         "data_instalacao": pd.to_datetime(["2008-12-01", "2010-01-01"]),
                         "data_fim": pd.to_datetime([None, "2010-06-01"])})
    d = read_upp_dates(_xlsx(tmp_path, good))
    c = unit_counts(d).set_index("year")
    assert list(c["upp_units_installed"]) == [1, 1, 2] and list(c["upp_units_active"]) == [1, 1, 1]
    bad = good.assign(data_instalacao=pd.to_datetime(["2008-10-01", "2010-01-01"]))
    with pytest.raises(DataError) as e:
        read_upp_dates(_xlsx(tmp_path, bad))
    assert e.value.row == 2 and e.value.field == "data_instalacao"
    with pytest.raises(DataError, match="data_fim"):
        read_upp_dates(_xlsx(tmp_path, good.drop(columns=["data_fim"])))


def test_selected_units_rejects_unknown_codes():
    assert selected_units({"exclude_cod_upp": [2]}, {1, 2, 3}) == {1, 3}
    assert selected_units({"include_cod_upp": [2]}, {1, 2, 3}) == {2}
    with pytest.raises(DataError, match="99"):
        selected_units({"exclude_cod_upp": [99]}, {1, 2, 3})
