"""The built site: never half-written, reproducible, and every internal link resolves (offline).

* Atomicity: `make site` builds from scratch into _build/.staging and replaces _build/html only after a build
  without a warning. Checked in a SCRATCH COPY of the book whose intro gets a HAND-MADE broken reference.
* Determinism: a second, clean build of the same sources (another output folder) gives the same files, byte for
  byte, as _build/html (only build timestamps would be removed; the configuration writes none), and
  re-executing a chapter gives the committed notebook byte for byte. (Tidy tables: test_data.py derives twice.)
* Links: every local href/src of every page names an existing file, and every #fragment an id in its target.
  External URLs (data/sources/*.yml) are checked weekly by .github/workflows/linkcheck.yml, not here.
"""
from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import ROOT, clean_env, copy_checkout

build = pytest.mark.build
JB = ROOT / ".venv" / "bin" / "jupyter-book"
# Build timestamps a theme may write ("Last updated on ..."); html_last_updated_fmt is null, so none today.
TIMESTAMPS = re.compile(r"(Last updated on )[^<]*")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make(repo: Path, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *targets], cwd=repo, env=clean_env(), capture_output=True,
                          text=True, timeout=600)


# --------------------------------------------------------------------------- atomicity
@build
def test_failed_site_build_leaves_the_previous_site_intact(tmp_path, site):
    repo = copy_checkout(tmp_path / "repo", "Makefile", "_config.yml", "_toc.yml", "book", "citycases", "CONTRIBUTING.md",
                          "data")
    previous = repo / "_build" / "html"
    (previous / "book").mkdir(parents=True)
    (previous / "index.html").write_text("<p>previous site (HAND-MADE TEST FIXTURE)</p>\n", encoding="utf-8")
    (previous / "book" / "methods.html").write_text("<p>previous methods page (HAND-MADE)</p>\n", encoding="utf-8")
    before = snapshot(previous)
    intro = repo / "book" / "methods.md"   # a Markdown page (the front page is an executed notebook)
    original = intro.read_text(encoding="utf-8")

    intro.write_text(original + "\n\nHand-made broken reference: {ref}`hand-made-missing-label`.\n", encoding="utf-8")
    r = make(repo, "site-build")
    assert r.returncode != 0, r.stdout[-2000:]
    warnings = [ln for ln in r.stdout.splitlines() if "WARNING" in ln]
    assert warnings and all("hand-made-missing-label" in w for w in warnings), warnings  # failed for that reason
    assert "_build/html was left as it was" in r.stderr, r.stderr
    assert snapshot(previous) == before, "a failed build changed the published site"
    assert sorted(p.name for p in (repo / "_build").iterdir()) == [".staging", "html"], "leftover folders"

    intro.write_text(original + "\n\nHand-made sentence added by a test.\n", encoding="utf-8")
    r = make(repo, "site-build")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "Hand-made sentence added by a test." in (previous / "book" / "methods.html").read_text(encoding="utf-8")
    assert "HAND-MADE TEST FIXTURE" not in (previous / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (repo / "_build").iterdir()) == ["html"], "leftover folders"


@build
def test_two_concurrent_site_builds_take_turns_and_never_lose_the_site(tmp_path, site):
    """Two `make site-build` started together (two terminals): both succeed, one after the other (a lock), and
    the published site exists at every moment and at the end."""
    import threading
    import time

    repo = copy_checkout(tmp_path / "repo", "Makefile", "_config.yml", "_toc.yml", "book", "citycases", "CONTRIBUTING.md",
                          "data")
    previous = repo / "_build" / "html"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("<p>previous site (HAND-MADE TEST FIXTURE)</p>\n", encoding="utf-8")
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (previous / "index.html").exists():
                missing.append(time.time())
            time.sleep(0.001)

    t = threading.Thread(target=watch)
    t.start()
    try:
        procs = [subprocess.Popen(["make", "--no-print-directory", "site-build"], cwd=repo, env=clean_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=900)[0] for p in procs]
    finally:
        stop.set()
        t.join()
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-1500:] for o in outs)
    assert missing == [], f"the site was missing {len(missing)} time(s) during the builds"
    assert "HAND-MADE TEST FIXTURE" not in (previous / "index.html").read_text(encoding="utf-8")
    assert (previous / "book" / "methods.html").is_file()
    assert sorted(p.name for p in (repo / "_build").iterdir()) == ["html"], "leftover folders"


