"""Cost of the book against the number of cities, in scratch copies (the checkout is untouched).

    python bench/scale.py                 # or: make bench-scale   (6, 24 and 96 cities)
    python bench/scale.py --sizes 6 12    # other sizes
    python bench/scale.py --keep          # keep the copies (their paths are printed)

For each size the repository is copied, real Colombian municipalities are appended to the copy's data/cities.yml
(registry entries only: `derive: colombia_police: {dane_code: ...}`, the step Bogotá uses; the DIJIN file and the
DANE projections in the raw sources cover every municipality; the municipalities with most recorded homicides
come first, Medellín and Bogotá excluded), the copy's tables are derived (`python -m citycases.derive`, timed
apart: not part of the build) and its table of contents written, then the book is built clean as `make bench`
does: the runner (every notebook, 2 jobs) and the strict Jupyter Book build. Nothing is committed.

Mexican municipalities are not added: the INEGI step (mexico_inegi) takes its denominator from the CONAPO
municipal file, and the raw sources hold it for Ciudad Juárez (08037) only, so the step refuses any other code;
the INEGI counts themselves cover every municipality.
"""
from __future__ import annotations

import argparse
import copy
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402  (same folder: copy, vendor, environment, Jupyter Book command)

ROOT = build.ROOT
PY = build.PY
TARGET_PER_CITY = 3.0
DIJIN = "medellin/policia_dijin/municipality_year.csv"


FINITERANK = "medellin/finiterank_homicidios/homicidios.1990.a.2013.csv"


def finiterank_consistent(raw: Path) -> set[str]:
    """DANE codes whose finiterank rates all match homicides / population (the colombia_police step refuses a
    municipality with a rate it cannot reproduce, as in several 2011 values taken from Medicina Legal)."""
    ok = set()
    with (raw / FINITERANK).open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            good = True
            for key in r:
                if not key.startswith("hom"):
                    continue
                yy = key[3:]
                try:
                    h, p, t = float(r[key]), float(r[f"pob{yy}"]), float(r[f"tas{yy}"])
                except (ValueError, KeyError, TypeError):
                    continue
                if p > 0 and abs(h / p * 1e5 - t) > 0.05 + 0.01 * abs(t):
                    good = False
                    break
            if good:
                ok.add(r["cod"].strip().zfill(5))
    return ok


def municipalities(raw: Path, skip: set[str]) -> list[tuple[str, str]]:
    """(DANE code, name) of the municipalities in the DIJIN file whose finiterank rows the step accepts, most
    homicides first (ties: by code)."""
    totals: dict[str, int] = {}
    names: dict[str, str] = {}
    with (raw / DIJIN).open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code = r["municipio_code"].strip().zfill(5)
            totals[code] = totals.get(code, 0) + int(float(r["total_homicides"] or 0))
            names[code] = r["municipio"].strip()
    order = sorted(totals, key=lambda c: (-totals[c], c))
    accepted = finiterank_consistent(raw)
    return [(c, names[c]) for c in order if c not in skip and c in accepted]


def _title(name: str) -> str:
    name = name.replace("(CT)", "").strip()
    return " ".join(w.capitalize() if w.isalpha() else w for w in name.lower().split())


def entry(template: dict, code: str, name: str) -> dict:
    """A registry entry for a Colombian municipality, on Bogotá's series (generic prose, marked as a bench entry)."""
    e = copy.deepcopy(template)
    e.update(slug=f"co-{code}", name=_title(name), unit="municipality",
             territory=f"Municipality of {_title(name)}, Colombia (DANE code {code})",
             primary_series_reason="Benchmark entry (make bench-scale): the National Police series, the only one "
                                   "in the sources for every Colombian municipality.",
             population_note="DANE municipal population projections (benchmark entry).",
             comparability="Benchmark entry: Police records of homicide victims in the municipality, counted like "
                           "Bogotá's.",
             caveats=["Benchmark entry added by make bench-scale in a scratch copy; not part of the book."],
             derive={"colombia_police": {"dane_code": code}})
    return e


def add_cities(repo: Path, extra: list[tuple[str, str]]) -> None:
    path = repo / "data" / "cities.yml"
    reg = yaml.safe_load(path.read_text(encoding="utf-8"))
    template = next(c for c in reg["cities"] if c["slug"] == "bogota")
    added = [entry(template, code, name) for code, name in extra]
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    body = yaml.safe_dump(added, allow_unicode=True, sort_keys=False, width=110)
    text += "".join(f"  {line}\n" for line in body.splitlines())
    path.write_text(text, encoding="utf-8")


