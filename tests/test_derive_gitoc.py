"""gitoc step: Global Organized Crime Index scores against published figures, and bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive import gitoc, worldbank_wdi
from citycases.derive.gitoc import INDICATORS, read_oc_index
from citycases.errors import DataError
from citycases.sources import load_registry, raw_path

STEP = "gitoc"


@pytest.fixture(scope="module")
def scores(derived):
    tables = derived(STEP)
    cc = tables["country_context"]
    return {(r.country, int(r.year), r.indicator): float(r.value) for r in cc.itertuples()}


@pytest.fixture(scope="module")
def whole_index(raw_sources):
    """Every country of the workbook (not only the cities' countries), for rankings."""
    reg = load_registry()
    names = gitoc.name_lookup(worldbank_wdi.read_economy_names(
        raw_path(reg[worldbank_wdi.SOURCE_ID], worldbank_wdi.POPULATION_FILE)))
    return read_oc_index(raw_path(reg[gitoc.SOURCE_ID], gitoc.FILE), names)


# PROVENANCE.md cross-checks 1-2: criminality scores reported in the press.
@pytest.mark.parametrize("country, year, published, tol, where", [
    ("COL", 2021, 7.66, 0.005, "2021 top 10 (quindionoticias.com, vivalanoticia.mx)"),
    ("MEX", 2021, 7.56, 0.005, "2021 top 10"),
    ("MEX", 2023, 7.57, 0.005, "2023 list (tolimastereo.com citing portafolio.co)"),
    # The same 2023 report gave Colombia 7.77 against 7.75 in the GI-TOC workbook (unexplained, see PROVENANCE).
    ("COL", 2023, 7.77, 0.025, "2023 list, known 0.02 discrepancy"),
])
def test_criminality_matches_press(scores, country, year, published, tol, where):
    got = scores[(country, year, "gitoc_criminality")]
    assert abs(got - published) <= tol, f"{where}: {got} vs {published}"


@pytest.mark.parametrize("year, country, published", [
    (2021, "COD", 7.75), (2021, "MMR", 7.59), (2021, "NGA", 7.15), (2021, "IRN", 7.10), (2021, "CAF", 7.04),
    (2023, "MMR", 8.15), (2023, "PRY", 7.52), (2023, "COD", 7.35), (2023, "ZAF", 7.18), (2023, "LBN", 7.10),
])
def test_other_countries_match_press(whole_index, year, country, published):
    """Name matching of the whole workbook (e.g. 'Congo, Dem, Rep,', 'Iran'), against the same press lists."""
    w = whole_index[(whole_index["indicator"] == "gitoc_criminality") & (whole_index["year"] == year)]
    assert abs(float(w.loc[w["country"] == country, "value"].iloc[0]) - published) <= 0.005


@pytest.mark.parametrize("year", [2021, 2023])
def test_brazil_22nd_in_criminality(whole_index, year):
    """pledgetimes.com: Brazil 22nd of 193 in 2021 and 2023 (PROVENANCE cross-check 2)."""
    w = whole_index[(whole_index["indicator"] == "gitoc_criminality") & (whole_index["year"] == year)]
    assert w["country"].nunique() == 193
    rank = w.set_index("country")["value"].rank(ascending=False, method="min")
    assert rank["BRA"] == 22


def test_editions_and_late_indicators(scores):
    years = {y for (_, y, _) in scores}
    assert years == {2021, 2023, 2025}
    # Extortion and private-sector actors were first assessed in 2023: no 2021 rows, none filled.
    assert not any(y == 2021 and i in ("gitoc_extortion", "gitoc_private_sector_actors") for (_, y, i) in scores)


# ---- bad input: small hand-made test workbooks, not real data ----
NAMES = {"aland": "AAA", "bland": "BBB", "congo dem rep": "COD"}


def _sheet(edition, rows):
    """A frame with every column the reader needs for that edition, 2021/2023-style names ('avg,')."""
    cols = {}
    for ind, (columns, first, _l, _d) in INDICATORS.items():
        if edition >= first:
            cols[ind] = columns[0] + ("," if columns[0].endswith("avg") else "")
    out = []
    for country, crim, markets, actors in rows:
        r = {"Continent": "X", "Region": "X", "Country": country}
        for ind, col in cols.items():
            r[col] = {"gitoc_criminality": crim, "gitoc_criminal_markets": markets,
                      "gitoc_criminal_actors": actors}.get(ind, 5.0)
        out.append(r)
    return pd.DataFrame(out)


def _xlsx(tmp_path, sheets):
    p = tmp_path / "hand_made_ocindex.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"x": ["description sheet, ignored"]}).to_excel(xw, sheet_name="About", index=False)
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
    return p


GOOD = [("Aland", 5.5, 5.0, 6.0), ("Congo, Dem, Rep,", 7.0, 7.0, 7.0)]


def test_reads_hand_made_workbook(tmp_path):
    df = read_oc_index(_xlsx(tmp_path, {"2021_dataset": _sheet(2021, GOOD), "2023_dataset": _sheet(2023, GOOD)}),
                       NAMES)
    crim = df[df["indicator"] == "gitoc_criminality"].set_index(["country", "year"])["value"]
    assert crim[("COD", 2021)] == 7.0 and crim[("AAA", 2023)] == 5.5
    assert set(df.loc[df["year"] == 2021, "indicator"]) == {i for i, v in INDICATORS.items() if v[1] <= 2021}


def test_unknown_country_name(tmp_path):
    p = _xlsx(tmp_path, {"2023_dataset": _sheet(2023, GOOD + [("Atlantis", 5.0, 5.0, 5.0)])})
    with pytest.raises(DataError, match="'Atlantis' matches no World Bank country name") as exc:
        read_oc_index(p, NAMES)
    assert exc.value.row == 4 and exc.value.field == "Country" and "2023_dataset" in exc.value.file


def test_duplicate_country(tmp_path):
    p = _xlsx(tmp_path, {"2023_dataset": _sheet(2023, GOOD + [("ALAND", 5.5, 5.0, 6.0)])})
    with pytest.raises(DataError, match="duplicate key") as exc:
        read_oc_index(p, NAMES)
    assert exc.value.row == 4


def test_non_numeric_score(tmp_path):
    p = _xlsx(tmp_path, {"2023_dataset": _sheet(2023, GOOD + [("Bland", "high", 5.0, 5.0)])})
    with pytest.raises(DataError, match="not a number") as exc:
        read_oc_index(p, NAMES)
    assert exc.value.row == 4 and exc.value.field == "Criminality avg"


def test_score_off_scale(tmp_path):
    p = _xlsx(tmp_path, {"2023_dataset": _sheet(2023, GOOD + [("Bland", 0.0, 0.0, 0.0)])})
    with pytest.raises(DataError, match="outside the scale"):
        read_oc_index(p, NAMES)


def test_missing_column(tmp_path):
    sheet = _sheet(2023, GOOD).drop(columns=["Mafia-style groups"])
    with pytest.raises(DataError, match=r"missing column.*Mafia-style groups"):
        read_oc_index(_xlsx(tmp_path, {"2023_dataset": sheet}), NAMES)


def test_criminality_not_mean_of_pillars(tmp_path):
    p = _xlsx(tmp_path, {"2021_dataset": _sheet(2021, GOOD + [("Bland", 9.0, 5.0, 5.0)])})
    with pytest.raises(DataError, match="not the mean") as exc:
        read_oc_index(p, NAMES)
    assert exc.value.row == 4


def test_no_edition_sheet(tmp_path):
    with pytest.raises(DataError, match="no '<year>_dataset' sheet"):
        read_oc_index(_xlsx(tmp_path, {"Summary": _sheet(2023, GOOD)}), NAMES)
