"""The explorer page (book/explorer.md) in a real browser: from file:// and from a local server (`make serve`).

Choosing two cities and the logarithmic scale redraws the chart with exactly the points of that view; the CSV the
page downloads holds exactly the rows drawn (checked against the page's data, read independently here); images
export; axe-core finds no serious violation; and data carrying hostile text (HAND-MADE fixture) stays text.
Uses the Chromium set-up of tests/test_browser.py (Debian chromium through Playwright, every request watched).
"""
from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from test_browser import _axe, _watch, browser_context, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PAGE = "book/explorer.html"
DATA_FILE = "_static/data/explorer-data.js"
PREFIX = "window.CITYCASES_EXPLORER = "
POINTS = "#explorer-chart .mark-symbol.role-mark path"
IDLE = """() => { const el = document.getElementById('explorer-chart');
    return !!el.querySelector('svg') && !el.hasAttribute('aria-busy'); }"""
TIMEOUT_MS = 20_000


def read_data(site) -> dict:
    text = (site / DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text.split(PREFIX, 1)[1].rstrip().removesuffix(";"))


def expected_view(data: dict, slugs, *, mode="comparable", measure="rate", scale="linear", years=None):
    """The rows a view should draw, computed here from the data file (not by the page's code)."""
    fields = data["fields"]
    cities = {c["slug"]: c for c in data["cities"]}
    wanted = set()
    for slug in slugs:
        c = cities[slug]
        ids = {"main": [c["main"]], "comparable": [c["comparable"]]}.get(mode, [s["id"] for s in c["series"]])
        wanted |= {(slug, s) for s in ids}
    out = []
    for row in data["rows"]:
        r = dict(zip(fields, row))
        if (r["city"], r["series"]) not in wanted or (years and not years[0] <= r["year"] <= years[1]):
            continue
        v = r["rate" if measure == "rate" else "homicides"]
        if v is None or (scale == "log" and v <= 0):
            continue
        out.append(r)
    return out


def idle(page) -> None:
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def points(page) -> int:
    return page.locator(POINTS).count()


def downloaded_csv(page) -> list[dict]:
    with page.expect_download() as info:
        page.click("#explorer-csv")
    d = info.value
    assert d.suggested_filename.endswith(".csv")
    text = open(d.path(), encoding="utf-8", newline="").read()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def check_csv_is_the_view(rows: list[dict], expected: list[dict], data: dict, drawn: int) -> None:
    names = {c["slug"]: c["name"] for c in data["cities"]}
    labels = {(c["slug"], s["id"]): s["label"] for c in data["cities"] for s in c["series"]}
    assert len(rows) == drawn == len(expected), (len(rows), drawn, len(expected))
    got = {(r["city_slug"], r["series"], int(r["year"])) for r in rows}
    assert got == {(e["city"], e["series"], e["year"]) for e in expected}
    by_key = {(e["city"], e["series"], e["year"]): e for e in expected}
    for r in rows:
        e = by_key[(r["city_slug"], r["series"], int(r["year"]))]
        assert r["city"] == names[e["city"]] and r["series_label"] == labels[(e["city"], e["series"])]
        assert r["homicides"] == ("" if e["homicides"] is None else str(e["homicides"]))
        assert (float(r["homicide_rate"]) if r["homicide_rate"] else None) == e["rate"]
        assert r["source_id"] == (e["source_id"] or "")


def choose_cities(page, data: dict, slugs) -> None:
    for i, c in enumerate(data["cities"]):
        box = page.locator(f"#explorer-city-{i}")
        if box.is_checked() != (c["slug"] in slugs):
            box.click()


def legend(page) -> list[str]:
    return page.locator("#explorer-chart .role-legend-label text").all_text_contents()


def two_cities_and_log(page, data: dict) -> None:
    """The acceptance check: two cities, then the log scale, redraw the chart with exactly that view."""
    idle(page)
    slugs = [c["slug"] for c in data["cities"]]
    before = points(page)
    assert before == len(expected_view(data, slugs)) > 0
    two = slugs[:2]
    choose_cities(page, data, two)
    page.check('input[name="explorer-scale"][value="log"]')
    idle(page)
    view = expected_view(data, two, scale="log")
    after = points(page)
    assert after == len(view) and 0 < after != before
    names = [c["name"] for c in data["cities"][:2]]
    assert legend(page) and all(any(lab.startswith(n + " \u2014 ") for n in names) for lab in legend(page))
    assert "logarithmic" in page.locator("#explorer-chart .role-title-text").text_content()
    assert int(page.get_attribute("#explorer-chart", "data-draws")) >= 2
    check_csv_is_the_view(downloaded_csv(page), view, data, after)


