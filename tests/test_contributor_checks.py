"""Each contributor mistake named in CONTRIBUTING.md gets a message that names the file and the fix.

Every registry entry, table and file written here is a HAND-MADE TEST INPUT in a temporary folder.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from citycases import derive, scaffold, toc
from citycases.cities import load_cities, validate_cities
from citycases.errors import DataError
from citycases.paths import CITIES_FILE, DATA, TIDY
from citycases.sources import load_source_file


def a_city():
    return dict(load_cities()[0])


def test_city_missing_a_field():
    city = a_city()
    del city["territory"]
    with pytest.raises(DataError) as err:
        validate_cities({"cities": [city]}, CITIES_FILE)
    msg = str(err.value)
    assert "cities.yml" in msg and "'territory' is a required property" in msg and "fix:" in msg


def test_city_with_unfilled_todo():
    city = a_city()
    city["comparability"] = "TODO: how this city's count differs"
    with pytest.raises(DataError, match="field 'comparability': city '.*': field 'comparability' still says TODO"):
        validate_cities({"cities": [city]}, CITIES_FILE)


@pytest.mark.parametrize("text, figures", [
    ("Police counts run 18 % below the forensic ones.", ["18"]),
    ("The city holds 975,551 of 2,452,114 people.", ["975,551", "2,452,114"]),
    ("Rates rose by 2.5 per 100,000.", ["2.5", "100,000"]),
])
def test_registry_prose_with_a_typed_figure(text, figures):
    """Hand-made prose: a figure typed into the registry would go stale; the chapter computes figures."""
    city = a_city()
    city["comparability"] = text
    with pytest.raises(DataError) as err:
        validate_cities({"cities": [city]}, CITIES_FILE)
    msg = str(err.value)
    assert f"field 'comparability' types the figure(s) {figures}" in msg and "fix:" in msg


def test_registry_prose_allows_years_dates_and_named_codes():
    from citycases.prose import typed_figures
    assert typed_figures("DANE code 05001 since 7 April 2017; CISP 42 split from CISP 16 in 2010 (NUTS 3, "
                         "article 416-bis).") == []


def test_series_without_a_source():
    city = a_city()
    city["series"] = dict(city["series"], ghost={"label": "hand-made", "definition": "a series nobody derives"})
    tables = {t: pd.read_csv(TIDY / f"{t}.csv", dtype=str, keep_default_na=False)
              for t in ("homicides_annual", "homicides_monthly", "indicators", "country_context",
                        "indicator_definitions")}
    with pytest.raises(DataError) as err:
        derive.check_coverage(tables, [city])
    msg = str(err.value)
    assert "data/cities.yml" in msg and "series 'ghost'" in msg and "has no source" in msg and "fix:" in msg


def test_source_without_download_url(tmp_path):
    entry = {"id": "nourl", "producer": "Hand-made publisher", "title": "Hand-made", "citation": "Hand-made citation",
             "url_main": "https://example.org/", "date_accessed": "2025-01-01", "licence": "not stated",
             "files": [{"path": "x/y.csv", "bytes": 1, "sha256": "0" * 64}]}
    (tmp_path / "nourl.yml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_source_file(tmp_path / "nourl.yml")
    msg = str(err.value)
    assert "nourl.yml" in msg and "'url_download' is a required property" in msg and "fix:" in msg


def test_event_without_a_source(tmp_path):
    slug = a_city()["slug"]
    (tmp_path / f"{slug}.csv").write_text("date,category,title,source_id,citation,citation_url\n"
                                          "2010-01-01,policing,Hand-made event,,,\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        derive.load_events({}, load_cities(), folder=tmp_path)
    msg = str(err.value)
    assert f"{slug}.csv, line 2, field 'source_id': event has no source" in msg and "fix:" in msg


def test_chapter_missing_from_toc(tmp_path):
    text = toc.TOC.read_text(encoding="utf-8")
    slug = a_city()["slug"]
    broken = tmp_path / "_toc.yml"
    broken.write_text(text.replace(f"      - file: book/cities/{slug}\n", ""), encoding="utf-8")
    found = toc.problems(broken)
    assert any(f"book/cities/{slug} (a city in data/cities.yml) is missing from the Cities part" in p for p in found)


def test_derivation_that_does_not_reproduce_the_committed_table(tmp_path):
    committed = tmp_path / "committed" / "tidy"
    shutil.copytree(TIDY, committed)
    shutil.copy(DATA / "datapackage.json", committed.parent / "datapackage.json")
    fresh = tmp_path / "fresh" / "tidy"
    shutil.copytree(TIDY, fresh)
    shutil.copy(DATA / "datapackage.json", fresh.parent / "datapackage.json")
    lines = (committed / "homicides_annual.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",", ",9", 1)  # hand-made edit of the committed copy
    (committed / "homicides_annual.csv").write_text("".join(lines), encoding="utf-8")
    found = derive.compare_with_committed(fresh, committed)
    assert len(found) == 1
    assert found[0].startswith("data/tidy/homicides_annual.csv, line 2:") and "run `make data`" in found[0]


@pytest.fixture
def sandbox(tmp_path):
    """Copies of the registry, events folder and toc the scaffold may write to."""
    cities = tmp_path / "cities.yml"
    shutil.copy(CITIES_FILE, cities)
    events = tmp_path / "events"
    events.mkdir()
    tocfile = tmp_path / "_toc.yml"
    shutil.copy(toc.TOC, tocfile)
    steps = tmp_path / "steps"
    steps.mkdir()
    return dict(cities_file=cities, events_dir=events, toc_file=tocfile, steps_dir=steps)


def snapshot(sandbox):
    return {p: p.read_bytes() for d in sandbox.values() for p in ([d] if d.is_file() else sorted(d.iterdir()))}


def test_scaffold_creates_entry_events_stub_and_toc(sandbox):
    written = scaffold.scaffold("testopolis", "Testópolis", "COL", step="testopolis_police", **sandbox)
    assert {p.name for p in written} == {"cities.yml", "testopolis.csv", "_toc.yml", "testopolis_police.py"}
    raw = yaml.safe_load(sandbox["cities_file"].read_text(encoding="utf-8"))
    entry = raw["cities"][-1]
    assert entry["slug"] == "testopolis" and entry["name"] == "Testópolis" and entry["country_name"] == "Colombia"
    assert "book/cities/testopolis" in toc.toc_city_files(yaml.safe_load(sandbox["toc_file"].read_text()))
    assert (sandbox["events_dir"] / "testopolis.csv").read_text() == "date,category,title,source_id,citation,citation_url\n"
    # the entry is refused until its TODOs are filled: all of them named in one message
    with pytest.raises(DataError, match="10 fields still say TODO: 'unit', 'territory', "):
        validate_cities(raw, sandbox["cities_file"])


def test_scaffold_reuses_an_existing_step_without_stub(sandbox):
    written = scaffold.scaffold("testopolis", "Testópolis", "COL", step="colombia_police", **sandbox)
    assert not any(p.suffix == ".py" for p in written)
    entry = yaml.safe_load(sandbox["cities_file"].read_text(encoding="utf-8"))["cities"][-1]
    # the series the step writes are pre-filled, so the entry and the derived rows line up
    assert list(entry["series"]) == derive.load_step("colombia_police").SERIES_IDS
    assert entry["primary_series"] == "police"
    # the step's required parameters are written for the contributor to fill in (refused while they say TODO)
    assert list(entry["derive"]) == ["colombia_police"]
    assert list(entry["derive"]["colombia_police"]) == ["dane_code"]
    assert entry["derive"]["colombia_police"]["dane_code"].startswith("TODO: 5-digit")
    text = sandbox["cities_file"].read_text(encoding="utf-8")
    assert "# monthly_column: (optional)" in text and "# victim_records: (optional)" in text


def test_step_writing_an_undeclared_series_is_named(monkeypatch):
    """A hand-made step that writes a series id it does not declare in SERIES_IDS."""
    class Step:
        SERIES_IDS = ["declared"]

        @staticmethod
        def derive(ctx):
            return {"homicides_annual": pd.DataFrame({"city": ["x"], "year": [2000], "series": ["surprise"],
                                                      "homicides": [1], "unit": ["municipality"],
                                                      "source_id": ["s"], "status": ["final"]})}

    monkeypatch.setattr(derive, "step_names", lambda: ["handmade"])
    monkeypatch.setattr(derive, "load_step", lambda name: Step)
    monkeypatch.setattr(derive, "load_cities", lambda: [])
    with pytest.raises(DataError, match=r"citycases/derive/handmade.py, field 'SERIES_IDS': writes series "
                                        r"\['surprise'\] not listed in SERIES_IDS"):
        derive.derive_all(write=False)


def test_scaffold_twice_is_an_error_that_changes_nothing(sandbox):
    scaffold.scaffold("testopolis", "Testópolis", "COL", step="testopolis_police", **sandbox)
    before = snapshot(sandbox)
    with pytest.raises(DataError, match="city 'testopolis' already exists"):
        scaffold.scaffold("testopolis", "Testópolis", "COL", step="testopolis_police", **sandbox)
    assert snapshot(sandbox) == before


def test_scaffold_existing_slug_and_bad_codes_change_nothing(sandbox):
    before = snapshot(sandbox)
    with pytest.raises(DataError, match="already exists"):
        scaffold.scaffold(a_city()["slug"], "Again", "COL", **sandbox)
    with pytest.raises(DataError, match="not an ISO 3166-1 alpha-3 code"):
        scaffold.scaffold("newtown", "Newtown", "Colombia", **sandbox)
    with pytest.raises(DataError, match="lower-case letters"):
        scaffold.scaffold("New Town", "Newtown", "COL", **sandbox)
    assert snapshot(sandbox) == before


def test_stub_step_fails_with_not_yet_implemented(sandbox, tmp_path):
    scaffold.scaffold("testopolis", "Testópolis", "COL", step="testopolis_police", **sandbox)
    namespace = {}
    exec((sandbox["steps_dir"] / "testopolis_police.py").read_text(encoding="utf-8"), namespace)
    with pytest.raises(DataError, match="derivation step 'testopolis_police' is not yet implemented"):
        namespace["derive"](None)


def test_comparable_series_must_be_a_described_series(tmp_path):
    import yaml
    from citycases.cities import validate_cities
    from citycases.paths import CITIES_FILE
    raw = yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8"))
    raw["cities"][0]["comparable"]["series"] = "no_such_series"
    with pytest.raises(DataError, match="comparable.series 'no_such_series' is not described"):
        validate_cities(raw, tmp_path / "cities.yml")
    raw = yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8"))
    comp = raw["cities"][0]["comparable"]
    comp["like_for_like"] = False
    comp.pop("note", None)
    with pytest.raises(DataError, match="note"):
        validate_cities(raw, tmp_path / "cities.yml")


def test_every_city_names_a_comparable_series_and_rio_counts_police_killings():
    from citycases.cities import load_cities
    cities = {c["slug"]: c for c in load_cities()}
    for c in cities.values():
        assert c["comparable"]["series"] in c["series"]
    assert cities["rio-de-janeiro"]["comparable"]["series"] == "isp_lethal_violence"


def test_city_with_several_todos_reports_them_all():
    """A scaffolded entry with several fields left to fill: one run names every one of them."""
    city = a_city()
    city["unit"] = "TODO: territory type"
    city["comparability"] = "TODO: how this city's count differs"
    city["derive"] = {"colombia_police": {"dane_code": "TODO: 5-digit code"}}
    with pytest.raises(DataError) as err:
        validate_cities({"cities": [city]}, CITIES_FILE)
    msg = str(err.value)
    assert "3 fields still say TODO: 'unit', 'comparability', 'derive.colombia_police.dane_code'" in msg, msg
    assert "fix: fill them in" in msg


@pytest.mark.parametrize("params, expect", [
    ({"dane_cod": "05001"}, "unknown parameter 'dane_cod' of step 'colombia_police' (fix: did you mean "
                            "'dane_code'? step 'colombia_police' accepts ['dane_code', 'monthly_column', "
                            "'victim_records']"),
    ({}, "step 'colombia_police' needs the parameter 'dane_code' (fix: add dane_code: 5-digit"),
    ({"dane_code": "05001", "colour": "red"}, "unknown parameter 'colour'"),
])
def test_derive_parameters_are_checked_against_the_step(params, expect):
    """Hand-made derive: blocks: a misspelt, missing or unknown key is named with the city and the keys the step
    accepts, before any step runs (not "needs a 5-digit dane_code, got None")."""
    from citycases.derive import _params

    city = dict(a_city(), slug="hand-made-city", derive={"colombia_police": params})
    with pytest.raises(DataError) as err:
        _params.check_all([city], derive.step_names(), derive.load_step)
    msg = str(err.value)
    assert msg.startswith("data/cities.yml, field 'derive.colombia_police.") and "city 'hand-made-city'" in msg
    assert expect in msg, msg


def test_every_step_that_reads_city_parameters_declares_them():
    """PARAMETERS is what derive_all checks a city's derive: block against and what the scaffold writes."""
    import inspect

    for name in derive.step_names():
        mod = derive.load_step(name)
        if "cities_for(" in inspect.getsource(mod):
            assert isinstance(getattr(mod, "PARAMETERS", None), dict), f"{name}: declare PARAMETERS"
            assert set(getattr(mod, "REQUIRED_PARAMETERS", [])) <= set(mod.PARAMETERS), name
    for city in load_cities():  # the committed registry passes its own check
        from citycases.derive import _params
        _params.check_all([city], derive.step_names(), derive.load_step)


