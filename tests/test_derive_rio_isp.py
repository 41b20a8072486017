"""rio_isp step: ISP-RJ police records for Rio de Janeiro against independently published figures, and bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive.rio_isp import (HIST, IBGE_EST, MUNI, POP, choose_population, read_cisp_monthly,
                                      read_historical_series, read_ibge_estimate, read_isp_population,
                                      read_municipal_monthly, read_weapons, splice)
from citycases.errors import DataError

STEPS = ["rio_isp"]
CITY = "rio-de-janeiro"
RAW = "rio-de-janeiro/isp"


@pytest.fixture(scope="module")
def tables(derived):
    return derived(*STEPS)


@pytest.fixture(scope="module")
def annual(tables):
    a = tables["homicides_annual"]
    a = a[a["city"] == CITY]
    return {(r.series, int(r.year)): r for r in a.itertuples()}


@pytest.fixture(scope="module")
def state_totals(raw_sources):
    """Whole-state annual sums of the municipal file (every municipality), as ISP's releases report them."""
    m = read_municipal_monthly(raw_sources / RAW / "BaseMunicipioMensal.csv")
    return m.groupby("year")[["homicides", "lethal_violence", "police_intervention"]].sum()


# ---- independent figures (sources/rio-de-janeiro/PROVENANCE.md, section 6 "Cross-checks") ----
def test_city_homicides_2023_match_folha(annual):
    # Folha de S.Paulo, Jan 2024, reporting ISP's release: 726 (Zona Oeste) + 286 (RISP 1) = 1,012 homicides in
    # the capital. Later revisions add a few victims: tolerance 1 %.
    assert abs(int(annual[("isp", 2023)].homicides) - 1012) <= 0.01 * 1012


@pytest.mark.parametrize("year, published", [(2019, 4004), (2020, 3544), (2021, 3253), (2022, 3059)])
def test_state_homicides_match_g1(state_totals, year, published):
    # G1, 2023-12-03, citing ISP: state intentional homicides. PROVENANCE found exact agreement: tolerance 0.
    assert int(state_totals.loc[year, "homicides"]) == published


@pytest.mark.parametrize("column, published", [("homicides", 3283), ("lethal_violence", 4257)])
def test_state_2023_match_folha_preliminary(state_totals, column, published):
    # Folha, Jan 2024: preliminary 2023 state figures; consolidation since then moved them by under 0.5 %.
    assert abs(int(state_totals.loc[2023, column]) - published) <= 0.01 * published


def test_rates_reproduce_isp_published_rates(annual, raw_sources):
    # The denominator choice (population_note) must give ISP's own published rates for 1991-2022
    # (SeriesHistoricas, rounded to one decimal).
    hist = read_historical_series(raw_sources / RAW / "SeriesHistoricas.csv")
    pub = hist[(hist["area"] == "Capital") & (hist["variable"] == "homicides")]
    checked = 0
    for r in pub.itertuples():
        if int(r.year) in (2017,):  # SeriesHistoricas holds an older count (1,483 vs 1,492); see caveats
            continue
        row = annual[("isp", int(r.year))]
        rate = float(row.homicide_rate)
        assert abs(rate - float(r.rate)) <= 0.051, int(r.year)
        checked += 1
    assert checked == 31


# ---- coverage and internal consistency of the derived tables ----
def test_series_years_and_status(annual):
    for series in ("isp", "isp_lethal_violence"):
        years = sorted(y for (s, y) in annual if s == series)
        assert years == list(range(1991, 2026)), series
    assert all(r.status == "final" for r in annual.values())  # every month to 2025-12 is ISP fase 3


def test_feminicide_added_back_2024(tables, annual):
    # PROVENANCE section 9: the mid-2025 CISP file (feminicide inside hom_doloso) sums to 963 for 2024; the
    # municipal file gives 946 + 17 feminicides. The district table and the city series must agree.
    sub = tables["homicides_subcity"]
    assert int(sub[(sub["city"] == CITY) & (sub["year"] == 2024)]["homicides"].sum()) == 963
    assert int(annual[("isp", 2024)].homicides) == 963


def test_population_choice(annual):
    assert pd.isna(annual[("isp", 2023)].population)  # no IBGE estimate, census not used
    assert int(annual[("isp", 2022)].population) == 6803421
    assert annual[("isp", 2024)].population_source_id == IBGE_EST
    assert annual[("isp", 1995)].population_source_id == HIST
    assert annual[("isp", 2010)].population_source_id == POP
    assert annual[("isp", 2014)].source_id == MUNI