def site_size(site: Path) -> tuple[int, str, int]:
    total = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    pages = [(p.stat().st_size, str(p.relative_to(site))) for p in site.rglob("*.html")]
    size, name = max(pages)
    return total, name, size


def one_size(tmp: Path, n: int, pool: list[tuple[str, str]], raw: Path) -> dict:
    repo = build.copy_repo(tmp / f"n{n}")
    build.link_tools(repo)
    build.vendor(repo)
    env = build.env_for(repo)
    env["CITYCASES_SOURCES"] = str(raw)
    base = len(yaml.safe_load((repo / "data" / "cities.yml").read_text(encoding="utf-8"))["cities"])
    if n > base:
        if n - base > len(pool):
            sys.exit(f"bench-scale: only {len(pool)} municipalities to add, {n - base} asked")
        add_cities(repo, pool[: n - base])
    t_derive = 0.0
    if n > base:
        t_derive, _ = build.sh([str(PY), "-m", "citycases.derive"], repo, env)
        build.sh([str(PY), "-m", "citycases.toc", "--write"], repo, env)
    for p in [*(repo / "book" / "cities").glob("*.ipynb"), *(repo / "book").glob("*.ipynb")]:
        p.unlink()
    for p in repo.glob(".doit.db*"):
        p.unlink()
    m = build.run_and_build(repo, env)
    total, page, page_size = site_size(repo / "_build" / "html")
    return {"cities": n, "derive": t_derive, **m, "site": total, "page": page, "page_size": page_size}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[6, 24, 96])
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from citycases.paths import sources_dir

    raw = sources_dir()
    if not (raw / DIJIN).is_file():
        sys.exit(f"bench-scale: the raw sources are needed to derive the added cities ({raw / DIJIN} missing; "
                 "set CITYCASES_SOURCES)")
    if not (ROOT / "node_modules" / "vega" / "package.json").is_file():
        sys.exit("bench-scale: run `make node` first (npm ci)")
    pool = municipalities(raw, skip={"05001", "11001"})
    tmp = Path(tempfile.mkdtemp(prefix="citycases-scale-"))
    rows = []
    try:
        for n in sorted(args.sizes):
            rows.append(one_size(tmp, n, pool, raw))
            r = rows[-1]
            print(f"  {n} cities: execute {r['run']:.1f} s, html {r['html']:.1f} s (derive {r['derive']:.1f} s)",
                  flush=True)
            if not args.keep:
                shutil.rmtree(tmp / f"n{n}", ignore_errors=True)
    finally:
        if args.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    first = rows[0]
    print(f"\nClean build against the number of cities ({os.cpu_count()} cores; runner with 2 jobs + strict "
          f"Jupyter Book build; added cities: Colombian municipalities)\n")
    print("| cities | execute s | html s | clean build s | s per extra city | largest page                            | site MB |")
    print("|-------:|----------:|-------:|--------------:|-----------------:|-----------------------------------------|--------:|")
    for r in rows:
        extra = r["cities"] - first["cities"]
        per = f"{(r['total'] - first['total']) / extra:.2f}" if extra else "-"
        per_run = f"{(r['run'] - first['run']) / extra:.2f}" if extra else "-"
        per_html = f"{(r['html'] - first['html']) / extra:.2f}" if extra else "-"
        r["per"] = per
        print(f"| {r['cities']:>6} | {r['run']:>9.1f} | {r['html']:>6.1f} | {r['total']:>13.1f} | "
              f"{per:>16} | {r['page'][:31]:<31} {r['page_size'] / 1024:5.0f} KB | {r['site'] / 2**20:>7.1f} |"
              f"  (per extra city: execute {per_run} s, html {per_html} s)")
    last = rows[-1]
    if len(rows) > 1:
        per = (last["total"] - first["total"]) / (last["cities"] - first["cities"])
        print(f"\nper extra city: {per:.2f} s (target <= {TARGET_PER_CITY:.0f} s: "
              f"{'ok' if per <= TARGET_PER_CITY else 'OVER'}); deriving the added cities' tables (not in the build): "
              + ", ".join(f"{r['cities']}: {r['derive']:.1f} s" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
