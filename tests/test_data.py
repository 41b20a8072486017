"""The committed data: registries valid, tidy tables valid, and re-derivable byte for byte from the raw sources."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from citycases import derive, schema
from citycases.cities import load_cities
from citycases.errors import DataError
from citycases.paths import DATA, TIDY, sources_dir
from citycases.sources import load_registry, load_source_file, raw_path

SOURCES_PRESENT = sources_dir().is_dir()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def cities():
    return load_cities()


@pytest.fixture(scope="module")
def committed():
    return {t: pd.read_csv(TIDY / f"{t}.csv", dtype=str, keep_default_na=False) for t in schema.TABLES}


def test_every_source_has_download_url_and_files(registry):
    assert registry, "no sources registered"
    for src in registry.values():
        assert src.url_download.startswith(("http://", "https://")), src.id
        assert src.files, src.id


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_committed_table_is_valid_and_canonical(table, registry, cities):
    """Reading, validating and re-writing a committed table reproduces it exactly (sorted, typed, one row per key)."""
    text = (TIDY / f"{table}.csv").read_text(encoding="utf-8")
    df = pd.read_csv(TIDY / f"{table}.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == schema.columns(table)
    checked = derive.validate_table(df.replace("", pd.NA), table, registry=registry, cities=cities,
                                    file=f"data/tidy/{table}.csv")
    assert derive.to_csv_text(checked, table) == text


def test_every_row_resolves_to_a_registered_source(committed, registry):
    for table, df in committed.items():
        for col in ("source_id", "population_source_id"):
            if col in df:
                unknown = set(df[col]) - set(registry) - {""}
                assert not unknown, f"{table}.{col}: {unknown}"


def test_every_city_has_an_annual_series(committed, cities):
    """At least 5 years of the primary series; rates in at least derive.MIN_RATE_YEARS of them, except for a
    counts-only city (`population: none` in data/cities.yml: no source publishes its population), which has none."""
    from citycases.cities import counts_only

    annual = committed["homicides_annual"]
    for c in cities:
        rows = annual[(annual.city == c["slug"]) & (annual.series == c["primary_series"])]
        assert len(rows) >= 5, f"{c['slug']}: only {len(rows)} years of its primary series"
        rated = (rows.homicide_rate != "").sum()
        if counts_only(c):
            assert rated == 0, f"{c['slug']}: says population: none but has rates"
        else:
            assert rated >= derive.MIN_RATE_YEARS, (
                f"{c['slug']}: fewer than {derive.MIN_RATE_YEARS} years with a rate (write `population: none` in "
                f"its entry if no source publishes its population: CONTRIBUTING.md)")


def test_datapackage_matches_tables(committed):
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    by_path = {r["path"]: r for r in pkg["resources"]}
    for table, df in committed.items():
        res = by_path[f"tidy/{table}.csv"]
        assert [f["name"] for f in res["schema"]["fields"]] == list(df.columns)
    used = set()
    for df in committed.values():
        for col in ("source_id", "population_source_id"):
            if col in df:
                used |= set(df[col]) - {""}
    assert {s["id"] for s in pkg["sources"]} == used


@pytest.mark.skipif(not SOURCES_PRESENT, reason=f"raw sources folder {sources_dir()} is absent: "
                                                 "set CITYCASES_SOURCES to re-derive")
def test_raw_files_match_registry_checksums(registry):
    for src in registry.values():
        for f in src.files:
            raw_path(src, f["path"])


@pytest.mark.skipif(not SOURCES_PRESENT, reason=f"raw sources folder {sources_dir()} is absent: "
                                                 "set CITYCASES_SOURCES to re-derive")
def test_rederivation_reproduces_committed_tables(tmp_path):
    """Two derivations into two fresh folders give the same bytes (determinism), equal to the committed tables."""
    runs = []
    for name in ("first", "second"):
        out = tmp_path / name / "tidy"
        derive.derive_all(out_dir=out)
        runs.append({p.relative_to(out.parent).as_posix(): p.read_bytes() for p in sorted(out.parent.rglob("*"))
                     if p.is_file()})
    assert sorted(runs[0]) == sorted(runs[1]) and len(runs[0]) == len(schema.TABLES) + 1
    assert [f for f in runs[0] if runs[0][f] != runs[1][f]] == [], "two derivations of the same inputs differ"
    assert derive.compare_with_committed(tmp_path / "first" / "tidy") == []


def test_checksum_mismatch_is_named(tmp_path, registry):
    """A raw file whose bytes changed is refused, naming the file (hand-made copy of a registered file)."""
    src = next(iter(registry.values()))
    rel = src.files[0]["path"]
    fake_root = tmp_path / "sources"
    (fake_root / rel).parent.mkdir(parents=True)
    (fake_root / rel).write_bytes(b"hand-made bytes that are not the registered file\n")
    with pytest.raises(DataError) as err:
        raw_path(src, rel, root=fake_root)
    assert "checksum mismatch" in str(err.value) and rel in str(err.value)


def test_source_without_download_url_is_refused(tmp_path):
    entry = {"id": "nourl", "producer": "Hand-made test publisher", "title": "Test", "citation": "Hand-made citation text",
             "url_main": "https://example.org/", "date_accessed": "2025-01-01", "licence": "not stated",
             "files": [{"path": "x/y.csv", "bytes": 1, "sha256": "0" * 64}]}
    path = tmp_path / "nourl.yml"
    path.write_text(yaml.safe_dump(entry), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_source_file(path)
    assert "nourl.yml" in str(err.value) and "url_download" in str(err.value)
