"""Generate the book pages that are pure views of the registries: book/sources.md and book/data.md.

    python -m citycases.pages          # write them
    python -m citycases.pages --check  # fail if the committed pages are stale
"""
from __future__ import annotations

import argparse
import re
import sys

from . import schema
from .cities import load_cities
from .files import atomic_write
from .paths import BOOK, ROOT
from .sources import load_registry
from .text import md



def url(u: str) -> str:
    """A URL as a MyST autolink; angle brackets and spaces cannot occur in it."""
    u = str(u).strip()
    if not re.fullmatch(r"https?://[^\s<>]+", u):
        raise ValueError(f"not a URL: {u!r}")
    return f"<{u}>"


def sources_page() -> str:
    reg = load_registry()
    out = ["# Sources", "",
           "Every figure in this book is derived from the public files listed here. For each source: who "
           "published it, where the original can be downloaded, the licence, when the copy we used was gathered, "
           "where that copy came from, and the SHA-256 checksum of each raw file, so anyone can verify they hold "
           "the same bytes. The derivation code is in `citycases/derive/`; the tidy tables are on the "
           "[data page](data.md).", ""]
    for sid, s in sorted(reg.items()):
        out += [f"(source-{sid.replace('_', '-')})=", f"## {md(s.title)}", "",
                f"- **Publisher:** {md(s.producer)}",
                f"- **Citation:** {md(s.citation)}",
                f"- **Main page:** {url(s.url_main)}",
                f"- **Download:** {url(s.url_download)}",
                f"- **Licence:** {md(s.licence)}",
                f"- **Copy gathered:** {md(s.date_accessed)}"]
        if s.extra.get("repository"):
            loc = md(s.extra["repository"])
            if s.extra.get("commit"):
                loc += f" at commit `{md(s.extra['commit'])[:12]}`"
            if s.extra.get("repo_path"):
                loc += f", path {md(s.extra['repo_path'])}"
            out.append(f"- **Copy taken from:** {loc}")
        out.append(f"- **Registry id:** `{sid}`")
        if s.extra.get("definition"):
            out.append(f"- **What is counted:** {md(s.extra['definition'])}")
        out += ["", "| raw file | bytes | sha256 |", "|---|---:|---|"]
        for f in s.files:
            out.append(f"| {md(f['path'])} | {f['bytes']} | `{f['sha256']}` |")
        if s.extra.get("caveats"):
            out += ["", "Caveats:", ""] + [f"- {md(c)}" for c in s.extra["caveats"]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def data_page() -> str:
    cities = load_cities()
    out = ["# Data", "",
           "The book's numbers live in tidy tables (UTF-8 CSV, one row per key, sorted), described by a "
           "[Frictionless](https://specs.frictionlessdata.io/data-package/) data package that carries each "
           "table's schema and the list of sources. Download them here; every row names its source in "
           "`source_id`, which resolves on the [sources page](sources.md).", "",
           "- {download}`datapackage.json <../data/datapackage.json>` (schemas and sources)",
           "- {download}`cities.yml <../data/cities.yml>` (the city registry: territory, series, comparability)", ""]
    for table, spec in schema.TABLES.items():
        out += [f"## {spec['title']}", "", f"{{download}}`{table}.csv <../data/tidy/{table}.csv>` — "
                f"{md(spec['description'])} Key: {', '.join(f'`{k}`' for k in spec['primary_key'])}.", "",
                "| column | type | meaning |", "|---|---|---|"]
        for f in spec["fields"]:
            out.append(f"| `{f['name']}` | {f['type']} | {md(f['description'])} |")
        out.append("")
    out += ["## Cities and their series", "",
            "| city | territory | primary series | population |", "|---|---|---|---|"]
    for c in cities:
        out.append(f"| {md(c['name'])} | {md(c['territory'])} | "
                   f"{md(c['series'][c['primary_series']]['label'])} | {md(c['population_note'])} |")
    out += ["", "Gaps in the data, and where the missing figures could come from, are listed in "
            "`data/README.md` in the repository.", ""]
    return "\n".join(out)


PAGES = {"sources.md": sources_page, "data.md": data_page}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.pages")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    stale = []
    for name, fn in PAGES.items():
        text = fn()
        path = BOOK / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            atomic_write(path, text)
    if stale:
        print(f"error: stale generated page(s) {stale}: run `make pages` (python -m citycases.pages)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
