"""How charts and tables reach the reader: notebook setup and the site's chart assets (owned by the pipeline).

Two halves, one contract:

* In a notebook, ``setup_notebook()`` registers the ``citycases`` Altair renderer. A chart becomes
  ``<div class="citycases-chart" id="vl-<hash of spec>">`` plus a tiny inline script calling
  ``vegaEmbed(el, spec)``. The output names no host at all (no CDN, not even the ``$schema`` URL), the id is
  derived from the spec (re-executing gives byte-identical notebooks) and the data is inline (the ``json`` data
  transformer writes files Sphinx would not copy; vegafusion output changes run to run).
* In the site, this module is also a Sphinx extension (``_config.yml``: ``sphinx.local_extensions``): pages that
  contain a chart get the Vega, Vega-Lite and vega-embed scripts from the site's own ``_static/vega/``
  (copied from node_modules by ``make static``, versions pinned in package.json to the ones Altair targets).
  Scripts are loaded synchronously in <head>, so the inline calls find ``vegaEmbed``; the site works from
  ``file://`` and makes no third-party request.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import warnings
from pathlib import Path

RENDERER = "citycases"
CHART_CLASS = "citycases-chart"
# Order matters: vega-lite needs vega, vega-embed needs both.
VENDOR_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
VENDOR_DIR = "vega"  # under book/_static
# The explorer page (book/explorer.md) marks its root element with this id; it gets the chart scripts (its chart
# container is a citycases-chart) plus its data and code, in this order, after them.
EXPLORER_MARKER = 'id="citycases-explorer"'
EXPLORER_SCRIPTS = ("data/explorer-data.js", "explorer.js")
EXPLORER_CSS = "explorer.css"
EMBED_OPTIONS = {"mode": "vega-lite", "renderer": "svg",
                 "actions": {"export": True, "source": False, "compiled": False, "editor": False}}


# --------------------------------------------------------------------------- notebook side
def _script_safe_json(obj) -> str:
    """JSON that cannot close the <script> element it sits in, stable across runs (sorted keys)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def chart_html(spec: dict) -> str:
    """The HTML for one chart: a container div and the call that draws the spec into it."""
    spec = {k: v for k, v in spec.items() if k != "$schema"}  # a URL string in every page otherwise
    payload = _script_safe_json(spec)
    chart_id = "vl-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    label = html.escape(f"Chart: {title}" if title else "Chart", quote=True)
    options = _script_safe_json(EMBED_OPTIONS)
    # currentScript handles the (rare) same spec twice on one page; the id is the fallback.
    return (
        f'<div class="{CHART_CLASS}" id="{chart_id}" role="figure" aria-label="{label}"></div>\n'
        '<script type="text/javascript">(function () {\n'
        '  var s = document.currentScript;\n'
        f'  var el = (s && s.previousElementSibling) || document.getElementById("{chart_id}");\n'
        f'  var spec = {payload};\n'
        '  if (typeof vegaEmbed === "undefined") {\n'
        '    el.textContent = "This chart needs the site\'s Vega scripts (_static/vega).";\n'
        '    console.error("citycases: vegaEmbed is not loaded for " + el.id); return;\n'
        '  }\n'
        f'  vegaEmbed(el, spec, {options})\n'
        '    .then(function () { el.setAttribute("data-rendered", "true");\n'
        '      var m = el.querySelector("details > summary"); if (m) m.setAttribute("aria-label", "Export the chart"); })\n'
        '    .catch(function (err) { el.textContent = "Chart failed to draw: " + err;\n'
        '      console.error("citycases: chart " + el.id + " failed:", err); });\n'
        '})();</script>'
    )