def test_two_cities_and_log_scale_from_file_url(site, browser_context):  # noqa: F811
    data = read_data(site)
    page = browser_context.new_page()
    try:
        found = _watch(page, None)
        page.goto((site / PAGE).as_uri(), wait_until="load")
        two_cities_and_log(page, data)
        # another view: every series, counts, a span of years
        slugs = [c["slug"] for c in data["cities"][:2]]
        page.select_option("#explorer-series-mode", "all")
        page.check('input[name="explorer-measure"][value="count"]')
        years = (2005, 2015)
        for sel, y in zip(("#explorer-year-from", "#explorer-year-to"), years):
            page.fill(sel, str(y))
            page.dispatch_event(sel, "change")
        idle(page)
        view = expected_view(data, slugs, mode="all", measure="count", scale="log", years=years)
        check_csv_is_the_view(downloaded_csv(page), view, data, points(page))
    finally:
        page.close()
    assert not any(found.values()), found


def test_explorer_from_the_local_server_exports_and_is_accessible(site, server, browser_context):  # noqa: F811
    data = read_data(site)
    page = browser_context.new_page()
    try:
        found = _watch(page, server)
        page.goto(f"{server}/{PAGE}", wait_until="load")
        two_cities_and_log(page, data)
        page.select_option("#explorer-series-mode", "custom")
        idle(page)
        boxes = page.locator("#explorer-series-custom input[type=checkbox]")
        assert boxes.count() == sum(len(c["series"]) for c in data["cities"][:2])
        page.check("#explorer-intervals")
        idle(page)
        page.locator("#explorer-sources summary").click()
        for kind, head in (("png", b"\x89PNG"), ("svg", b"<svg")):
            with page.expect_download() as info:
                page.click(f"#explorer-{kind}")
            assert info.value.suggested_filename.endswith("." + kind)
            assert open(info.value.path(), "rb").read().startswith(head)
        found["accessibility (axe-core, serious/critical)"] = _axe(page)
    finally:
        page.close()
    assert not any(found.values()), found


def test_hostile_text_in_the_data_stays_text(site, browser_context, tmp_path):  # noqa: F811
    """A copy of the site whose explorer data is a HAND-MADE fixture with markup in a city name, a series label
    and a source title: nothing runs, the text is shown as text, and the CSV quotes it correctly."""
    import pandas as pd

    from citycases import explorer
    from citycases.sources import Source
    from test_metrics import annual, make_city

    hostile = 'Evil, "City" <script>alert(1)</script> "><img src=x onerror=alert(1)>'
    label = 'Series <b onmouseover=alert(2)>x</b>, "quoted"'
    rows = pd.concat([annual({2000: 10, 2001: 20}, series="s1"), annual({2000: 5, 2001: 0}, series="s2")],
                     ignore_index=True)
    city = make_city(name=hostile, annual_rows=rows, series={"s1": {"label": label, "definition": "Test."},
                                                            "s2": {"label": "Plain", "definition": "Test."}})
    src = Source(id="test_source", producer="<img src=x onerror=alert(3)>", title="<script>alert(4)</script>",
                 citation="Hand-made test input, not real data", url_main="https://example.org/",
                 url_download="https://example.org/x.csv", date_accessed="2020-01-01", licence="CC0", files=(),
                 registry_file=None, extra={})
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    (copy / DATA_FILE).write_text(explorer.script_text(explorer.explorer_data([city], {"test_source": src})),
                                  encoding="utf-8")
    page = browser_context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        found = _watch(page, None)
        page.goto((copy / PAGE).as_uri(), wait_until="load")
        idle(page)
        page.select_option("#explorer-series-mode", "all")
        idle(page)
        page.select_option("#explorer-series-mode", "custom")
        idle(page)
        page.locator("#explorer-sources summary").click()
        page.locator(POINTS).first.hover()
        page.wait_for_timeout(300)
        text = page.inner_text("#citycases-explorer")
        assert hostile in text and label in text and src.producer in text
        assert page.locator("#citycases-explorer img, #citycases-explorer script, #citycases-explorer b").count() == 0
        rows = downloaded_csv(page)
    finally:
        page.close()
    assert not dialogs, dialogs
    assert not any(found.values()), found
    assert [r["city"] for r in rows] == [hostile] * 4
    assert {r["series_label"] for r in rows} == {label, "Plain"}
