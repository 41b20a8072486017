"""sweden_police_events step: Police event notices for Stockholms län and the City; bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive import sweden_police_events as step
from citycases.derive.sweden_police_events import _check_against, _counts, read_events, read_monthly
from citycases.errors import DataError
from citycases.paths import EVENTS

STEP = "sweden_police_events"


@pytest.fixture(scope="module")
def tables(derived):
    return derived(STEP)


@pytest.fixture(scope="module")
def ind(tables):
    i = tables["indicators"]
    return {(r.indicator, int(r.year)): float(r.value) for r in i[i["city"] == "stockholm"].itertuples()}


def test_notices_far_below_official_shootings(ind):
    # Cross-check 2: the Police's statistics give 98 shootings in Region Stockholm in 2024 (news quoting the
    # Police); the feed has 21 + 2 shooting notices in Stockholms län. Notices must not pass for a count.
    notices = ind[("police_notices_shooting_lan", 2024)]
    assert notices == 21 + 2
    assert notices < 0.5 * 98


def test_murder_notices_2024_against_collectors_table(ind):
    # "Key series" of PROVENANCE (collector's own count from the monthly table): 21 in the county, 10 in the City.
    assert ind[("police_notices_murder_lan", 2024)] == 21
    assert ind[("police_notices_murder_kommun", 2024)] == 10
    assert ind[("police_notices_explosion_lan", 2025)] == 54


def test_only_full_years_in_indicators(ind):
    assert {y for _, y in ind} == {2024, 2025}


def test_monthly_covers_complete_months_only(tables):
    m = tables["homicides_monthly"]
    m = m[m["city"] == "stockholm"]
    for series in ("polisen_notices_mord_drap_lan", "polisen_notices_mord_drap_kommun"):
        months = sorted(m.loc[m["series"] == series, "month"])
        assert months[0] == "2023-04" and months[-1] == "2026-07" and len(months) == 40


def test_monthly_indicators_add_up_to_the_annual_ones(tables, ind):
    # PROVENANCE cross-check 3: county explosion notices peak at 18 in January 2025; the monthly rows of every
    # indicator sum to its annual figure in each full year, and cover the same complete months as the homicides
    mi = tables["indicators_monthly"]
    mi = mi[mi["city"] == "stockholm"]
    expl = mi[mi["indicator"] == "police_notices_explosion_lan"].set_index("month")["value"]
    assert expl.idxmax() == "2025-01" and expl.max() == 18
    for (indicator, year), value in ind.items():
        if indicator.startswith("police_notices_murder"):
            assert indicator not in set(mi["indicator"])     # already homicides_monthly
            continue
        months = mi[(mi["indicator"] == indicator) & mi["month"].str.startswith(str(year))]
        assert len(months) == 12 and months["value"].sum() == value, (indicator, year)
    assert sorted(set(mi["month"]))[0] == "2023-04" and len(set(mi["month"])) == 40


def test_explosion_peak_january_2025(raw_sources):
    # Cross-check 3: county explosion notices peak at 18 in January 2025, the month the government called an
    # extra meeting of the Council against organised crime "because of the explosions".
    ev = read_events(raw_sources / step.EVENTS)
    monthly = read_monthly(raw_sources / step.MONTHLY)
    c = _counts(ev, step.complete_months(monthly))
    expl = c[c["type"].isin(step.GROUPS["explosion"])].groupby("month")["n"].sum()
    assert expl.idxmax() == "2025-01" and expl.max() == 18


def test_events_file_has_the_key_dates():
    ev = pd.read_csv(EVENTS / "stockholm.csv", dtype=str, keep_default_na=False)
    assert list(ev["date"]) == sorted(ev["date"])
    dates = set(ev["date"])
    assert {"2015-01-01", "2019-11-10", "2023-09", "2025-01"} <= dates


# --------------------------------------------------------------------------- bad input (hand-made test inputs)
def _events(tmp_path, rows):
    p = tmp_path / "events.csv"
    pd.DataFrame(rows, columns=["event_id", "datetime", "type", "location_name", "kommun_from_name"]).to_csv(
        p, index=False)
    return p


def test_duplicate_event_id(tmp_path):
    p = _events(tmp_path, [["1", "2024-03-01 10:00:00 +01:00", "Mord/dråp", "Solna", "Solna"],
                           ["1", "2024-03-02 10:00:00 +01:00", "Mord/dråp", "Solna", "Solna"]])
    with pytest.raises(DataError) as e:
        read_events(p)
    assert "duplicate" in str(e.value) and e.value.row == 3


def test_malformed_datetime(tmp_path):
    p = _events(tmp_path, [["1", "1 mars 2024", "Mord/dråp", "Solna", "Solna"]])
    with pytest.raises(DataError) as e:
        read_events(p)
    assert e.value.field == "datetime" and e.value.row == 2


def test_monthly_negative_count(tmp_path):
    p = tmp_path / "monthly.csv"
    pd.DataFrame({"month": ["2024-03"], "geography": ["Stockholms län (all)"], "event_type": ["Mord/dråp"],
                  "n_events": ["-1"], "coverage_note": ["complete"]}).to_csv(p, index=False)
    with pytest.raises(DataError, match="negative") as e:
        read_monthly(p)
    assert e.value.field == "n_events"


def test_event_list_and_monthly_table_must_agree(tmp_path):
    ev = read_events(_events(tmp_path, [["1", "2024-03-01 10:00:00 +01:00", "Mord/dråp", "Solna", "Solna"]]))
    counts = _counts(ev, ["2024-03"])
    types = counts["type"].tolist()
    monthly = pd.DataFrame({"month": "2024-03", "geography": "Stockholms län (all)", "event_type": types,
                            "n_events": [2 if t == "Mord/dråp" else 0 for t in types], "complete": True})
    with pytest.raises(DataError, match="2 in the monthly table but 1 notices"):
        _check_against(counts, monthly, "Stockholms län")


class _FakeCtx:
    """Stands in for the derivation context, pointing at hand-made files."""

    def __init__(self, files):
        self.files = files

    def raw(self, source_id, rel):
        return self.files[rel]

    def cities_for(self, name):
        return [({"slug": "stockholm"}, {"county": "01", "kommun": "Stockholm"})]


def test_notice_outside_the_county(tmp_path):
    ev = _events(tmp_path, [["1", "2024-03-01 10:00:00 +01:00", "Mord/dråp", "Uppsala", "Uppsala"]])
    monthly = tmp_path / "monthly.csv"
    pd.DataFrame({"month": ["2024-03"], "geography": ["Stockholms län (all)"], "event_type": ["Mord/dråp"],
                  "n_events": ["1"], "coverage_note": ["complete"]}).to_csv(monthly, index=False)
    with pytest.raises(DataError) as e:
        step.derive(_FakeCtx({step.EVENTS: ev, step.MONTHLY: monthly}))
    assert "outside Stockholms län" in str(e.value) and e.value.row == 2 and e.value.field == "location_name"