def citycases_renderer(spec: dict, **metadata):
    """Altair renderer: text/html that draws offline, plus a deterministic text/plain."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return {"text/html": chart_html(spec),
            "text/plain": f"<Chart{': ' + str(title) if title else ''}>"}


def setup_notebook() -> None:
    """Call once at the top of every book notebook (first code cell)."""
    import altair as alt
    import pandas as pd

    # Readers never see library warnings (and the site drops stderr anyway).
    warnings.filterwarnings("ignore")
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, citycases_renderer)
    alt.renderers.enable(RENDERER)
    # Inline data only: "json" writes files Sphinx will not copy, vegafusion output differs run to run.
    # Page size is checked by the build tests (500 KB per page), so no row cap here.
    alt.data_transformers.enable("default", max_rows=None)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 120)
    pd.set_option("display.precision", 2)
    # each notebook is one page with its own numbered references
    from . import text
    text.reset_references()


# --------------------------------------------------------------------------- site side (Sphinx extension)
def _static_vendor_dir(app) -> Path:
    return Path(app.srcdir) / "book" / "_static" / VENDOR_DIR


def _check_vendor(app) -> None:
    missing = [n for n in VENDOR_SCRIPTS if not (_static_vendor_dir(app) / n).is_file()]
    if missing:
        from sphinx.errors import ExtensionError
        raise ExtensionError(f"citycases: {', '.join(missing)} missing from book/_static/{VENDOR_DIR}/; "
                             "run `make static` (copies them from node_modules after `npm ci`)")


def _add_chart_scripts(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body") or ""
    if f'class="{CHART_CLASS}"' in body:
        for i, name in enumerate(VENDOR_SCRIPTS):
            # Synchronous (no defer/async): the inline chart calls in the body run after these loaded.
            app.add_js_file(f"{VENDOR_DIR}/{name}", priority=900 + i)
    if EXPLORER_MARKER in body:
        for i, name in enumerate(EXPLORER_SCRIPTS):
            app.add_js_file(name, priority=910 + i)
        app.add_css_file(EXPLORER_CSS)


# Accessibility fixes of theme markup (axe-core "serious": a control's accessible name must contain its visible
# text). Applied to the written HTML, so they hold without JavaScript; tests/test_browser.py runs axe on every page.
_A11Y_FIXES = (
    # myst-nb's hide-input toggle: the visible "Show code cell source" names it, not a generic label
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    # pydata-sphinx-theme's search field: visible "Search Ctrl+K" vs aria-label "Search"
    (re.compile(r'(class="btn search-button-field search-button__button[^"]*" title="Search") aria-label="Search"'),
     r"\1"),
    # the colour-mode button's icons carry titles ("Light", "Dark"...) that count as visible text
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="[a-z]+") title="[^"]*"></i>'), r'\1 aria-hidden="true"></i>'),
)


def _fix_html(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for pattern, repl in _A11Y_FIXES:
            new = pattern.sub(repl, new)
        if new != text:
            page.write_text(new, encoding="utf-8")


def _drop_thebe(app) -> None:
    """Jupyter Book 1.x always loads sphinx-thebe, whose inline script names a CDN (unpkg) on every page and is
    added twice on incremental builds (a console error). This book has no live code: unhook it."""
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _escape_theme_titles(app, pagename, templatename, context, doctree) -> None:
    """sphinx-book-theme puts two plain-text titles into its templates unescaped: `pagetitle` (the page's title, in
    the print-only <h1> of every page) and `root_title` (the sidebar's home link). A chapter's title is its city's
    name, from data: escape both, so a name such as `<script>` is shown as text (tests/test_hostile_text.py).
    Runs after the theme's own handler (priority 500)."""
    for key in ("pagetitle", "root_title"):
        value = context.get(key)
        if isinstance(value, str) and not hasattr(value, "__html__"):
            context[key] = html.escape(value, quote=True)


def _assets_fingerprint() -> str:
    """Changes when this module changes (script names, folder, embed code): Sphinx then rewrites every page."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def setup(app):
    app.add_config_value("citycases_assets", _assets_fingerprint(), "html")
    app.connect("builder-inited", _check_vendor)
    app.connect("builder-inited", _drop_thebe)
    app.connect("build-finished", _fix_html)
    app.connect("html-page-context", _add_chart_scripts)
    app.connect("html-page-context", _escape_theme_titles, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
