"""sweden_bra_handled step: Brå handled offences (Tabell 300) for Polisregion Stockholm and Sweden, as case-load
indicators (never homicides); the held-out published Stockholm figures against the confirmed-case series; bad
input."""
from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from citycases.derive.sweden_bra_handled import COLUMNS, SCOPE_CHANGE, TABLE, check_table, read_table
from citycases.errors import DataError

STEP = "sweden_bra_handled"
PUBLISHED = "stockholm/region_stockholm_published_figures_2026-12.csv"


@pytest.fixture(scope="module")
def tables(derived):
    return derived(STEP)


@pytest.fixture(scope="module")
def ind(tables):
    i = tables["indicators"]
    i = i[i["city"] == "stockholm"]
    return {(r.indicator, int(r.year)): float(r.value) for r in i.itertuples()}


@pytest.fixture(scope="module")
def national(tables):
    cc = tables["country_context"]
    return {(r.indicator, int(r.year)): float(r.value) for r in cc[cc["country"] == "SWE"].itertuples()}


# --------------------------------------------------------------------------- what the step writes
def test_indicators_only_never_homicides(tables):
    assert tables["homicides_annual"].empty and tables["homicides_monthly"].empty
    defs = tables["indicator_definitions"]
    assert not defs["label"].str.contains("omicide").any()
    completed = defs[defs["indicator"].str.startswith("bra_handled_completed")]
    assert completed["definition"].str.contains("2024").all()            # the scope change is stated
    caseload = defs[defs["indicator"].isin(["bra_handled_completed_polisregion", "bra_handled_completed_national"])]
    assert caseload["definition"].str.contains("not a count of killings").all()
    assert set(defs.set_index("indicator").loc[["bra_handled_completed_national"], "scope"]) == {"country"}


@pytest.mark.parametrize("year, handled, clearance, attempted", [
    # PROVENANCE.md section 10, "Key figures" (Region Stockholm). Counts exact; percentages to one decimal.
    (2015, 108, 21.3, 243),
    (2019, 162, 19.8, 303),
    (2023, 162, 19.1, 418),
    (2024, 194, 15.5, 560),
    (2025, 166, 12.7, 602),
])
def test_key_figures_region(ind, year, handled, clearance, attempted):
    assert ind[("bra_handled_completed_polisregion", year)] == handled
    assert abs(ind[("bra_handled_completed_clearance_polisregion", year)] - clearance) <= 0.05
    assert ind[("bra_handled_attempted_polisregion", year)] == attempted
    assert ind[("bra_handled_completed_firearm_polisregion", year)] <= handled


def test_years_and_share_bounds(ind, national):
    for key in ("bra_handled_completed", "bra_handled_completed_firearm_share", "bra_handled_completed_clearance",
                "bra_handled_attempted"):
        assert sorted(y for k, y in ind if k == f"{key}_polisregion") == list(range(2015, 2026))
        assert sorted(y for k, y in national if k == f"{key}_national") == list(range(2015, 2026))
    for (k, _), v in ind.items():
        if k.endswith(("share_polisregion", "clearance_polisregion")):
            assert 0 <= v <= 100


def test_firearm_share_is_firearm_over_known_victim_sex(raw_sources, ind):
    # Recomputed from the raw rows for one year: (women + men with firearm) / (women + men) x 100.
    t = read_table(raw_sources / TABLE)
    r = t[(t["region_code"] == "Rn03") & (t["year"] == 2020)].set_index("category")["handlagda_totalt"]
    want = (r["fullbordat_mot_kvinna_flicka_med_skjutvapen"] + r["fullbordat_mot_man_pojke_med_skjutvapen"]) / \
           (r["fullbordat_mot_kvinna_flicka"] + r["fullbordat_mot_man_pojke"]) * 100
    assert ind[("bra_handled_completed_firearm_share_polisregion", 2020)] == pytest.approx(want, abs=1e-4)


def test_case_load_far_above_confirmed_cases(ind, derived):
    # Caveat 1 of section 10: handled offences run 2.3-6 times Brå's confirmed cases (2016-2020).
    a = derived("sweden_bra")["homicides_annual"]
    confirmed = {int(r.year): int(r.homicides) for r in a[a["city"] == "stockholm"].itertuples()}
    for year, n in confirmed.items():
        assert 2 * n < ind[("bra_handled_completed_polisregion", year)] <= 6 * n, year


def test_national_handled_totals(national):
    # Section 10 caveat 1: Sweden 2015: 309, 2020: 456, 2024: 548 handled completed offences.
    assert national[("bra_handled_completed_national", 2015)] == 309
    assert national[("bra_handled_completed_national", 2020)] == 456
    assert national[("bra_handled_completed_national", 2024)] == 548


# --------------------------------------------------------------------------- held-out published figures
def _published(raw_sources) -> pd.DataFrame:
    df = pd.read_csv(raw_sources / PUBLISHED, dtype=str, keep_default_na=False, encoding="utf-8")
    return df[df["year"].str.fullmatch(r"\d{4}")]


LOW_RELIABILITY = re.compile(r"partisan|aggregator|low reliability|Google Dataset", re.I)


