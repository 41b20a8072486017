"""sweden_police_stats step: Police shootings and explosions for Polisregion Stockholm; bad input."""
from __future__ import annotations

import csv

import pytest

from citycases.derive._sweden import TRANSCRIBED_COLUMNS, annual_values, read_transcribed_series
from citycases.errors import DataError

STEP = "sweden_police_stats"
REGION = "Polisregion Stockholm (Stockholms län + Gotland)"


@pytest.fixture(scope="module")
def ind(derived):
    tables = derived(STEP)
    i = tables["indicators"]
    i = i[i["city"] == "stockholm"]
    return {(r.indicator, int(r.year)): float(r.value) for r in i.itertuples()}


def test_2020_provisional_and_revised_both_kept(ind):
    # Cross-check 7: DN 148 (provisional, 30 Dec 2020) vs Blåljus 156 (later police follow-up). Exact.
    assert ind[("police_shootings_polisregion", 2020)] == 156
    assert ind[("police_shootings_polisregion_earlier", 2020)] == 148
    assert ind[("police_shooting_deaths_polisregion", 2020)] == 25
    assert ind[("police_shooting_deaths_polisregion_earlier", 2020)] == 23


def test_2019_agrees_across_pages(ind):
    # Section 4/9: DN and Blåljus both give 87 shootings, 16 killed for 2019.
    assert ind[("police_shootings_polisregion", 2019)] == 87
    assert ind[("police_shooting_deaths_polisregion", 2019)] == 16


def test_2017_two_polisen_pages(ind):
    # Section 9: polisen.se gives 129 (March 2018) and 130 (May 2018 regional study).
    assert ind[("police_shootings_polisregion", 2017)] == 130
    assert ind[("police_shootings_polisregion_earlier", 2017)] == 129


def test_partial_rolling_and_low_reliability_left_out(ind):
    # 2021: only 1 Jan-15 Oct (109) and a rolling 12 months to July (149); 2024: 98 only in a partisan outlet.
    for year in (2018, 2021, 2024):
        assert ("police_shootings_polisregion", year) not in ind
    # Sprängningar 2018-2020 appear only in low-reliability outlets.
    assert not any(k[0].startswith("police_sprang") for k in ind)


def test_unforeseen_disagreement_is_an_error(tmp_path):
    """Hand-made test input: two official pages with different shooting counts for one year."""
    p = tmp_path / "t.csv"
    m = "Polisen bekräftade skjutningar: skjutningar"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TRANSCRIBED_COLUMNS)
        w.writeheader()
        for v in ("87", "90"):
            w.writerow({c: "" for c in TRANSCRIBED_COLUMNS} | {"year": "2019", "period": "2019", "region": REGION,
                                                                 "measure": m, "value": v, "derived": "no",
                                                                 "source_class": "official"})
    series = read_transcribed_series(p)
    with pytest.raises(DataError) as e:
        annual_values(series, p, measure=m, region=REGION)
    assert "disagree" in str(e.value) and e.value.row == 2 and e.value.field == "value"
    # a resolution for a year the file does not have is also an error (stale PREFERRED table)
    with pytest.raises(DataError, match="no such year"):
        annual_values(series, p, measure=m, region=REGION, preferred={2019: 87, 2020: 156})