def test_monthly_subcity_and_indicators(tables):
    mo = tables["homicides_monthly"]
    mo = mo[(mo["city"] == CITY) & (mo["series"] == "isp")]
    assert mo["month"].min() == "2003-01" and len(mo) == len(set(mo["month"]))
    sub = tables["homicides_subcity"]
    sub = sub[sub["city"] == CITY]
    assert sorted(set(sub["year"])) == list(range(2003, 2017)) + [2024]
    assert set(sub["area_type"]) == {"police district (CISP)"}
    ind = tables["indicators"]
    ind = ind[ind["city"] == CITY]
    years = {k: set(v) for k, v in ind.groupby("indicator")["year"]}
    assert years["isp_police_intervention_deaths"] == set(range(2000, 2026))
    assert years["isp_rifles_seized"] == set(range(2007, 2025))
    # 2014 officers killed must come from the CISP file: the municipal file did not collect them that year
    killed = ind[(ind["indicator"] == "isp_police_officers_killed") & (ind["year"] == 2014)]
    assert len(killed) == 1 and float(killed["value"].iloc[0]) > 0


# ---- bad input: small hand-made test tables, not real data ----
MUNI_HEADER = ("fmun_cod;fmun;ano;mes;regiao;hom_doloso;lesao_corp_morte;latrocinio;hom_por_interv_policial;"
               "feminicidio;letalidade_violenta;pol_militares_mortos_serv;pol_civis_mortos_serv;fase\n")