def _annual(slug: str, population: str) -> pd.DataFrame:
    return pd.DataFrame({"city": [slug] * 6, "series": ["police"] * 6, "year": [str(y) for y in range(2000, 2006)],
                         "population": [population] * 6})


def test_counts_only_city_is_supported_and_stated():
    """A hand-made city whose sources publish no population: refused (naming `population: none`) unless its entry
    says so, accepted when it does, and refused again if it says so but has populations."""
    empty = {t: pd.DataFrame(columns=["city", "series", "indicator"]) for t in
             ("homicides_monthly", "indicators", "country_context", "indicator_definitions")}
    city = dict(a_city(), slug="hand-made-counts", primary_series="police", series={"police": {}})
    tables = dict(empty, homicides_annual=_annual("hand-made-counts", ""))
    with pytest.raises(DataError) as err:
        derive.check_coverage(tables, [city])
    msg = str(err.value)
    assert "fewer than 5 years have a rate" in msg and "population: none" in msg and "CONTRIBUTING.md" in msg
    derive.check_coverage(tables, [dict(city, population="none")])  # a counts-only city passes
    with pytest.raises(DataError, match="says population: none, but 6 year"):
        derive.check_coverage(dict(empty, homicides_annual=_annual("hand-made-counts", "100000")),
                              [dict(city, population="none")])
    validate_cities({"cities": [dict(a_city(), population="none")]}, CITIES_FILE)  # the flag is in the schema
    with pytest.raises(DataError, match="population"):
        validate_cities({"cities": [dict(a_city(), population="unknown")]}, CITIES_FILE)


def test_guide_states_the_counts_only_rule_and_names_the_data_readme():
    from citycases.paths import ROOT

    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "population: none" in guide and "data/README.md" in guide