def test_published_confirmed_cases_reproduce(raw_sources, derived):
    """Every full-year Brå confirmed-case figure for the region in the held-out file (December 2026 search)
    equals the series; none of them is for a year the series lacks."""
    a = derived("sweden_bra")["homicides_annual"]
    series = {int(r.year): int(r.homicides) for r in a[a["city"] == "stockholm"].itertuples()}
    p = _published(raw_sources)
    cases = p[p["measure"].str.contains(r"dödligt våld|mördades, dräptes", regex=True)
              & ~p["measure"].str.contains(r"skjutvapen|sköts|change", regex=True)
              & p["unit"].isin(["cases", "persons"])
              & ~p["publisher"].str.contains(LOW_RELIABILITY)]
    assert len(cases) >= 5
    for r in cases.itertuples():
        assert series.get(int(r.year)) == int(r.value), (r.year, r.publisher)
    # the stated change 2019 -> 2020 gives the derived 2019 value
    change = p[p["unit"].str.startswith("cases (change vs 2019")]
    assert len(change) and all(series[2020] - series[2019] == int(v) for v in change["value"])
    # Brå's published rate for 2017
    rate = p[p["unit"].str.startswith("cases per 100,000")]
    rates = {int(r.year): float(r.homicide_rate) for r in a[a["city"] == "stockholm"].itertuples()}
    assert all(abs(rates[int(r.year)] - float(r.value)) <= 0.05 for r in rate.itertuples())


def test_published_firearm_and_shooting_deaths_reproduce(raw_sources, derived):
    i = derived("sweden_bra", "sweden_police_stats")["indicators"]
    i = {(r.indicator, int(r.year)): float(r.value) for r in i[i["city"] == "stockholm"].itertuples()}
    p = _published(raw_sources)
    firearm = p[p["measure"].str.contains("Brå") & p["measure"].str.contains("skjutvapen|firearm subset")]
    assert len(firearm) >= 3
    for r in firearm.itertuples():
        assert i[("bra_lethal_violence_firearm_polisregion", int(r.year))] == int(r.value), r.year
    shot = p[p["measure"].str.startswith("killed in shootings") & p["unit"].eq("persons")
             & ~p["publisher"].str.contains(LOW_RELIABILITY)]
    assert len(shot) >= 3
    for r in shot.itertuples():
        assert i[("police_shooting_deaths_polisregion", int(r.year))] == int(r.value), (r.year, r.publisher)


# --------------------------------------------------------------------------- bad input (hand-made test inputs)
def _table(tmp_path, edit=None, years=range(2015, 2026)):
    """Hand-made test input in the layout of the Tabell 300 CSV: one region, every category, made-up counts
    that satisfy all checks unless `edit` breaks them."""
    from citycases.derive.sweden_bra_handled import CATEGORIES
    rows = []
    for y in years:
        counts = {"fullbordat_mot_kvinna_flicka_med_skjutvapen": 1, "fullbordat_mot_kvinna_flicka_utan_skjutvapen": 3,
                  "fullbordat_mot_kvinna_flicka": 4, "fullbordat_mot_man_pojke_med_skjutvapen": 2,
                  "fullbordat_mot_man_pojke_utan_skjutvapen": 4, "fullbordat_mot_man_pojke": 6,
                  "fullbordat_total": 10}
        for c in CATEGORIES:
            h = counts.get(c, 20)
            scope = ("ej inkluderad" if y >= SCOPE_CHANGE else "1, 2, 5, 6 §") if c.startswith("fullbordat") else ""
            rows.append({"year": str(y), "region_code": "Rn99", "category": c, "offence_scope": scope,
                         "handlagda_totalt": str(h), "utredda_totalt": str(h - 1), "direktavskrivna_totalt": "1",
                         "utredda_personuppklarade": "", "personuppklaringsprocent": "10"})
    if edit:
        edit(rows)
    p = tmp_path / "t300.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return p


def test_hand_made_table_passes(tmp_path):
    p = _table(tmp_path)
    assert len(check_table(read_table(p), p, "Rn99")) == 11 * 12


def test_handled_not_investigated_plus_written_off(tmp_path):
    p = _table(tmp_path, lambda rows: rows[4].update(direktavskrivna_totalt="5"))
    with pytest.raises(DataError) as e:
        check_table(read_table(p), p, "Rn99")
    assert "written off" in str(e.value) and e.value.row == 6 and e.value.field == "handlagda_totalt"


def test_firearm_rows_must_add_up(tmp_path):
    def edit(rows):
        r = rows[6]  # 2015, women/girls with firearm
        r.update(handlagda_totalt="2", utredda_totalt="1")
    p = _table(tmp_path, edit)
    with pytest.raises(DataError, match="do not add up"):
        check_table(read_table(p), p, "Rn99")


def test_scope_change_in_an_unexpected_year(tmp_path):
    p = _table(tmp_path, lambda rows: [r.update(offence_scope="ej inkluderad") for r in rows
                                       if r["year"] == "2023" and r["category"].startswith("fullbordat")])
    with pytest.raises(DataError) as e:
        check_table(read_table(p), p, "Rn99")
    assert e.value.field == "offence_scope"


def test_missing_year_category_and_column(tmp_path):
    p = _table(tmp_path, years=range(2015, 2025))
    with pytest.raises(DataError, match="missing"):
        check_table(read_table(p), p, "Rn99")
    p = _table(tmp_path, lambda rows: rows.pop(11))
    with pytest.raises(DataError, match="categories"):
        check_table(read_table(p), p, "Rn99")
    q = tmp_path / "short.csv"
    pd.DataFrame({"year": ["2015"], "region_code": ["Rn99"]}).to_csv(q, index=False)
    with pytest.raises(DataError, match="missing column"):
        read_table(q)


def test_clearance_must_match_cleared_counts(tmp_path):
    p = _table(tmp_path, lambda rows: rows[0].update(utredda_personuppklarade="5"))  # 5 / 20 = 25%, not 10%
    with pytest.raises(DataError) as e:
        check_table(read_table(p), p, "Rn99")
    assert e.value.field == "personuppklaringsprocent" and e.value.row == 2
