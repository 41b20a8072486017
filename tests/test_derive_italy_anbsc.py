"""italy_anbsc: confiscated-asset counts checked against ANBSC's published figures, and bad input.

Expected figures come from sources/milan/PROVENANCE.md ("Cross-checks against independently published
figures": the ANBSC director's figures of May 2019), never from this step's own output. CSVs written
under tmp_path are HAND-MADE TEST INPUTS, not book data.
"""
from __future__ import annotations

import pytest

from citycases import derive
from citycases.derive import italy_anbsc as ia
from citycases.errors import DataError
from citycases.paths import sources_dir

RAW = sources_dir()
HAVE_RAW = (RAW / "milan" / "anbsc_beni_confiscati").is_dir()
# ISTAT province codes of Lombardy (Varese ... Monza e della Brianza).
LOMBARDY = ["012", "013", "014", "015", "016", "017", "018", "019", "020", "097", "098", "108"]


@pytest.fixture(scope="module")
def tables():
    if not HAVE_RAW:
        pytest.skip(f"raw sources not found at {RAW} (set CITYCASES_SOURCES)")
    return derive.derive_all(steps=["italy_anbsc"], write=False)


def test_province_properties_match_anbsc_may_2019(tables):
    # ANBSC director, May 2019 (ultimenotizie.net): "706 nella provincia di Milano". Exact.
    i = tables["indicators"].set_index("indicator")
    assert float(i.loc[ia.indicator_id("properties", "province"), "value"]) == 706
    assert int(i.loc[ia.indicator_id("properties", "province"), "year"]) == ia.SNAPSHOT_YEAR


def test_lombardy_properties_close_to_anbsc_may_2019():
    # Same source: "in Lombardia sono 1792"; the snapshot is a little different in date: tolerance 1%.
    if not HAVE_RAW:
        pytest.skip(f"raw sources not found at {RAW} (set CITYCASES_SOURCES)")
    df = ia.read_assets(RAW / ia.FILES["properties"])
    assert int(df["province"].isin(LOMBARDY).sum()) == pytest.approx(1792, rel=0.01)


def test_snapshot_recorded_once(tables):
    i = tables["indicators"]
    anbsc = i[i["indicator"].str.startswith("anbsc_")]
    assert set(anbsc["year"]) == {ia.SNAPSHOT_YEAR}
    assert not anbsc.duplicated(["city", "indicator"]).any()


# --------------------------------------------------------------------------- bad input (hand-made files)
HEADER = "s_bene,genere,CODISTAT,CODISTATPROV\n"


def test_missing_column(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("s_bene,CODISTAT\nI-1,015146\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        ia.read_assets(p)


def test_duplicate_asset(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(HEADER + "I-1,immobili,015146,015\nI-1,immobili,015146,015\n", encoding="utf-8")
    with pytest.raises(DataError, match="duplicate key") as e:
        ia.read_assets(p)
    assert e.value.row == 3


def test_malformed_code(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(HEADER + "I-1,immobili,15146,015\n", encoding="utf-8")
    with pytest.raises(DataError, match="malformed ISTAT code") as e:
        ia.read_assets(p)
    assert e.value.field == "CODISTAT" and e.value.row == 2
