"""Benchmark the book build on this machine, in a temporary copy of the repository (the checkout is untouched).

    python bench/build.py            # or: make bench
    python bench/build.py --no-alternative --keep

Measures (papermill + doit runner, then the strict Jupyter Book build):
  * clean full build: no executed notebooks, no doit state, no _build
  * no-op rebuild: nothing changed
  * one-city change: one number in one city's rows of a tidy table
and the whole `make book` command as a user types it (data check, toc, runner, pages check, downloads, site), in a
second copy: clean (no executed notebooks, no doit state, no _build, no stamps), no-op (right after), and
one-city (an event title of one city edited, then `make data`, timed apart, then `make book`);
  * the size of every page and of the shared assets; chart scripts per page; third-party requests
and, in the same run, the alternative a user reaches for first: one notebook per city executed by Jupyter
Book itself with its cache (execute_notebooks: cache). Targets are printed beside the measurements.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
JB = ROOT / ".venv" / "bin" / "jupyter-book"
TARGETS = {"clean": 20.0, "noop": 3.0, "one_city": 6.0, "page_kb": 500, "vs_alternative": 3.0}
SKIP = {".venv", "node_modules", "_build", "artifacts", ".git", ".doit.db", ".pytest_cache", "__pycache__",
        ".ipynb_checkpoints", ".jupyter_cache"}


def sh(cmd: list[str], cwd: Path, env: dict, check: bool = True) -> tuple[float, str]:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if check and r.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return dt, r.stdout + r.stderr


def copy_repo(dest: Path) -> Path:
    def ignore(folder, names):
        return [n for n in names if n in SKIP or n.startswith(".doit.db")]
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def vendor(repo: Path) -> None:
    """What `make static` does (not called through make: npm ci in a copy would act on the shared node_modules)."""
    dest = repo / "book" / "_static" / "vega"
    dest.mkdir(parents=True, exist_ok=True)
    for pkg in ("vega", "vega-lite", "vega-embed"):
        shutil.copy(ROOT / "node_modules" / pkg / "build" / f"{pkg}.min.js", dest / f"{pkg}.min.js")


def env_for(repo: Path) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(repo), PYTHONHASHSEED="0", NO_COLOR="1",
               PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def build_cmd(strict: bool = True) -> list[str]:
    cmd = [str(JB), "build", ".", "--config", "_config.yml", "--toc", "_toc.yml", "--builder", "html", "--keep-going"]
    return cmd + (["-n", "-W"] if strict else [])


def link_tools(repo: Path) -> None:
    """`make` in a copy uses the checkout's .venv and node_modules (mtimes kept by the copy: nothing reinstalls)."""
    for name in (".venv", "node_modules"):
        if not (repo / name).exists():
            (repo / name).symlink_to(ROOT / name)


def make_book(repo: Path, env: dict) -> tuple[float, str]:
    return sh(["make", "--no-print-directory", "book"], repo, env)


