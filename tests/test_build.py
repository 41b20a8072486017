"""The book pipeline: runner, table of contents, executed notebooks and the built site.

Tests marked `build` read book/ and _build/html (make book first; `make test` does); the others are unit tests
of the runner and the toc generator and run anywhere.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from conftest import ROOT

from citycases import run, toc

MAX_PAGE_BYTES = 500 * 1024
build = pytest.mark.build


# --------------------------------------------------------------------------- toc <-> registry
def test_toc_lists_every_city_in_registry_order():
    assert toc.problems() == []


def test_toc_check_reports_a_missing_city(tmp_path):
    bad = tmp_path / "_toc.yml"
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    slugs = [c.split("/")[-1] for c in toc.toc_city_files(__import__("yaml").safe_load(text))]
    bad.write_text(text.replace(f"- file: book/cities/{slugs[-1]}\n", ""), encoding="utf-8")
    found = toc.problems(bad)
    assert any(slugs[-1] in p and "missing" in p for p in found), found
    bad.write_text(toc.render(text, slugs + ["atlantis"]), encoding="utf-8")
    assert any("atlantis" in p and "not in data/cities.yml" in p for p in toc.problems(bad, slugs))


# --------------------------------------------------------------------------- runner (unit)
def test_unknown_city_slug_is_a_one_line_error():
    r = subprocess.run([sys.executable, "-m", "citycases.run", "atlantis"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown city slug 'atlantis'" in lines[0], r.stderr


def test_markdown_escape_leaves_no_markup():
    out = run.markdown_escape("São [x](http://e.vil) *bold* <b>`c`</b> $x$ {role}`y`\nnext")
    assert "\n" not in out and out.startswith("São ")
    for ch in "[]*<>`${}":
        assert re.search(r"(?<!\\)" + re.escape(ch), out) is None, (ch, out)


def _template(path: Path, *code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('city = "medellin"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# {{ name }}\n\nText."),
                nbformat.v4.new_code_cell("from citycases.display import setup_notebook\nsetup_notebook()"),
                params] + [nbformat.v4.new_code_cell(c) for c in code]
    nbformat.write(nb, path)
    return path


CHART = ("import altair as alt, pandas as pd\n"
         "df = pd.DataFrame({'year': [2000, 2001, 2002], 'rate': [10.5, 12.25, 9.0]})\n"
         "alt.Chart(df).mark_line().encode(x='year:O', y='rate:Q').properties(title=city)")


def test_execution_is_normalised_and_byte_identical(tmp_path):
    tpl = _template(tmp_path / "t.ipynb", "print(len(city))", CHART)
    a = run.execute("city 'x'", tpl, tmp_path / "a.ipynb", {"city": "ciudad-juarez"}, title="Ciudad Juárez")
    first = a.read_bytes()
    run.execute("city 'x'", tpl, a, {"city": "ciudad-juarez"}, title="Ciudad Juárez")
    assert a.read_bytes() == first, "re-executing unchanged inputs changed the notebook"
    nb = json.loads(first)
    assert "papermill" not in nb["metadata"]
    assert nb["cells"][0]["source"].startswith("# Ciudad Juárez")
    for cell in nb["cells"]:
        assert "papermill" not in cell["metadata"] and "execution" not in cell["metadata"]
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0]["metadata"]["tags"]
    assert injected[0]["id"] == "injected-parameters"
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert "remove-cell" in params[0]["metadata"]["tags"]
    html = nb["cells"][-1]["outputs"][0]["data"]["text/html"]
    html = "".join(html) if isinstance(html, list) else html
    assert 'class="citycases-chart"' in html and "vegaEmbed(" in html
    assert not re.search(r"https?://", html), "chart output names a host"


def test_failure_names_the_city_cell_and_error_and_keeps_the_old_notebook(tmp_path):
    tpl = _template(tmp_path / "t.ipynb", "x = 1", "y = {'a': 1}['missing']")
    out = tmp_path / "out.ipynb"
    out.write_text("previous", encoding="utf-8")
    with pytest.raises(run.RunError) as err:
        run.execute("city 'stockholm'", tpl, out, {"city": "stockholm"}, title="Stockholm", key="t-stockholm")
    msg = str(err.value)
    assert "city 'stockholm'" in msg and "cell 5" in msg and "KeyError" in msg and "missing" in msg, msg
    assert "\n" not in msg
    assert out.read_text(encoding="utf-8") == "previous"
    assert not list(tmp_path.glob(".out.*.tmp")), "a temporary file was left behind"
    (run.FAILED_DIR / "t-stockholm.ipynb").unlink(missing_ok=True)


def test_template_must_open_with_the_name_placeholder(tmp_path):
    tpl = _template(tmp_path / "t.ipynb", "x = 1")
    nb = nbformat.read(tpl, as_version=4)
    nb.cells[0].source = "# A fixed title"
    nbformat.write(nb, tpl)
    with pytest.raises(run.RunError, match=r"\{\{ name \}\}"):
        run.execute("city 'x'", tpl, tmp_path / "o.ipynb", {"city": "x"}, title="X")


def test_city_digest_changes_only_for_the_changed_city(tmp_path, monkeypatch):
    import shutil

    data = tmp_path / "data"
    (data / "tidy").mkdir(parents=True)
    (data / "events").mkdir()
    (data / "sources").mkdir()
    shutil.copy(ROOT / "data" / "cities.yml", data / "cities.yml")
    from citycases.cities import load_cities
    slugs = [c["slug"] for c in load_cities(data / "cities.yml")]
    table = data / "tidy" / "homicides_annual.csv"
    rows = ["city,year,homicides,source_id"] + [f"{s},2000,{i + 10},src_{s.replace('-', '_')}"
                                                 for i, s in enumerate(slugs)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for s in slugs:
        (data / "sources" / f"src_{s.replace('-', '_')}.yml").write_text(f"id: {s}\n", encoding="utf-8")
    monkeypatch.setattr(run, "DATA", data)
    monkeypatch.setattr(run, "SOURCE_REGISTRY", data / "sources")
    monkeypatch.setattr(run, "CITIES_FILE", data / "cities.yml")
    run._registry.cache_clear()
    try:
        before = {s: run.city_digest(s) for s in slugs}
        table.write_text(table.read_text(encoding="utf-8").replace(f"{slugs[0]},2000,10,", f"{slugs[0]},2000,11,"),
                         encoding="utf-8")
        after = {s: run.city_digest(s) for s in slugs}
        assert [s for s in slugs if before[s] != after[s]] == [slugs[0]]
        (data / "sources" / f"src_{slugs[1].replace('-', '_')}.yml").write_text("id: changed\n", encoding="utf-8")
        again = {s: run.city_digest(s) for s in slugs}
        assert [s for s in slugs if again[s] != after[s]] == [slugs[1]]
        # a city's own event file (no city column) changes that city only (hand-made event rows)
        header = "date,category,title,source_id,citation,citation_url\n"
        for s in slugs:
            (data / "events" / f"{s}.csv").write_text(header, encoding="utf-8")
        base = {s: run.city_digest(s) for s in slugs}
        (data / "events" / f"{slugs[2]}.csv").write_text(
            header + "2001,policing,Hand-made event,,Hand-made citation,https://example.org/\n", encoding="utf-8")
        edited = {s: run.city_digest(s) for s in slugs}
        assert [s for s in slugs if edited[s] != base[s]] == [slugs[2]]
    finally:
        run._registry.cache_clear()


def test_chart_pins_match_altair():
    import altair as alt

    pins = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    for pkg, want in (("vega", alt.VEGA_VERSION), ("vega-lite", alt.VEGALITE_VERSION),
                      ("vega-embed", alt.VEGAEMBED_VERSION)):
        for have in (pins[pkg], lock[f"node_modules/{pkg}"]["version"]):
            assert re.fullmatch(r"\d+\.\d+\.\d+", have), f"{pkg} must be pinned exactly, not {have!r}"
            assert have.split(".")[: len(want.split("."))] == want.split("."), \
                f"{pkg} {have} does not match the version Altair targets ({want})"


# --------------------------------------------------------------------------- executed notebooks
@build
def test_one_executed_notebook_per_city(city_slugs):
    have = sorted(p.stem for p in (ROOT / "book" / "cities").glob("*.ipynb"))
    assert have == sorted(city_slugs), "run `make notebooks` (book/cities/ must match data/cities.yml)"
    assert (ROOT / "book" / "comparison.ipynb").is_file()


@build
def test_executed_notebooks_are_normalised(city_slugs):
    from citycases.cities import load_cities
    names = {c["slug"]: c["name"] for c in load_cities()}
    paths = [ROOT / "book" / "cities" / f"{s}.ipynb" for s in city_slugs] + [ROOT / "book" / "comparison.ipynb"]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        where = path.relative_to(ROOT)
        assert "papermill" not in nb["metadata"], where
        assert '"start_time"' not in text and '"end_time"' not in text, f"{where} keeps timestamps"
        for cell in nb["cells"]:
            tags = cell["metadata"].get("tags", [])
            if "injected-parameters" in tags or "parameters" in tags:
                assert "remove-cell" in tags, f"{where}: parameters cell is shown in the site"
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", f"{where} stores an error"
        if path.parent.name == "cities":
            assert nb["cells"][0]["source"].startswith(f"# {run.markdown_escape(names[path.stem])}"), where
            assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"]), where


# --------------------------------------------------------------------------- the built site
def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(site).parts))


class _Requests(HTMLParser):
    """URLs a page makes the browser load: script/img/iframe/source src, stylesheet/preload/icon hrefs,
    object data, plus fetch()/import()/Worker/url() in inline scripts and styles. <a href> is not a request."""

    LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest",
                    "apple-touch-icon", "dns-prefetch", "preconnect"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "audio", "video", "embed", "track", "input"}:
            for key in ("src", "srcset", "poster"):
                if a.get(key):
                    self.urls += [u.strip().split(" ")[0] for u in a[key].split(",")] if key == "srcset" \
                        else [a[key]]
        if tag == "link" and a.get("href") and set((a.get("rel") or "").lower().split()) & self.LOADING_RELS:
            self.urls.append(a["href"])
        if tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        if a.get("style"):
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", a["style"])
        self._in = tag if tag in {"script", "style"} else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            pat = r"""(?:fetch|import|Worker|importScripts|\.open)\s*\(\s*(?:["'][A-Z]+["']\s*,\s*)?["'`]([^"'`]+)|""" \
                  r"""\bimport\s[^;]*?\bfrom\s*["']([^"']+)|\.src\s*=\s*["']([^"']+)"""
            self.urls += [next(g for g in m if g) for m in re.findall(pat, data)]
        elif self._in == "style":
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", data) + re.findall(r"@import\s+['\"]([^'\"]+)", data)


def _third_party(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.netloc) or parts.scheme not in {"", "data", "blob", "file"}


@build
def test_strict_build_made_one_page_per_city_with_its_name_as_title(site, city_slugs):
    from citycases.cities import load_cities
    names = {c["slug"]: c["name"] for c in load_cities()}
    for slug in city_slugs:
        page = site / "book" / "cities" / f"{slug}.html"
        assert page.is_file(), f"missing {page.relative_to(ROOT)}"
        text = page.read_text(encoding="utf-8")
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        assert h1 and names[slug] in re.sub(r"<[^>]+>", "", h1.group(1)), f"{slug}: no <h1> with the city name"
        assert f"<title>{names[slug]}" in text, f"{slug}: page <title> is not the city name"
    assert (site / "book" / "comparison.html").is_file()
    log = ROOT / "artifacts" / "sphinx-build.log"
    if log.is_file():
        assert "WARNING" not in log.read_text(encoding="utf-8", errors="replace"), f"warnings in {log}"


def third_party_requests(site: Path) -> dict[str, list[str]]:
    offenders = {}
    for page in _pages(site):
        p = _Requests()
        p.feed(page.read_text(encoding="utf-8"))
        bad = sorted({u for u in p.urls if _third_party(u)})
        if bad:
            offenders[str(page.relative_to(site))] = bad
    return offenders


def oversized_pages(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_size for p in _pages(site) if p.stat().st_size > MAX_PAGE_BYTES}


@build
def test_no_page_requests_a_third_party_host(site):
    offenders = third_party_requests(site)
    assert not offenders, f"pages loading from third-party hosts: {json.dumps(offenders, indent=1)}"


def test_budget_checks_fail_on_a_bad_site(tmp_path):
    """HAND-MADE site: a page just over 500 KB and a page loading a script from a CDN are both reported; a page of
    exactly 500 KB, links to other sites and files under _static are not."""
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "big.js").write_bytes(b"x" * (MAX_PAGE_BYTES + 1))
    (tmp_path / "ok.html").write_bytes(b"<p>" + b"x" * (MAX_PAGE_BYTES - 7) + b"</p>")
    (tmp_path / "big.html").write_bytes(b"<p>" + b"x" * (MAX_PAGE_BYTES - 6) + b"</p>")
    (tmp_path / "cdn.html").write_text('<a href="https://source.example/">a source</a>'
                                       '<script src="https://cdn.example/vega.js"></script>', encoding="utf-8")
    assert oversized_pages(tmp_path) == {"big.html": MAX_PAGE_BYTES + 1}
    assert third_party_requests(tmp_path) == {"cdn.html": ["https://cdn.example/vega.js"]}


def test_request_scanner_catches_what_it_should():
    p = _Requests()
    p.feed('<a href="https://source.example/x">source</a><script src="https://cdn.example/vega.js"></script>'
           '<link rel="stylesheet" href="//fonts.example/f.css"><img src="_static/x.png">'
           '<script>fetch("https://api.example/q"); var s = "https://vega.github.io/schema/x.json";</script>')
    assert sorted(u for u in p.urls if _third_party(u)) == ["//fonts.example/f.css", "https://api.example/q",
                                                           "https://cdn.example/vega.js"]


@build
def test_every_page_is_at_most_500_kb(site):
    big = oversized_pages(site)
    assert not big, f"pages over {MAX_PAGE_BYTES // 1024} KB: {big}"


@build
def test_chart_scripts_are_shared_files_loaded_once_and_only_where_needed(site):
    from citycases.display import VENDOR_DIR, VENDOR_SCRIPTS
    chart_pages = 0
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        has_chart = 'class="citycases-chart"' in text
        for name in VENDOR_SCRIPTS:
            n = len(re.findall(rf'<script[^>]+src="[^"]*_static/{VENDOR_DIR}/{re.escape(name)}', text))
            assert n == (1 if has_chart else 0), f"{page.relative_to(site)} loads {name} {n} times"
        chart_pages += has_chart
        assert "cdn.jsdelivr" not in text and "VEGA_DEBUG" not in text, page
    assert chart_pages >= 1, "no page of the site has a chart"
    for name in VENDOR_SCRIPTS:
        assert (site / "_static" / VENDOR_DIR / name).is_file()


def test_doit_keys_each_city_on_its_own_inputs(city_slugs):
    import importlib.util

    spec = importlib.util.spec_from_file_location("dodo", ROOT / "dodo.py")
    dodo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dodo)
    cities = list(dodo.task_city())
    assert [t["name"] for t in cities] == city_slugs
    for t in cities:
        deps = {Path(d).relative_to(ROOT).as_posix() for d in t["file_dep"]}
        assert {"notebooks/city.ipynb", "citycases/run.py", "citycases/display.py"} <= deps
        assert not any(d.startswith("data/") for d in deps), "city tasks must key data on the city's own rows"
        assert t["uptodate"] and t["targets"] == [str(ROOT / "book" / "cities" / f"{t['name']}.ipynb")]
    comparison = dodo.task_comparison()
    deps = {Path(d).relative_to(ROOT).as_posix() for d in comparison["file_dep"]}
    assert "data/cities.yml" in deps and {f"data/tidy/{p.name}" for p in (ROOT / "data" / "tidy").glob("*.csv")} <= deps
    # the evaluations read the small-area panel, the events, the registries and the published estimates only
    ev = {Path(d).relative_to(ROOT).as_posix() for d in dodo.task_evaluations()["file_dep"]}
    assert {"data/tidy/homicides_area_panel.csv", "data/tidy/homicides_colombia_capitals.csv", "data/tidy/events.csv",
            "data/evaluations.yml",
            "notebooks/evaluations.ipynb", "data/cities.yml", "citycases/evaluations.py"} <= ev
    assert "data/tidy/homicides_annual.csv" not in ev
    home = {Path(d).relative_to(ROOT).as_posix() for d in dodo.task_home()["file_dep"]}
    assert "data/tidy/homicides_annual.csv" in home and "notebooks/home.ipynb" in home


def test_external_link_check_covers_sources_and_events_and_can_fail(monkeypatch):
    """.github/linkcheck.py (weekly workflow, `make linkcheck`) reads every data/sources/*.yml and event citation,
    and exits 1 when a URL is broken. Checked offline: `check` is replaced by a stub."""
    import csv
    import importlib.util

    import yaml

    spec = importlib.util.spec_from_file_location("linkcheck", ROOT / ".github" / "linkcheck.py")
    lc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lc)
    found = lc.urls()
    for path in (ROOT / "data" / "sources").glob("*.yml"):
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert path.name in found[entry["url_main"]] and path.name in found[entry["url_download"]]
    for path in (ROOT / "data" / "events").glob("*.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            if row["citation_url"]:
                assert any(w.startswith(f"events/{path.name}") for w in found[row["citation_url"]])
    broken = next(iter(found))
    monkeypatch.setattr(lc, "check", lambda u: ("broken", "HTTP 404") if u == broken else ("ok", "200"))
    assert lc.main([]) == 1
    monkeypatch.setattr(lc, "check", lambda u: ("ok", "200"))
    assert lc.main([]) == 0
