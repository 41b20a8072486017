"""Text from the data is shown as text everywhere: Markdown, tables, chart titles, descriptions and tooltips.

A FIXTURE data folder (a temporary copy of data/; CITYCASES_DATA points the code at it) gets HAND-MADE hostile
text in Milan's name, in the title of two of Milan's events, in a context period's label and description and in
the title of a source its chapter cites. The
city template is executed for Milan by the runner into a temporary book, which is built by Jupyter Book with the
book's own _config.yml (strict). The built page must contain no executable markup from the data (no <script>,
no on* attribute, no <img> that came from it), the hostile strings must be there as visible text, and a browser
opening the page (charts drawn, an event tooltip shown) must fire no dialog. Nothing here reaches the book.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, clean_env

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} {ATTR}"
SLUG = "milan"
SOURCE = "istat_delitti_denunciati"  # cited by Milan's annual series, so it appears in captions
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
THEME_HANDLERS = {"toggleFullScreen()", "window.print()"}  # the theme's own on* attributes (not data)


def _fixture_data(dest: Path) -> dict:
    shutil.copytree(ROOT / "data", dest)
    reg = yaml.safe_load((dest / "cities.yml").read_text(encoding="utf-8"))
    city = next(c for c in reg["cities"] if c["slug"] == SLUG)
    city["name"] = f"{city['name']} {HOSTILE}"
    (dest / "cities.yml").write_text("# HAND-MADE TEST FIXTURE (hostile text)\n"
                                     + yaml.safe_dump(reg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    import pandas as pd
    titles = [f"{HOSTILE} first hand-made title", f"Last hand-made title {HOSTILE}"]
    # the curated file and the tidy table the chapter reads (as `make data` would derive it)
    for events in (dest / "events" / f"{SLUG}.csv", dest / "tidy" / "events.csv"):
        ev = pd.read_csv(events, dtype=str, keep_default_na=False)
        rows = ev.index[ev["city"] == SLUG] if "city" in ev else ev.index
        ev.loc[rows[0], "title"], ev.loc[rows[-1], "title"] = titles
        ev.to_csv(events, index=False, lineterminator="\n")
    # a context period's label and description (drawn as a band with a label, listed under What was happening)
    period_label, period_text = f"War {SCRIPT}"[:40], f"Hand-made period description {HOSTILE}"
    for periods in (dest / "periods" / f"{SLUG}.csv", dest / "tidy" / "periods.csv"):
        pe = pd.read_csv(periods, dtype=str, keep_default_na=False)
        rows = pe.index[pe["city"] == SLUG] if "city" in pe else pe.index
        pe.loc[rows[0], "label"], pe.loc[rows[0], "description"] = period_label, period_text
        pe.to_csv(periods, index=False, lineterminator="\n")
    src = dest / "sources" / f"{SOURCE}.yml"
    entry = yaml.safe_load(src.read_text(encoding="utf-8"))
    entry["title"] = f"{entry['title']} {HOSTILE}"
    src.write_text(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"name": city["name"], "titles": titles, "source_title": entry["title"], "period_label": period_label,
            "period_text": period_text}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("hostile")
    facts = _fixture_data(tmp / "data")
    book = tmp / "book_root"
    out = book / "book" / "cities" / f"{SLUG}.ipynb"
    env = clean_env(CITYCASES_DATA=str(tmp / "data"), PYTHONPATH=str(ROOT), PYTHONHASHSEED="0", NO_COLOR="1")
    comparison = book / "book" / "comparison.ipynb"
    code = ("import sys; from pathlib import Path; from citycases import run\n"
            "run.execute('hostile fixture', run.CITY_TEMPLATE, Path(sys.argv[1]), {'city': sys.argv[2]},"
            " title=sys.argv[3], key='hostile-fixture')\n"
            "run.execute('hostile fixture comparison', run.COMPARISON_TEMPLATE, Path(sys.argv[4]),"
            " key='hostile-fixture-comparison')")
    r = subprocess.run([sys.executable, "-c", code, str(out), SLUG, facts["name"], str(comparison)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    # the comparison links to the data page: a hand-made stub stands in for it in this test book
    (book / "book" / "data.md").write_text("# Data\n\nHand-made stub page of the test book.\n", encoding="utf-8")
    (book / "_toc.yml").write_text(f"# HAND-MADE TEST BOOK\nformat: jb-book\nroot: book/cities/{SLUG}\n"
                                   "chapters:\n  - file: book/comparison\n  - file: book/data\n", encoding="utf-8")
    shutil.copytree(ROOT / "book" / "_static" / "vega", book / "book" / "_static" / "vega")
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", ".", "--config", "_config.yml",
                        "--toc", "_toc.yml", "--builder", "html", "-n", "-W", "--keep-going"], cwd=book, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "WARNING" not in r.stdout + r.stderr, (r.stdout + r.stderr)[-4000:]
    page = book / "_build" / "html" / "book" / "cities" / f"{SLUG}.html"
    comparison_page = book / "_build" / "html" / "book" / "comparison.html"
    return dict(facts, page=page, html=page.read_text(encoding="utf-8"), comparison_page=comparison_page,
                comparison_html=comparison_page.read_text(encoding="utf-8"))


def plain(text: str) -> str:
    return text.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))


def _chart_specs(soup) -> list[dict]:
    specs = []
    for s in soup.find_all("script"):
        m = re.search(r"var spec = (\{.*?\});\n", s.string or "", re.S)
        if m:
            specs.append(json.loads(m.group(1)))
    return specs


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


@pytest.mark.build
def test_hostile_text_is_text_in_the_built_page(hostile):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(hostile["html"], "html.parser")
    # no executable markup from the data
    for s in soup.find_all("script"):
        if s.get("src"):
            assert not re.match(r"(?i)[a-z]+:|//", s["src"]) and s["src"] != "x", s["src"]
        else:
            body = s.string or ""
            assert not re.search(r"(?i)</?script|<img|\"><", body), f"data markup inside a script: {body[:300]}"
            assert "alert(1)" not in body or body.lstrip().startswith("(function () {"), body[:300]
    handlers = {(el.name, k, v) for el in soup.find_all(True) for k, v in el.attrs.items() if k.lower().startswith("on")}
    assert {v for _, _, v in handlers} <= THEME_HANDLERS, f"on* attributes from the data: {handlers}"
    assert not soup.find_all("img", src="x"), "an <img> from the data became an element"
    urls = [(k, str(v)) for el in soup.find_all(True) for k, v in el.attrs.items() if k in ("src", "href", "style")]
    # the heading's anchor is a slug of the name (#milan-script-alert-1-...): harmless; anything else is not
    assert [u for u in urls if "alert" in u[1] and not re.fullmatch(r"#[a-z0-9-]+", u[1])] == [], \
        "data text reached a src/href/style attribute"
    # ... and the text is all there, as text (the book's MyST `smartquotes` curls the straight quote in prose)
    h1s = [plain(h.get_text()) for h in soup.find_all("h1")]
    assert len(h1s) == 2 and all(hostile["name"] in h for h in h1s), h1s  # print-only title and page title
    assert plain(soup.title.get_text()).startswith(hostile["name"]), soup.title
    text = plain(soup.get_text())
    for t in hostile["titles"] + [hostile["source_title"], hostile["period_label"], hostile["period_text"]]:
        assert t in text, f"missing as text: {t}"
    refs = [plain(li.get_text()) for li in soup.select('li[id^="ref-"]')]
    assert any(hostile["source_title"] in t for t in refs), "the source title is not in the page's references"
    labels = [d["aria-label"] for d in soup.find_all("div", class_="citycases-chart")]
    assert labels and all(hostile["name"] in lab for lab in labels if "Italy" not in lab), labels
    # the charts carry the hostile text as data strings (titles, tooltips), decoded intact from escaped JSON
    strings = [s for spec in _chart_specs(soup) for s in _strings(spec)]
    assert any(hostile["titles"][-1] == s for s in strings), "event title missing from the chart tooltips data"
    assert any(hostile["period_label"] == s for s in strings), "period label missing from the chart bands' data"
    assert any(s.startswith(hostile["name"]) for s in strings), "city name missing from the chart titles"


@pytest.mark.browser
def test_hostile_text_fires_nothing_in_a_browser(hostile):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (.ci/run does), or set CHROMIUM=")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(hostile["page"].as_uri(), wait_until="load")
            page.wait_for_function("""() => [...document.querySelectorAll('.citycases-chart')]
                .every(el => el.querySelector('svg'))""", timeout=20_000)
            # hover the events' dashed rules until a tooltip shows a hostile event title
            tip = ""
            rules = page.locator(".citycases-chart svg .mark-rule.role-mark line")
            # (rule marks also draw intervals and series breaks: try them all, events come after them)
            for i in range(min(rules.count(), 300)):
                try:
                    rules.nth(i).hover(timeout=300, force=True)
                except Exception:
                    continue
                page.wait_for_timeout(100)
                tip = page.evaluate("() => (document.getElementById('vg-tooltip-element') || {}).textContent || ''")
                if "hand-made title" in tip:
                    break
            tooltip_imgs = page.evaluate("() => document.querySelectorAll('#vg-tooltip-element img').length")
            found_imgs = page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length")
        finally:
            browser.close()
    assert dialogs == [], f"the data ran script: dialogs {dialogs}"
    assert errors == [], errors
    assert found_imgs == 0 and tooltip_imgs == 0
    assert SCRIPT in tip and ATTR in tip, f"no tooltip showed a hostile event title as text (last tooltip: {tip!r})"


@pytest.mark.build
def test_hostile_city_name_is_text_in_the_comparison_page(hostile):
    """The comparison names every city in prose, tables, legends and tooltips: the hostile name stays text."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(hostile["comparison_html"], "html.parser")
    for s in soup.find_all("script"):
        body = s.string or ""
        assert not re.search(r"(?i)</?script|<img|\"><", body), f"data markup inside a script: {body[:300]}"
    handlers = {v for el in soup.find_all(True) for k, v in el.attrs.items() if k.lower().startswith("on")}
    assert handlers <= THEME_HANDLERS, f"on* attributes from the data: {handlers}"
    assert not soup.find_all("img", src="x"), "an <img> from the data became an element"
    assert hostile["name"] in plain(soup.get_text()), "the city name is missing as text"
    cells = [plain(td.get_text()) for td in soup.find_all("td")]
    assert any(hostile["name"] in c for c in cells), "the city name is missing from the comparison tables"
    strings = [s for spec in _chart_specs(soup) for s in _strings(spec)]
    assert hostile["name"] in strings, "the city name is missing from the charts' data"
