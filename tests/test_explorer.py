"""The explorer page's data (citycases/explorer.py) and its wiring into the site (no browser: see
tests/test_explorer_browser.py for the page itself).

The City objects built with make_city are HAND-MADE TEST INPUTS (small invented numbers); the last tests read the
real tidy tables and check the explorer holds exactly their rows.
"""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from citycases import display, explorer
from conftest import ROOT
from test_metrics import TEST_SOURCE, annual, make_city

PREFIX = f"window.{explorer.GLOBAL_NAME} = "


def parse_script(text: str) -> dict:
    """The JSON object assigned by an explorer-data.js text."""
    body = text.split(PREFIX, 1)[1].rstrip()
    assert body.endswith(";")
    return json.loads(body[:-1])


def two_series_city(**kw):
    a = pd.concat([annual({2000: 10, 2001: 20, 2002: 5}, series="main"),
                   annual({2001: 30, 2003: 0}, series="other", pop=None)], ignore_index=True)
    series = {"main": {"label": "Hand-made main series", "definition": "Test."},
              "other": {"label": "Hand-made other series", "definition": "Test."}}
    return make_city(annual_rows=a, series=series, comparable="other", like_for_like=False, **kw)


# --------------------------------------------------------------------------- hand-made inputs
def test_one_row_per_annual_row_in_city_then_series_then_year_order():
    a, b = two_series_city(), make_city(slug="otherton", name="Otherton", index=1)
    data = explorer.explorer_data([a, b], {"test_source": TEST_SOURCE})
    assert data["fields"] == explorer.FIELDS
    keys = [(r[0], r[1], r[2]) for r in data["rows"]]
    assert keys == [("testville", "main", 2000), ("testville", "main", 2001), ("testville", "main", 2002),
                    ("testville", "other", 2001), ("testville", "other", 2003),
                    ("otherton", "main", 2000), ("otherton", "main", 2001), ("otherton", "main", 2002)]
    assert len(data["rows"]) == len(a.annual) + len(b.annual)


def test_values_are_typed_and_missing_values_are_null():
    data = explorer.explorer_data([two_series_city()], {"test_source": TEST_SOURCE})
    rows = [dict(zip(data["fields"], r)) for r in data["rows"]]
    first = rows[0]
    assert first["year"] == 2000 and isinstance(first["year"], int)
    assert first["homicides"] == 10 and isinstance(first["homicides"], int)
    assert first["population"] == 100_000 and first["rate"] == 10.0
    assert first["source_id"] == "test_source" and first["unit"] == "municipality" and first["status"] == "final"
    no_pop = [r for r in rows if r["series"] == "other"]
    assert all(r["population"] is None and r["rate"] is None for r in no_pop)
    assert [r["homicides"] for r in no_pop] == [30, 0]
    assert first["rate_ci_low"] is None  # the hand-made frame has no interval columns


def test_cities_carry_series_flags_labels_colour_and_chapter():
    data = explorer.explorer_data([two_series_city(), make_city(slug="otherton", name="Otherton", index=1)],
                                  {"test_source": TEST_SOURCE})
    c = data["cities"][0]
    assert (c["slug"], c["name"], c["main"], c["comparable"], c["like_for_like"]) == \
        ("testville", "Testville", "main", "other", False)
    assert c["chapter"] == "cities/testville.html"
    assert c["comparable_note"] == "a hand-made test series"
    assert c["series"] == [{"id": "main", "label": "Hand-made main series", "main": True, "comparable": False},
                           {"id": "other", "label": "Hand-made other series", "main": False, "comparable": True}]
    from citycases.charts import PALETTE
    assert [x["colour"] for x in data["cities"]] == PALETTE[:2]
    assert data["sources"] == {"test_population": {"producer": "test_population", "title": "test_population"},
                               "test_source": {"producer": "Test producer", "title": "Hand-made test data"}}
    assert data["chart"]["width"] > 0 and data["chart"]["dashes"]


def test_script_is_deterministic_and_cannot_carry_markup():
    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(1)> \u2028 & Co'
    city = make_city(name=hostile)
    data = explorer.explorer_data([city], {"test_source": TEST_SOURCE})
    text = explorer.script_text(data)
    assert text == explorer.script_text(explorer.explorer_data([city], {"test_source": TEST_SOURCE}))
    assert text.startswith("// Generated") and PREFIX in text
    body = text.split(PREFIX, 1)[1]
    assert not re.search(r"[<>&\u2028\u2029]", body), "raw markup characters in the script"
    assert parse_script(text)["cities"][0]["name"] == hostile


def test_write_and_command_line(tmp_path, monkeypatch):
    dest = tmp_path / "sub" / "explorer-data.js"
    assert explorer.main(["--dest", str(dest)]) == 0
    data = parse_script(dest.read_text(encoding="utf-8"))
    assert data["rows"] and data["cities"]
    assert dest.read_bytes() == explorer.write(tmp_path / "again.js").read_bytes()