def _write(tmp_path, name, text, encoding="latin1"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def test_hand_made_municipal_ok_and_feminicide(tmp_path):
    p = _write(tmp_path, "hand_made_muni.csv", MUNI_HEADER +
               "3304557;Rio de Janeiro;2024;9;Capital;10;1;1;2;;14;0;0;3\n"
               "3304557;Rio de Janeiro;2024;10;Capital;10;1;1;2;3;17;0;0;3\n")
    m = read_municipal_monthly(p)
    assert list(m["homicides"]) == [10, 13]


def test_hand_made_municipal_feminicide_double_counted(tmp_path):
    # letalidade 14 = hom_doloso already including the 3 feminicides: adding them back would double count
    p = _write(tmp_path, "hand_made_muni.csv", MUNI_HEADER + "3304557;Rio;2024;10;Capital;10;1;1;2;3;14;0;0;3\n")
    with pytest.raises(DataError) as e:
        read_municipal_monthly(p)
    assert e.value.row == 2 and e.value.field == "letalidade_violenta"


def test_hand_made_municipal_missing_column(tmp_path):
    p = _write(tmp_path, "hand_made_muni.csv", MUNI_HEADER.replace(";feminicidio", "") +
               "3304557;Rio;2024;9;Capital;10;1;1;2;14;0;0;3\n")
    with pytest.raises(DataError, match="feminicidio"):
        read_municipal_monthly(p)


def test_hand_made_municipal_negative_and_duplicate(tmp_path):
    p = _write(tmp_path, "hand_made_neg.csv", MUNI_HEADER + "3304557;Rio;2024;9;Capital;-1;1;1;2;;3;0;0;3\n")
    with pytest.raises(DataError) as e:
        read_municipal_monthly(p)
    assert e.value.field == "hom_doloso" and e.value.row == 2 and "negative" in e.value.problem
    row = "3304557;Rio;2024;9;Capital;10;1;1;2;;14;0;0;3\n"
    p = _write(tmp_path, "hand_made_dup.csv", MUNI_HEADER + row + row)
    with pytest.raises(DataError) as e:
        read_municipal_monthly(p)
    assert e.value.row == 3 and "duplicate" in e.value.problem


CISP_2017_HEADER = ("CISP;mes;vano;mcirc;hom_doloso;lesao_corp_morte;latrocinio;hom_por_interv_policial;"
                    "pol_militares_mortos_serv;pol_civis_mortos_serv;indicador_letalidade;fase\n")


def test_hand_made_cisp_layouts(tmp_path):
    p = _write(tmp_path, "hand_made_cisp17.csv", CISP_2017_HEADER + "5;1;2003;3304557;3;0;0;1;0;0;4;3\n")
    c = read_cisp_monthly(p)
    assert int(c["year"].iloc[0]) == 2003 and int(c["lethal_violence"].iloc[0]) == 4
    p = _write(tmp_path, "hand_made_cisp_bad.csv", CISP_2017_HEADER + "5;1;2003;3304557;x;0;0;1;0;0;4;3\n")
    with pytest.raises(DataError) as e:
        read_cisp_monthly(p)
    assert e.value.row == 2 and e.value.field == "hom_doloso"
    p = _write(tmp_path, "hand_made_cisp_fem.csv", CISP_2017_HEADER.replace(";fase", ";feminicidio;fase") +
               "5;1;2025;3304557;3;0;0;1;0;0;4;1;3\n")
    with pytest.raises(DataError, match="feminicidio"):
        read_cisp_monthly(p)


def test_hand_made_historical_series(tmp_path):
    header = "ano;area geografica;delito;contagem;populacao;taxa por 100 mil habitantes\n"
    p = _write(tmp_path, "hand_made_hist.csv", header + "1991;Capital;Homicídio Doloso;1.200;2.000.000;60,0\n")
    assert int(read_historical_series(p)["count"].iloc[0]) == 1200
    p = _write(tmp_path, "hand_made_hist_bad.csv", header + "1991;Capital;Homicídio Doloso;1.200;2.000.000;66,0\n")
    with pytest.raises(DataError) as e:
        read_historical_series(p)
    assert e.value.row == 2 and e.value.field == "homicide_rate"


def test_hand_made_population_files(tmp_path):
    p = _write(tmp_path, "hand_made_pop.csv", "cod_munic;munic;pop_munic;ano\n3304557;Rio;100,6;2022\n")
    assert int(read_isp_population(p)["population"].iloc[0]) == 101
    p = _write(tmp_path, "hand_made_pop_dup.csv",
               "cod_munic;munic;pop_munic;ano\n3304557;Rio;100;2022\n3304557;Rio;101;2022\n")
    with pytest.raises(DataError, match="duplicate"):
        read_isp_population(p)
    p = _write(tmp_path, "populacao-2024_2024-12-30_hand_made.csv",
               "uf,codigo_uf,codigo_municipio,municipio,populacao\nRJ,33,3304557,Rio,500\n", encoding="utf-8")
    e = read_ibge_estimate(p)
    assert int(e["year"].iloc[0]) == 2024 and int(e["population"].iloc[0]) == 500
    p = _write(tmp_path, "hand_made_no_year.csv", "uf,codigo_municipio,populacao\nRJ,3304557,500\n", encoding="utf-8")
    with pytest.raises(DataError, match="year"):
        read_ibge_estimate(p)


def test_hand_made_weapons_bad_month(tmp_path):
    p = _write(tmp_path, "hand_made_weapons.csv",
               '"cisp";"mes";"ano";"arma_fogo_fuzil";"arma_fogo_total"\n1;13;2007;0;2\n')
    with pytest.raises(DataError) as e:
        read_weapons(p)
    assert e.value.row == 2 and e.value.field == "mes"


def test_splice_refuses_disagreeing_files():
    a = pd.DataFrame({"year": [2014], "homicides": [1000], "fase": [3]})
    b = pd.DataFrame({"year": [2014, 2013], "homicides": [1050, 900], "fase": [3, 3]})
    with pytest.raises(DataError, match="2014"):
        splice([("newer", a), ("older", b)], "homicides", "hand-made")
    ok = splice([("newer", a), ("older", b.assign(homicides=[1001, 900]))], "homicides", "hand-made")
    assert list(ok["source_id"]) == ["older", "newer"] and list(ok["value"]) == [900, 1000]


def test_choose_population_hand_made():
    isp = pd.DataFrame({"year": [2021, 2022], "population": [100, 101]})
    hist = pd.DataFrame({"year": [2020], "population": [99]})
    ibge = pd.DataFrame({"year": [2021, 2024], "population": [100, 98]})
    p = choose_population(isp, hist, ibge, "hand-made").set_index("year")
    assert p.loc[2024, "population_source_id"] == IBGE_EST and 2023 not in p.index
    with pytest.raises(DataError, match="2021"):
        choose_population(isp, hist, ibge.assign(population=[120, 98]), "hand-made")
