"""The built site in a real browser (Debian chromium through Playwright; never a downloaded browser).

Every page of _build/html is served on a localhost port and opened; a page fails if any chart container did
not draw (no svg/canvas inside), if the console logs an error, if a script throws, if a request leaves the
local server (all requests are routed: any other host is aborted and reported), if a local file is missing,
or if axe-core finds a serious or critical accessibility violation. A screenshot of every page goes to
artifacts/screenshots/. One chart page is also opened from file:// (the site must work from disk).
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, SITE

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
CHART_TIMEOUT_MS = 20_000
CHARTS_DRAWN = """() => [...document.querySelectorAll('.citycases-chart, .vega-embed')]
    .every(el => el.querySelector('svg, canvas') || el.textContent.includes('failed'))"""
CHART_STATE = """() => [...document.querySelectorAll('.citycases-chart')].map(el => ({
    id: el.id, drawn: !!el.querySelector('svg, canvas'), text: el.textContent.slice(0, 200),
    label: el.getAttribute('aria-label') || '',
    description: (el.querySelector('[role=graphics-document]') || {getAttribute: () => ''})
        .getAttribute('aria-label') || ''}))"""
MIN_DESCRIPTION = 40  # characters: a sentence saying what the chart shows, not just its title


def _pages() -> list[str]:
    if not SITE.is_dir():
        return ["(no site: run make book)"]
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if not {"_static", "_sources"} & set(p.relative_to(SITE).parts))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser_context():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (make test does), or set CHROMIUM=")
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} missing: run `npm ci` (make node)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="citycases-chromium-")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                    viewport={"width": 1280, "height": 900})
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def _watch(page, allowed_origin: str | None) -> dict[str, list[str]]:
    """Record console errors, uncaught exceptions, missing files and third-party requests (aborted)."""
    found: dict[str, list[str]] = {"console errors": [], "script errors": [], "third-party requests": [],
                                   "failed requests": []}

    def route(r):
        url = r.request.url
        parts = urlsplit(url)
        local = (parts.scheme in {"data", "blob", "file"} or
                 (allowed_origin and f"{parts.scheme}://{parts.netloc}" == allowed_origin))
        if local:
            r.continue_()
        else:
            found["third-party requests"].append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and found["console errors"].append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    page.on("pageerror", lambda e: found["script errors"].append(str(e)))
    page.on("response", lambda r: r.status >= 400 and found["failed requests"].append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: urlsplit(r.url).scheme == "file" and found["failed requests"].append(
        f"{r.failure} {r.url}"))
    return found


def _axe(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
            id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')
                .replace(/\\s+/g, ' ').slice(0, 200)), count: v.nodes.length}));
    }""")
    return [f"[{v['impact']}] {v['id']}: {v['help']} ({v['count']} element(s); {v['url'].split('?')[0]})\n"
            + "\n".join(f"        at {n}" for n in v["nodes"]) for v in violations]


def _check_charts(page, found: dict[str, list[str]]) -> int:
    try:
        page.wait_for_function(CHARTS_DRAWN, timeout=CHART_TIMEOUT_MS)
    except Exception:  # reported below, chart by chart
        pass
    charts = page.evaluate(CHART_STATE)
    found["charts not drawn"] = [f"#{c['id']}: {c['text'] or 'empty container'}" for c in charts if not c["drawn"]]
    # every chart is a labelled figure whose drawing carries its text description (the spec's `description`)
    found["charts without a text description"] = [
        f"#{c['id']}: label {c['label']!r}, description {c['description']!r}" for c in charts
        if c["drawn"] and (not c["label"] or len(c["description"]) < MIN_DESCRIPTION)]
    return len(charts)


def _report(page_name: str, found: dict[str, list[str]]) -> str:
    lines = [f"{page_name}:"]
    for kind, items in found.items():
        if items:
            lines.append(f"  {kind}:")
            lines += [f"    - {i}" for i in items]
    return "\n".join(lines)


@pytest.mark.parametrize("page_name", _pages())
def test_page(page_name, server, browser_context):
    if page_name.startswith("(no site"):
        pytest.fail("no built site at _build/html: run `make book` first")
    page = browser_context.new_page()
    try:
        found = _watch(page, server)
        page.goto(f"{server}/{page_name}", wait_until="load")
        n = _check_charts(page, found)
        page.wait_for_timeout(200)  # let late console errors arrive
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (page_name.replace("/", "__").removesuffix(".html") + ".png")),
                        full_page=True)
        found["accessibility (axe-core, serious/critical)"] = _axe(page)
    finally:
        page.close()
    assert not any(found.values()), _report(page_name, found) + f"\n  ({n} chart container(s) on the page)"


def test_chart_page_works_from_file_url(site, browser_context):
    chart_pages = [p for p in (site / "book").rglob("*.html") if 'class="citycases-chart"' in p.read_text("utf-8")]
    assert chart_pages, "no page with a chart"
    page = browser_context.new_page()
    try:
        found = _watch(page, None)
        page.goto(chart_pages[0].as_uri(), wait_until="load")
        n = _check_charts(page, found)
    finally:
        page.close()
    assert n > 0
    assert not any(found.values()), _report(chart_pages[0].as_uri(), found)


def test_axe_reports_serious_violations(browser_context, tmp_path):
    """The accessibility check can fail: a HAND-MADE page with an image without alt text and an unnamed button."""
    page_file = tmp_path / "bad.html"
    page_file.write_text('<!DOCTYPE html><html lang="en"><head><title>Hand-made bad page</title></head><body>'
                         '<main><h1>Bad</h1><img src="x.png"><button></button></main></body></html>', encoding="utf-8")
    page = browser_context.new_page()
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        found = _axe(page)
    finally:
        page.close()
    assert any("image-alt" in f for f in found) and any("button-name" in f for f in found), found


FIRST_SCREEN = {"width": 1280, "height": 800}


def _chapter_pages() -> list[str]:
    if not SITE.is_dir():
        return ["(no site: run make book)"]
    return (["book/intro.html"] +
            sorted(str(p.relative_to(SITE)) for p in (SITE / "book" / "cities").glob("*.html")))


@pytest.mark.parametrize("page_name", _chapter_pages())
def test_first_screen_shows_the_main_chart(page_name, server, browser_context):
    """At 1280x800 a chapter's (and the front page's) first screen holds its main chart, drawn, whole; the
    screenshot of that first screen goes to artifacts/screenshots/first-screen/."""
    if page_name.startswith("(no site"):
        pytest.fail("no built site at _build/html: run `make book` first")
    page = browser_context.new_page()
    try:
        page.set_viewport_size(FIRST_SCREEN)
        page.goto(f"{server}/{page_name}", wait_until="load")
        page.wait_for_function("() => { const el = document.querySelector('.citycases-chart');"
                               " return el && el.querySelector('svg, canvas'); }", timeout=CHART_TIMEOUT_MS)
        box = page.evaluate("""() => { const r = document.querySelector('.citycases-chart svg, .citycases-chart canvas')
            .getBoundingClientRect(); return {top: r.top, bottom: r.bottom, height: r.height}; }""")
        out = SHOTS / "first-screen"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / (page_name.replace("/", "__").removesuffix(".html") + ".png")))
    finally:
        page.close()
    assert box["height"] > 150, f"{page_name}: the first chart is only {box['height']:.0f} px high"
    assert 0 <= box["top"] and box["bottom"] <= FIRST_SCREEN["height"], \
        f"{page_name}: the main chart spans {box['top']:.0f}-{box['bottom']:.0f} px, not within the first screen"