# --------------------------------------------------------------------------- the real tables
def test_real_tables_every_annual_row_once():
    from citycases.cities import load_cities
    from citycases.load import load_all, read_table
    from citycases.sources import load_registry

    slugs = [c["slug"] for c in load_cities()]
    table = read_table("homicides_annual")
    table = table[table["city"].isin(slugs)]
    data = parse_script(explorer.script_text(explorer.explorer_data(load_all())))
    rows = [dict(zip(data["fields"], r)) for r in data["rows"]]
    assert len(rows) == len(table)
    assert {(r["city"], r["series"], r["year"]) for r in rows} == \
        set(zip(table["city"], table["series"], table["year"].astype(int)))
    # counts and rates as in the table
    by_key = {(r["city"], r["series"], r["year"]): r for r in rows}
    for rec in table.to_dict("records"):
        r = by_key[(rec["city"], rec["series"], int(rec["year"]))]
        assert r["homicides"] == (None if pd.isna(rec["homicides"]) else int(rec["homicides"]))
        if pd.isna(rec["homicide_rate"]):
            assert r["rate"] is None
        else:
            assert r["rate"] == pytest.approx(float(rec["homicide_rate"]), abs=1e-3)
    assert [c["slug"] for c in data["cities"]] == slugs
    series_of = {c["slug"]: {s["id"] for s in c["series"]} for c in data["cities"]}
    assert all(r["series"] in series_of[r["city"]] for r in rows)
    for c in data["cities"]:
        assert sum(s["main"] for s in c["series"]) == 1 and sum(s["comparable"] for s in c["series"]) == 1
    registry = load_registry()
    assert set(data["sources"]) <= set(registry)
    assert {r["source_id"] for r in rows} <= set(data["sources"])


# --------------------------------------------------------------------------- wiring into the site
class _App:
    def __init__(self):
        self.js, self.css = [], []

    def add_js_file(self, name, **kw):
        self.js.append((name, kw.get("priority")))

    def add_css_file(self, name, **kw):
        self.css.append(name)


def test_the_extension_adds_the_explorer_scripts_after_vega_only_on_the_explorer_page():
    app = _App()
    display._add_chart_scripts(app, "book/intro", "page.html", {"body": "<p>no chart</p>"}, None)
    assert app.js == [] and app.css == []
    display._add_chart_scripts(app, "book/cities/x", "page.html", {"body": '<div class="citycases-chart"></div>'}, None)
    assert [n for n, _ in app.js] == [f"vega/{n}" for n in display.VENDOR_SCRIPTS] and app.css == []
    app = _App()
    page = (ROOT / "book" / "explorer.md").read_text(encoding="utf-8")
    display._add_chart_scripts(app, "book/explorer", "page.html", {"body": page}, None)
    names = [n for n, _ in sorted(app.js, key=lambda x: x[1])]
    assert names == [f"vega/{n}" for n in display.VENDOR_SCRIPTS] + list(display.EXPLORER_SCRIPTS)
    assert app.css == [display.EXPLORER_CSS]
    for name in display.EXPLORER_SCRIPTS[1:] + (display.EXPLORER_CSS,):
        assert (ROOT / "book" / "_static" / name).is_file(), name
    assert display.EXPLORER_SCRIPTS[0] == "data/" + explorer.default_dest().name


def test_the_page_has_labelled_controls_a_chart_figure_and_is_in_the_toc():
    page = (ROOT / "book" / "explorer.md").read_text(encoding="utf-8")
    assert display.EXPLORER_MARKER in page
    assert re.search(r'<div class="citycases-chart" id="explorer-chart" role="figure" aria-label="[^"]+">', page)
    for control in re.findall(r'<(?:input|select)[^>]*>', page):
        cid = re.search(r'id="([^"]+)"', control)
        labelled = cid and f'for="{cid.group(1)}"' in page
        wrapped = re.search(r"<label>\s*" + re.escape(control), page)
        assert labelled or wrapped, f"unlabelled control {control}"
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    from citycases.toc import BEGIN, END
    outside = toc.split(BEGIN)[0] + toc.split(END)[1]
    assert "- file: book/explorer\n" in outside
    ignored = (ROOT / "book" / "_static" / "data" / ".gitignore").read_text(encoding="utf-8")
    assert "*" in ignored.split(), "book/_static/data must stay git-ignored (the explorer data is generated)"
    assert "citycases.explorer" in (ROOT / "Makefile").read_text(encoding="utf-8")


@pytest.mark.build
def test_built_page_loads_its_data_and_every_source_link_resolves(site):
    page = (site / "book" / "explorer.html").read_text(encoding="utf-8")
    order = [page.index(f'src="../_static/{name}') for name in
             [f"vega/{n}" for n in display.VENDOR_SCRIPTS] + list(display.EXPLORER_SCRIPTS)]
    assert order == sorted(order), "the explorer's scripts must load after Vega, data before code"
    data = parse_script((site / "_static" / "data" / "explorer-data.js").read_text(encoding="utf-8"))
    ids = set(re.findall(r'id="([^"]+)"', (site / "book" / "sources.html").read_text(encoding="utf-8")))
    # explorer.js links each source of a view to sources.html#source-<id with dashes>
    assert not [s for s in data["sources"] if "source-" + s.replace("_", "-") not in ids]
    for c in data["cities"]:
        assert (site / "book" / c["chapter"]).is_file(), c["chapter"]