# --------------------------------------------------------------------------- determinism
@build
def test_a_second_clean_site_build_is_identical(tmp_path, site):
    cmd = [str(JB), "build", ".", "--config", "_config.yml", "--toc", "_toc.yml", "--builder", "html", "-n", "-W",
           "--keep-going", "--path-output", str(tmp_path)]
    r = subprocess.run(cmd, cwd=ROOT, env=clean_env(PYTHONHASHSEED="0", NO_COLOR="1", PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    second = tmp_path / "_build" / "html"
    a, b = snapshot(site), snapshot(second)
    assert sorted(a) == sorted(b), f"files differ: only in _build/html {sorted(set(a) - set(b))[:10]}, only in the " \
                                   f"second build {sorted(set(b) - set(a))[:10]} (run `make site` first?)"
    differ = []
    for name in a:
        x, y = a[name], b[name]
        if x != y and name.endswith(".html"):
            x, y = (TIMESTAMPS.sub(r"\1", v.decode("utf-8")) for v in (x, y))
        if x != y:
            differ.append(name)
    assert not differ, f"two builds of the same sources differ in {differ[:20]}"


@build
def test_re_executing_a_chapter_gives_the_committed_notebook(tmp_path, city_slugs):
    from citycases import run

    slug = min(city_slugs, key=lambda s: (ROOT / "book" / "cities" / f"{s}.ipynb").stat().st_size)
    out = run.execute_city(slug, out_dir=tmp_path)
    assert out.read_bytes() == (ROOT / "book" / "cities" / f"{slug}.ipynb").read_bytes(), \
        f"re-executing {slug} changed book/cities/{slug}.ipynb (run `make book` and commit, or find what varies)"


# --------------------------------------------------------------------------- offline link check
class _Links(HTMLParser):
    """ids of a page, and the local URLs it links to or loads."""

    ATTRS = {"a": ("href",), "link": ("href",), "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
             "iframe": ("src",), "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "object": ("data",),
             "area": ("href",), "form": ("action",)}

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for key in self.ATTRS.get(tag, ()):
            v = a.get(key)
            if v is None:
                continue
            self.urls += [u.strip().split(" ")[0] for u in v.split(",")] if key == "srcset" else [v]


def _parse(path: Path, cache: dict) -> _Links:
    if path not in cache:
        p = _Links()
        p.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = p
    return cache[path]


def broken_links(site: Path) -> list[str]:
    """'page: url (problem)' for every local link or asset of an HTML page that does not resolve."""
    site = site.resolve()
    cache: dict[Path, _Links] = {}
    problems = []
    pages = sorted(p for p in site.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(site).parts))
    for page in pages:
        for url in dict.fromkeys(_parse(page, cache).urls):
            parts = urlsplit(url.strip())
            if parts.scheme or parts.netloc:  # external (http, mailto, data...): not checked offline
                if parts.scheme == "javascript":
                    problems.append(f"{page.relative_to(site)}: {url} (javascript: URL)")
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {url}"
            if not target.is_relative_to(site):
                problems.append(f"{where} (points outside the site)")
            elif not target.is_file():
                problems.append(f"{where} (no file {target.relative_to(site)})")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in _parse(target, cache).ids:
                problems.append(f"{where} (no id '{unquote(parts.fragment)}' in {target.relative_to(site)})")
    return problems


@build
def test_every_internal_link_and_fragment_resolves(site):
    problems = broken_links(site)
    assert not problems, f"{len(problems)} broken internal link(s):\n" + "\n".join(problems[:40])


def test_link_checker_catches_what_it_should(tmp_path):
    """HAND-MADE two-page site: one good link of each kind, then one broken link of each kind."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text('<h2 id="there">B</h2>', encoding="utf-8")
    (tmp_path / "style.css").write_text("", encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<h1 id="top">A</h1><a href="#top">1</a><a href="sub/b.html#there">2</a><a href="sub/b.html">3</a>'
        '<link rel="stylesheet" href="style.css"><a href="https://example.org/x#y">4</a><a href="mailto:a@b.c">5</a>'
        '<a href="#nowhere">6</a><a href="sub/b.html#gone">7</a><a href="missing.html">8</a>'
        '<img src="img/missing.png" alt=""><a href="../outside.html">9</a>', encoding="utf-8")
    found = broken_links(tmp_path)
    assert [f.split(" (")[0] for f in found] == ["index.html: #nowhere", "index.html: sub/b.html#gone",
                                                 "index.html: missing.html", "index.html: img/missing.png",
                                                 "index.html: ../outside.html"], found
