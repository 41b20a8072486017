"""brazil_atlas step: Atlas da Violência death-certificate rates against ISP police records, and bad input."""
from __future__ import annotations

import pandas as pd
import pytest

from citycases.derive.brazil_atlas import INDICATOR, read_atlas_series
from citycases.errors import DataError

CITY = "rio-de-janeiro"


@pytest.fixture(scope="module")
def tables(derived):
    return derived("brazil_atlas", "rio_isp")


def test_atlas_between_isp_series(tables):
    # PROVENANCE.md section 6: Atlas (SIM) and ISP agree in order of magnitude and trend 2000-2018; SIM counts
    # include killings by police, so the Atlas rate should lie near or between ISP's homicide rate and its
    # lethal-violence rate. Stated tolerance: from 0.8 x the homicide rate to 1.05 x the lethal-violence rate.
    ind = tables["indicators"]
    atlas = {int(r.year): float(r.value) for r in ind[(ind["city"] == CITY) & (ind["indicator"] == INDICATOR)]
             .itertuples()}
    a = tables["homicides_annual"]
    a = a[a["city"] == CITY]
    rate = {(r.series, int(r.year)): float(r.homicide_rate) for r in a.itertuples()
            if not pd.isna(r.homicide_rate)}
    assert sorted(atlas) == list(range(2000, 2020))
    for y in range(2000, 2019):
        assert 0.8 * rate[("isp", y)] <= atlas[y] <= 1.05 * rate[("isp_lethal_violence", y)], y
    # 2019: the undetermined-intent artefact documented in PROVENANCE section 2 (11.10 against ISP's 16.9)
    assert atlas[2019] < 0.8 * rate[("isp", 2019)]


# ---- bad input: small hand-made test tables, not real data ----
def _write(tmp_path, text):
    p = tmp_path / "hand_made_atlas.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_hand_made_atlas(tmp_path):
    ok = read_atlas_series(_write(tmp_path, 'cod;nome;período;valor\n3304557;"Rio";2000;48.59\n'))
    assert float(ok["value"].iloc[0]) == 48.59
    with pytest.raises(DataError) as e:
        read_atlas_series(_write(tmp_path, 'cod;nome;período;valor\n3304557;"Rio";2000;-1\n'))
    assert e.value.row == 2 and e.value.field == "valor"
    with pytest.raises(DataError) as e:
        read_atlas_series(_write(tmp_path, 'cod;nome;período;valor\n3304557;R;2000;1\n3304557;R;2000;2\n'))
    assert e.value.row == 3
    with pytest.raises(DataError, match="valor"):
        read_atlas_series(_write(tmp_path, "cod;nome;período\n3304557;R;2000\n"))
    with pytest.raises(DataError) as e:
        read_atlas_series(_write(tmp_path, 'cod;nome;período;valor\n3304557;R;2000;n/a\n'))
    assert e.value.field == "valor"
