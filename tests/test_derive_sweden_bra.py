"""sweden_bra step: Brå lethal violence for Polisregion Stockholm and Sweden, SCB population; bad input."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from citycases.derive._sweden import (COUNTY_KOMMUNER, TRANSCRIBED_COLUMNS, annual_values, national_population,
                                      population_of, read_scb_kommun_population, read_transcribed_population,
                                      read_transcribed_series)
from citycases.derive.sweden_bra import read_reported_national
from citycases.errors import DataError

STEP = "sweden_bra"
REGION = "Polisregion Stockholm (Stockholms län + Gotland)"


@pytest.fixture(scope="module")
def tables(derived):
    return derived(STEP)


@pytest.fixture(scope="module")
def region(tables):
    a = tables["homicides_annual"]
    a = a[(a["city"] == "stockholm") & (a["series"] == "bra_polisregion")]
    return {int(r.year): r for r in a.itertuples()}


@pytest.fixture(scope="module")
def national(tables):
    cc = tables["country_context"]
    cc = cc[cc["country"] == "SWE"]
    return {(r.indicator, int(r.year)): float(r.value) for r in cc.itertuples()}


# --------------------------------------------------------------------------- cross-checks (PROVENANCE.md)
def test_region_2017_reproduces_bra_published_rate(region):
    # Section 6: SVT and Mitt i both quote Brå's 50 cases for 2017, "2.1 per 100,000"; the SCB population
    # of Stockholms län (2,308,143) + Gotland (58,595) reproduces it. Tolerance 0.05: one published decimal.
    r = region[2017]
    assert r.homicides == 50
    assert r.population == 2_308_143 + 58_595
    assert abs(float(r.homicide_rate) - 2.1) <= 0.05


def test_region_years_and_territory(region):
    # Section 9: Brå region counts found for 2016-2020 only; 2019 = 45 - 11.
    assert sorted(region) == [2016, 2017, 2018, 2019, 2020]
    assert region[2019].homicides == 45 - 11
    assert all("Gotland" in r.unit and r.unit.startswith("police region") for r in region.values())


@pytest.mark.parametrize("year, published, where", [
    (2017, 113, "news (Lidköpingsnytt reproducing Brå's release, SVT)"),
    (2018, 108, "Mitt i quoting Brå"),
    (2020, 124, "securityuser.com reproducing Brå's release"),
    (2021, 113, "Brå: 116 in 2022 was 3 more than 2021"),
    (2022, 116, "bra.se publication page"),
    (2023, 121, "bra.se"),
])
def test_national_series_matches_bra_pages(national, year, published, where):
    # Cross-check 4: exact (counts).
    assert national[("bra_lethal_violence_national", year)] == published, where


def test_national_is_not_a_city_series(tables):
    assert set(tables["homicides_annual"]["unit"]) == {"police region (Stockholms län + Gotlands län)"}
    defs = tables["indicator_definitions"].set_index("indicator")
    assert defs.loc["bra_lethal_violence_national", "scope"] == "country"


def test_national_rate_2024(national):
    # "Key series": 92 / 10,587,710 = 0.87 per 100,000 (SCB table page for 2024). Tolerance 0.005.
    assert abs(national[("bra_lethal_violence_national_rate", 2024)] - 0.87) <= 0.005
    assert ("bra_lethal_violence_national_rate", 2022) not in national  # no SCB population for 2022


def test_scb_national_sums_match_published_totals(raw_sources):
    # Section 6: sums of all kommuner equal SCB's national totals (also hard-coded in mokshasoft's site).
    pop = read_scb_kommun_population(raw_sources / "stockholm/scb_population_malmogram/"
                                                    "Data-Population-by-municipality.csv")
    riket = national_population(pop, "test")
    assert (riket[2000], riket[2010], riket[2019]) == (8_882_792, 9_415_570, 10_327_589)
    # Section 6: the City of Stockholm 2000-2020 agrees exactly with the transcribed SCB table (file 3).
    tr = read_transcribed_population(raw_sources / "stockholm/population_stockholm_transcribed.csv")
    city = tr[tr["region_code"] == "0180"].set_index("year")["population"]
    ours = population_of(pop, ["Stockholm"], "test")
    for y in range(2000, 2021):
        assert ours[y] == city[y], y


def test_transcribed_county_growth_2023(raw_sources):
    # Cross-check 6: Region Stockholm's page gives +14,794 for 2023.
    tr = read_transcribed_population(raw_sources / "stockholm/population_stockholm_transcribed.csv")
    lan = tr[tr["region_code"] == "01"].set_index("year")["population"]
    assert lan[2023] - lan[2022] == 14_794


# --------------------------------------------------------------------------- bad input (hand-made test inputs)
def _transcribed(tmp_path, rows, name="transcribed.csv"):
    """Hand-made test input in the layout of region_stockholm_series_transcribed.csv."""
    p = tmp_path / name
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TRANSCRIBED_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: "" for c in TRANSCRIBED_COLUMNS} | {"derived": "no", "source_class": "official",
                                                                 "region": REGION} | r)
    return p


M = "Brå konstaterade fall av dödligt våld"


def test_missing_column(tmp_path):
    p = tmp_path / "t.csv"
    pd.DataFrame({"series": ["x"], "year": ["2017"]}).to_csv(p, index=False)
    with pytest.raises(DataError, match="missing column"):
        read_transcribed_series(p)


def test_disagreeing_pages_are_an_error(tmp_path):
    p = _transcribed(tmp_path, [{"year": "2017", "period": "2017", "measure": M, "value": "50"},
                                {"year": "2017", "period": "2017", "measure": M, "value": "49"}])
    with pytest.raises(DataError) as e:
        annual_values(read_transcribed_series(p), p, measure=M, region=REGION)
    assert "disagree" in str(e.value) and e.value.field == "value" and e.value.row == 2


def test_preferred_value_resolves_and_keeps_the_other(tmp_path):
    p = _transcribed(tmp_path, [{"year": "2020", "period": "2020", "measure": M, "value": "148"},
                                {"year": "2020", "period": "2020", "measure": M, "value": "156"}])
    main, other = annual_values(read_transcribed_series(p), p, measure=M, region=REGION, preferred={2020: 156})
    assert main["value"].tolist() == [156] and other["value"].tolist() == [148]
    with pytest.raises(DataError, match="not among"):
        annual_values(read_transcribed_series(p), p, measure=M, region=REGION, preferred={2020: 150})


def test_non_numeric_and_negative_counts(tmp_path):
    p = _transcribed(tmp_path, [{"year": "2016", "period": "2016", "measure": M, "value": "26"},
                                {"year": "2018", "period": "2018", "measure": M, "value": "twenty"}])
    with pytest.raises(DataError) as e:
        annual_values(read_transcribed_series(p), p, measure=M, region=REGION)
    assert e.value.row == 3 and e.value.field == "value"
    p = _transcribed(tmp_path, [{"year": "2018", "period": "2018", "measure": M, "value": "-3"}], "neg.csv")
    with pytest.raises(DataError, match="negative"):
        annual_values(read_transcribed_series(p), p, measure=M, region=REGION)


def test_partial_low_reliability_and_inferred_rows_are_ignored(tmp_path):
    p = _transcribed(tmp_path, [
        {"year": "2018", "period": "2018", "measure": M, "value": "28"},
        {"year": "2018", "period": "2018-01-01..2018-09-19 (partial)", "measure": M, "value": "20"},
        {"year": "2018", "period": "2018", "measure": M, "value": "99",
         "source_class": "secondary_low_reliability_quoting_agency"},
        {"year": "2018", "period": "2018", "measure": M, "value": "77", "derived": "year_inferred"},
        {"year": "2018", "period": "2018", "measure": M, "value": "5",
         "region": REGION + " [page says Stockholms län]"},
    ])
    main, other = annual_values(read_transcribed_series(p), p, measure=M, region=REGION)
    assert main["value"].tolist() == [28] and other.empty


def test_national_duplicate_year(tmp_path):
    p = tmp_path / "reported.csv"
    pd.DataFrame({"indicator": ["Brå konstaterade fall av dödligt våld (victims)"] * 2,
                  "geography": ["Sverige"] * 2, "period": ["2020", "2020"], "value": ["124", "125"],
                  "original_publisher": ["Brå"] * 2}).to_csv(p, index=False)
    with pytest.raises(DataError, match="duplicate"):
        read_reported_national(p)


def test_population_bad_cells_and_missing_kommun(tmp_path):
    p = tmp_path / "pop.csv"
    pd.DataFrame({"Kommun": ["Gotland", "Gotland"], "År": ["2019", "2020"],
                  "Befolkning": ["59686", "n/a"]}).to_csv(p, index=False)
    with pytest.raises(DataError) as e:
        read_scb_kommun_population(p)
    assert e.value.row == 3 and e.value.field == "Befolkning"
    pd.DataFrame({"Kommun": ["Gotland"], "År": ["2020"], "Befolkning": ["60124"]}).to_csv(p, index=False)
    with pytest.raises(DataError, match="not in the population table"):
        population_of(read_scb_kommun_population(p), COUNTY_KOMMUNER["01"], p)