def edit_one_event(repo: Path) -> str:
    """Append a hand-made marker to the title of the first event of the first city with events (scratch copy)."""
    for path in sorted((repo / "data" / "events").glob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        if len(rows) > 1:
            rows[1][rows[0].index("title")] += " (bench edit)"
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            path.write_text(buf.getvalue(), encoding="utf-8")
            return f"data/events/{path.name}: one title edited"
    sys.exit("bench: no event to edit")


def whole_command(tmp: Path) -> dict:
    """`make book` as typed, in its own copy: clean, no-op, one-city (after `make data`)."""
    repo = copy_repo(tmp / "cmd")
    link_tools(repo)
    env = {k: v for k, v in env_for(repo).items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    from citycases.paths import sources_dir
    raw = sources_dir()
    if raw.is_dir():
        env["CITYCASES_SOURCES"] = str(raw)
    for p in [*(repo / "book" / "cities").glob("*.ipynb"), repo / "book" / "comparison.ipynb"]:
        p.unlink(missing_ok=True)
    out = {"sources": raw.is_dir()}
    out["clean"], _ = make_book(repo, env)
    out["noop"], log = make_book(repo, env)
    out["noop_executed"] = re.findall(r"^executed (.+?) ->", log, re.M)
    if raw.is_dir():
        out["what"] = edit_one_event(repo)
        out["make_data"], _ = sh(["make", "--no-print-directory", "data"], repo, env)
        out["one_city"], log = make_book(repo, env)
        out["one_city_executed"] = re.findall(r"^executed (.+?) ->", log, re.M)
    return out


def run_and_build(repo: Path, env: dict) -> dict:
    """The runner (in-process engine, one worker) then the strict Jupyter Book build."""
    t_run, out = sh([str(PY), "-m", "citycases.run", "--jobs", "2"], repo, env)
    t_html, _ = sh(build_cmd(), repo, env)
    executed = re.findall(r"^executed (.+?) ->", out, re.M)
    return {"run": t_run, "html": t_html, "total": t_run + t_html, "executed": executed}


def chapter_profile(repo: Path, env: dict, slug: str = "medellin") -> dict:
    """Where one chapter's time goes: a cold Jupyter kernel (what the runner used to do for every notebook), the
    in-process engine started cold (no worker), the imports alone, and a warm worker's child (what the runner
    does now: imports and tables already loaded)."""
    code = "import pandas, altair, scipy.stats, statsmodels.api, papermill, IPython"
    out = {"imports": sh([str(PY), "-c", code], repo, env)[0], "python": sh([str(PY), "-c", "pass"], repo, env)[0]}
    out["kernel"], _ = sh([str(PY), "-m", "citycases.run", "--execute", slug], repo, {**env, "CITYCASES_ENGINE": "kernel"})
    out["inprocess"], _ = sh([str(PY), "-m", "citycases.run", "--execute", slug], repo, env)
    _, log = sh([str(PY), "-m", "citycases.run", "--force", slug], repo, env)
    m = re.search(rf"^executed city '{re.escape(slug)}' -> .* in ([0-9.]+) s", log, re.M)
    out["worker"] = float(m.group(1)) if m else float("nan")
    out["slug"] = slug
    return out


def change_one_city(repo: Path) -> str:
    """Add 1 to the first whole number in the first city's first row of the first derived tidy table with a city
    column (not a copy of a hand-written file: the runner refuses those when they differ from their source)."""
    from citycases import schema

    for table in sorted((repo / "data" / "tidy").glob("*.csv")):
        if table.stem in schema.HAND_TABLES:
            continue
        rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
        if not rows or "city" not in rows[0]:
            continue
        ci = rows[0].index("city")
        first_city = rows[1][ci] if len(rows) > 1 else None
        for r in rows[1:]:
            if r[ci] != first_city:
                continue
            for j, v in enumerate(r):
                if j != ci and re.fullmatch(r"\d+", v or "") and rows[0][j] not in {"year"}:
                    r[j] = str(int(v) + 1)
                    buf = io.StringIO()
                    csv.writer(buf, lineterminator="\n").writerows(rows)
                    table.write_text(buf.getvalue(), encoding="utf-8")
                    return f"{table.name}: {first_city} {rows[0][j]} +1"
    sys.exit("bench: no tidy table with a city column to change")


def sizes(site: Path) -> tuple[list[tuple[str, int, int]], dict]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_build import _Requests, _pages, _third_party  # the same scanner the build test uses

    pages, third = [], 0
    for p in _pages(site):
        text = p.read_text(encoding="utf-8")
        scan = _Requests()
        scan.feed(text)
        third += sum(_third_party(u) for u in scan.urls)
        n_vega = len(re.findall(r'<script[^>]+src="[^"]*_static/vega/vega\.min\.js', text))
        pages.append((str(p.relative_to(site)), p.stat().st_size, n_vega))
    vega = sum(f.stat().st_size for f in (site / "_static" / "vega").glob("*.js"))
    static = sum(f.stat().st_size for f in (site / "_static").rglob("*") if f.is_file())
    return pages, {"vega_scripts": vega, "static_total": static, "third_party_requests": third}


def alternative(repo: Path, env: dict, change) -> dict:
    """Jupyter Book executes one notebook per city itself, with its cache: what a user reaches for first."""
    import nbformat
    sys.path.insert(0, str(repo))
    from citycases.cities import load_cities
    from citycases.run import markdown_escape

    shutil.rmtree(repo / "_build", ignore_errors=True)
    for nb_path in (repo / "book" / "cities").glob("*.ipynb"):
        nb_path.unlink()
    tpl = nbformat.read(repo / "notebooks" / "city.ipynb", as_version=4)
    for city in load_cities(repo / "data" / "cities.yml"):
        nb = nbformat.from_dict(json.loads(json.dumps(tpl)))
        nb.cells[0].source = nb.cells[0].source.replace("{{ name }}", markdown_escape(city["name"]))
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = f'city = "{city["slug"]}"'
        nbformat.write(nb, repo / "book" / "cities" / f"{city['slug']}.ipynb")
    shutil.copy(repo / "notebooks" / "comparison.ipynb", repo / "book" / "comparison.ipynb")
    cfg = (repo / "_config.yml").read_text(encoding="utf-8")
    cfg = cfg.replace('execute_notebooks: "off"', 'execute_notebooks: cache\n  timeout: 600')
    (repo / "_config.yml").write_text(cfg, encoding="utf-8")
    clean, _ = sh(build_cmd(strict=False), repo, env)
    noop, _ = sh(build_cmd(strict=False), repo, env)
    change(repo)
    one, out = sh(build_cmd(strict=False), repo, env)
    reexecuted = len(re.findall(r"Executing notebook", out)) or len(re.findall(r"Executing: ", out))
    return {"clean": clean, "noop": noop, "one_city": one, "one_city_reexecuted": reexecuted}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-alternative", action="store_true", help="skip the execute_notebooks: cache comparison")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies (their paths are printed)")
    ap.add_argument("--no-command", action="store_true", help="skip the whole-command (`make book`) timings")
    args = ap.parse_args(argv)
    if not (ROOT / "node_modules" / "vega" / "package.json").is_file():
        sys.exit("bench: run `make node` first (npm ci)")
    tmp = Path(tempfile.mkdtemp(prefix="citycases-bench-"))
    try:
        repo = copy_repo(tmp / "repo")
        env = env_for(repo)
        vendor(repo)
        for p in [*(repo / "book" / "cities").glob("*.ipynb"), repo / "book" / "comparison.ipynb"]:
            p.unlink(missing_ok=True)
        clean = run_and_build(repo, env)
        noop = run_and_build(repo, env)
        what = change_one_city(repo)
        one = run_and_build(repo, env)
        pages, assets = sizes(repo / "_build" / "html")
        prof = chapter_profile(repo, env)
        cmd = None if args.no_command else whole_command(tmp)
        alt = None
        if not args.no_alternative:
            alt_repo = copy_repo(tmp / "alt")
            vendor(alt_repo)
            alt = alternative(alt_repo, env_for(alt_repo), change_one_city)
    finally:
        if args.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    def row(name, m, target, extra=""):
        ok = "ok" if m["total"] < target else "OVER"
        print(f"| {name:<32} | {m['run']:7.1f} | {m['html']:7.1f} | {m['total']:7.1f} | < {target:>4.0f} s {ok:<4} | {extra}")

    print(f"\nBook build on this machine ({os.cpu_count()} cores), papermill+doit runner (2 jobs) + strict build\n")
    print(f"| {'step':<32} | execute | html    | total   | target        | notes")
    print(f"|{'-' * 34}|---------|---------|---------|---------------|------")
    row("clean full build", clean, TARGETS["clean"], f"{len(clean['executed'])} notebooks executed")
    row("no-op rebuild", noop, TARGETS["noop"], f"{len(noop['executed'])} executed")
    row("one-city data change", one, TARGETS["one_city"], f"{what}; re-executed: {', '.join(one['executed'])}")
    p = prof
    print(f"\nOne chapter ({p['slug']}), executed alone: cold Jupyter kernel {p['kernel']:.1f} s (before: every "
          f"notebook); in-process engine, cold {p['inprocess']:.1f} s, of which Python start-up {p['python']:.1f} s and "
          f"imports {p['imports'] - p['python']:.1f} s (pandas, altair, scipy, statsmodels, papermill, IPython); "
          f"in a warm worker's child {p['worker']:.1f} s (now). Kernel start-up and the imports are paid once per "
          f"runner invocation, not per notebook.")
    if cmd:
        print("\nThe whole command a user types: `make book` (data check, toc, runner, pages check, downloads, site)\n")
        print(f"| {'case':<32} | make book | target        | notes")
        print(f"|{'-' * 34}|-----------|---------------|------")
        print(f"| {'clean (nothing built)':<32} | {cmd['clean']:9.1f} |               | data check "
              f"{'with' if cmd['sources'] else 'without (no raw sources)'} re-derivation, every notebook, site")
        ok = "ok" if cmd["noop"] <= TARGETS["noop"] else "OVER"
        print(f"| {'no-op (right after)':<32} | {cmd['noop']:9.1f} | <= {TARGETS['noop']:>3.0f} s {ok:<4} | "
              f"{len(cmd['noop_executed'])} executed, site not rebuilt")
        if "one_city" in cmd:
            print(f"| {'one-city (events file edited)':<32} | {cmd['one_city']:9.1f} |               | "
                  f"{cmd['what']}; `make data` before it {cmd['make_data']:.1f} s; re-executed: "
                  f"{', '.join(cmd['one_city_executed'])}")
        else:
            print("  (one-city case skipped: `make data` needs the raw sources; set CITYCASES_SOURCES)")
    if alt:
        print("\nAlternative: Jupyter Book executes one notebook per city itself (execute_notebooks: cache)\n")
        print(f"| {'step':<32} | total   | ours    | ratio (alternative / ours)")
        print(f"|{'-' * 34}|---------|---------|------")
        for key, label in (("clean", "clean full build"), ("noop", "no-op rebuild"),
                           ("one_city", "one-city data change")):
            ours = {"clean": clean, "noop": noop, "one_city": one}[key]["total"]
            note = ""
            if key == "clean":
                ok = alt[key] / ours >= TARGETS["vs_alternative"]
                note = f"  (target >= {TARGETS['vs_alternative']:.0f}x: {'ok' if ok else 'OVER'})"
            print(f"| {label:<32} | {alt[key]:7.1f} | {ours:7.1f} | {alt[key] / ours:5.2f}x{note}")
        print(f"  (after the one-city data change the jupyter-cache re-executed {alt['one_city_reexecuted']} "
              f"notebook(s): its cache keys on code cells only, so the page keeps stale numbers)")
    print(f"\nPages (HTML bytes; target < {TARGETS['page_kb']} KB each; vega.min.js script tags per page)\n")
    for name, size, n in pages:
        flag = "ok" if size < TARGETS["page_kb"] * 1024 else "OVER"
        print(f"  {name:<40} {size / 1024:8.1f} KB  {flag:<4}  vega scripts: {n}")
    print(f"\nShared assets: vega + vega-lite + vega-embed {assets['vega_scripts'] / 1024:.0f} KB (one file each, "
          f"cached across pages); all of _static {assets['static_total'] / 1024:.0f} KB")
    print(f"Third-party requests referenced by pages: {assets['third_party_requests']} (target 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
