"""mexico_sesnsp step: Ciudad Juárez SESNSP offences against published figures, and bad input."""
from __future__ import annotations

import pytest

from citycases.derive.mexico_sesnsp import (municipal_offences, read_crimenmexico, read_sesnsp_municipal,
                                            read_state_victims)
from citycases.errors import DataError

STEP = "mexico_sesnsp"
CITY = "ciudad-juarez"


@pytest.fixture(scope="module")
def tables(derived):
    return derived(STEP)


@pytest.fixture(scope="module")
def monthly(tables):
    m = tables["homicides_monthly"]
    m = m[(m["city"] == CITY) & (m["series"] == "sesnsp")]
    return dict(zip(m["month"], m["homicides"].astype(int)))


# PROVENANCE.md G3: the Mesa de Seguridad y Justicia counted 103, 70, 77 and 84 homicide VICTIMS in Juárez in
# March-June 2025 (netnoticias.mx, 2025-08-21). SESNSP counts offences, one per investigation file, so each month
# must be at or below the victim count and, per PROVENANCE, within 20% of it.
@pytest.mark.parametrize("month, victims", [("2025-03", 103), ("2025-04", 70), ("2025-05", 77), ("2025-06", 84)])
def test_offences_a_little_below_mesa_victims(monthly, month, victims):
    assert 0.8 * victims <= monthly[month] <= victims


# PROVENANCE.md F2: the state prosecutor counted 771 victims in Juárez in 2017 (El Heraldo de Juárez, 2022).
# Offences run below victims; allow up to 20% below.
def test_2017_offences_below_prosecutor_victims(tables):
    a = tables["homicides_annual"]
    n = int(a[(a["city"] == CITY) & (a["series"] == "sesnsp") & (a["year"] == 2017)]["homicides"].iloc[0])
    assert 0.8 * 771 <= n <= 771


def test_only_complete_years_are_annual(tables, monthly):
    a = tables["homicides_annual"]
    years = sorted(a[(a["city"] == CITY) & (a["series"] == "sesnsp")]["year"].astype(int))
    assert years == [2015, 2016, 2017, 2024]  # 2018 (Jan-Jun) and 2025 (Jan-Jun) are partial
    assert "2018-06" in monthly and "2025-06" in monthly and "2018-07" not in monthly


def test_state_victims_are_labelled_as_state(tables):
    d = tables["indicator_definitions"].set_index("indicator")
    for ind in ("state08_sesnsp_victims_homicidio_doloso", "state08_sesnsp_victims_feminicidio"):
        assert "Chihuahua state" in d.loc[ind, "label"]
    ind = tables["indicators"]
    years = ind[(ind["city"] == CITY) & (ind["indicator"] == "state08_sesnsp_victims_homicidio_doloso")]["year"]
    assert sorted(years.astype(int)) == list(range(2015, 2025))  # 2025 is partial


# ---- bad input: small hand-made test tables, not real data ----
M24_HEADER = ('"Entidad","Municipio","Feminicidio","Homicidio culposo","Homicidio doloso","Total","Año","Mes",'
              '"Periodo","Otros delitos que atentan contra la vida y la integridad corporal"')


def _m24(tmp_path, lines, header=M24_HEADER):
    p = tmp_path / "hand_made_sesnsp_municipal.csv"
    p.write_text("\n".join([header] + lines) + "\n", encoding="utf-8")
    return p


GOOD = '"Estado","Pueblo","1.0","2.0","10.0","13.0","2024","Enero","Enero 2024","0"'


def test_reads_hand_made_municipal_file(tmp_path):
    df = read_sesnsp_municipal(_m24(tmp_path, [GOOD]))
    assert df.iloc[0][["month", "homicidio_doloso", "feminicidio"]].tolist() == [1, 10, 1]


def test_total_not_sum_of_columns(tmp_path):
    bad = GOOD.replace('"13.0"', '"14.0"')
    with pytest.raises(DataError, match=r"row 2, field 'Total'"):
        read_sesnsp_municipal(_m24(tmp_path, [bad]))


def test_unknown_month_name(tmp_path):
    with pytest.raises(DataError, match="field 'Mes'"):
        read_sesnsp_municipal(_m24(tmp_path, [GOOD.replace('"Enero",', '"Enro",')]))


def test_duplicate_month(tmp_path):
    with pytest.raises(DataError, match=r"row 3.*duplicate key"):
        read_sesnsp_municipal(_m24(tmp_path, [GOOD, GOOD]))


def test_negative_count(tmp_path):
    bad = GOOD.replace('"10.0","13.0"', '"-10.0","-7.0"')
    with pytest.raises(DataError, match=r"field 'Homicidio doloso'.*negative"):
        read_sesnsp_municipal(_m24(tmp_path, [bad]))


def test_missing_column(tmp_path):
    header = M24_HEADER.replace('"Feminicidio",', "")
    with pytest.raises(DataError, match="missing column"):
        read_sesnsp_municipal(_m24(tmp_path, [GOOD], header=header))


def _crimenmexico(tmp_path, rows):
    p = tmp_path / "hand_made_crimenmexico.csv"
    p.write_text("series_key,group_index,date,name,count\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_crimenmexico_bad_date(tmp_path):
    with pytest.raises(DataError, match="field 'date'"):
        read_crimenmexico(_crimenmexico(tmp_path, ['hd,0,2015-01-15,"PUEBLO, EST",3']))


def test_name_not_found_and_overlap(tmp_path):
    cm = read_crimenmexico(_crimenmexico(tmp_path, ['hd,0,2024-01-01,"PUEBLO, EST",3']))
    m24 = read_sesnsp_municipal(_m24(tmp_path, [GOOD]))
    kw = dict(entidad="Estado", municipio="Pueblo", files=("a.csv", "b.csv"))
    with pytest.raises(DataError, match="no SESNSP rows"):
        municipal_offences(cm, m24, crimenmexico_name="OTRO, EST", **kw)
    # Both compilations give January 2024: the same month must not be counted twice.
    with pytest.raises(DataError, match="duplicate key"):
        municipal_offences(cm, m24, crimenmexico_name="PUEBLO, EST", **kw)


def test_state_victims_unexpected_subtype(tmp_path):
    p = tmp_path / "hand_made_victims.csv"
    p.write_text("n_year,n_month,cve_ent,nombre_estado,subtipo_de_delito,n_victimas\n"
                 "2020,1,08,Estado,Homicidio culposo,4\n", encoding="utf-8")
    with pytest.raises(DataError, match="field 'subtipo_de_delito'"):
        read_state_victims(p)
