"""Execute the book's notebooks with papermill: one page per city in data/cities.yml, plus the comparison.

    python -m citycases.run                    # every city + the comparison, only what changed (doit), 2 at a time
    python -m citycases.run medellin stockholm # just these cities (unknown slug: one-line error, exit 2)
    python -m citycases.run --force            # re-execute even if nothing changed
    python -m citycases.run --jobs 1           # one at a time
    python -m citycases.run --execute medellin # execute one notebook now, without doit (used by dodo.py)

notebooks/city.ipynb -> book/cities/<slug>.ipynb (parameter ``city``), notebooks/comparison.ipynb ->
book/comparison.ipynb, notebooks/evaluations.ipynb -> book/evaluations.ipynb (target ``evaluations``).
The dependency graph lives in dodo.py: doit compares content hashes (md5) of the
template and citycases/*.py, and a digest of the city's own rows of every data table (``city_digest``), so a
change to one city's data re-executes that city only (and the comparison, which depends on everything).

Executed notebooks are normalised (no papermill/nbclient timestamps, durations or random ids; the injected
parameters cell and the parameters cell tagged ``remove-cell``) and written atomically, so re-executing
unchanged inputs gives a byte-identical file and a failure leaves the previous notebook in place. A failure
names the city, the cell and the error, keeps the other cities' results and makes the command exit non-zero;
the failed notebook (with its traceback) is saved under artifacts/failed/.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from .paths import BOOK, CITIES_FILE, DATA, NOTEBOOKS, ROOT, SOURCE_REGISTRY

CITY_TEMPLATE = NOTEBOOKS / "city.ipynb"
COMPARISON_TEMPLATE = NOTEBOOKS / "comparison.ipynb"
CITY_OUT = BOOK / "cities"
COMPARISON_OUT = BOOK / "comparison.ipynb"
COMPARISON = "comparison"
EVALUATIONS_TEMPLATE = NOTEBOOKS / "evaluations.ipynb"
EVALUATIONS_OUT = BOOK / "evaluations.ipynb"
EVALUATIONS = "evaluations"
EVALUATIONS_SPEC = DATA / "evaluations.yml"
# Pages executed once (no parameters), by target name: template, executed notebook, label in messages.
HOME_TEMPLATE = NOTEBOOKS / "home.ipynb"
HOME_OUT = BOOK / "intro.ipynb"
HOME = "home"
PAGES = {COMPARISON: (COMPARISON_TEMPLATE, COMPARISON_OUT, "the comparison notebook"),
         EVALUATIONS: (EVALUATIONS_TEMPLATE, EVALUATIONS_OUT, "the evaluations notebook"),
         HOME: (HOME_TEMPLATE, HOME_OUT, "the front page")}
ARTIFACTS = ROOT / "artifacts"
ERRORS_DIR = ARTIFACTS / "run"
FAILED_DIR = ARTIFACTS / "failed"
TITLE_PLACEHOLDER = "{{ name }}"
CELL_TIMEOUT = 600


class RunError(Exception):
    """A one-line, reader-facing failure."""


# --------------------------------------------------------------------------- inputs
def shared_code() -> list[Path]:
    """citycases/*.py: the code every notebook imports (derive/ is not used by notebooks)."""
    return sorted((ROOT / "citycases").glob("*.py"))


def data_files() -> list[Path]:
    """Every data file a notebook may read (the comparison depends on all of them)."""
    files = [CITIES_FILE]
    for folder, pattern in ((DATA / "tidy", "*.csv"), (DATA / "events", "*.csv"), (SOURCE_REGISTRY, "*.yml")):
        files += sorted(folder.glob(pattern))
    return [f for f in files if f.is_file()]


@lru_cache(maxsize=None)
def _registry() -> tuple:
    from .cities import load_cities
    return tuple(load_cities(CITIES_FILE))


def city_slugs() -> list[str]:
    return [c["slug"] for c in _registry()]


def _table_rows(path: Path, city: dict) -> tuple[list[str], list[list[str]], bool]:
    """(header, rows that belong to the city, whether the table could be narrowed to the city)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if "city" in header:
            i, want = header.index("city"), city["slug"]
        elif "country" in header:
            i, want = header.index("country"), city["country"]
        else:
            return header, list(reader), False
        return header, [r for r in reader if len(r) > i and r[i] == want], True


def city_digest(slug: str) -> str:
    """sha256 of everything city <slug>'s page is computed from, other than code and template:
    its registry entry (and the registry's order and names, which fix colours and links), its rows of each tidy
    table and event file (rows of its country for country-level tables; whole tables that have neither column),
    and the source-registry entries those rows cite."""
    cities = _registry()
    by_slug = {c["slug"]: c for c in cities}
    city = by_slug[slug]
    h = hashlib.sha256()

    def feed(label: str, payload: str) -> None:
        h.update(f"\0{label}\0{len(payload)}\0".encode())
        h.update(payload.encode("utf-8"))

    feed("entry", json.dumps(city, sort_keys=True, ensure_ascii=False, default=str))
    feed("order", json.dumps([[c["slug"], c["name"]] for c in cities], ensure_ascii=False))
    cited: set[str] = set()
    # data/events/<slug>.csv holds one city's events and has no city column: only the city's own file counts.
    event_file = DATA / "events" / f"{slug}.csv"
    for path in sorted((DATA / "tidy").glob("*.csv")) + ([event_file] if event_file.is_file() else []):
        header, rows, _ = _table_rows(path, city)
        feed(f"{path.parent.name}/{path.name}", json.dumps([header, rows], ensure_ascii=False))
        for j, col in enumerate(header):
            if col.endswith("source_id"):
                cited.update(r[j] for r in rows if len(r) > j and r[j])
    for path in sorted(SOURCE_REGISTRY.glob("*.yml")):
        if path.stem in cited or not cited:
            feed(f"sources/{path.name}", path.read_text(encoding="utf-8"))
    return h.hexdigest()


# --------------------------------------------------------------------------- stale tables
# Hand-written files and the tidy table `make data` copies them into (after validating them).
HAND_FILES = (("events", True), ("periods", True), ("breaks", False), ("differences", False))


def _normal_rows(path: Path, table: str, city: str | None) -> list[tuple]:
    """Rows of a CSV as comparable tuples in the tidy table's column order (values as validation writes them)."""
    from . import schema

    fields = {f["name"]: f["type"] for f in schema.TABLES[table]["fields"]}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)

    def norm(name: str, value) -> str:
        v = (value or "").strip()
        if v and fields.get(name) in ("integer", "number"):
            try:
                return repr(float(v))
            except ValueError:
                return v
        return v

    names = [n for n in fields if n != "city" or city is None]
    out = [tuple(norm(n, r.get(n)) for n in names) for r in rows]
    return sorted(((city,) + t if city is not None else t) for t in out)


def stale_tables() -> list[str]:
    """Why data/tidy is older than what `make data` derives it from, one sentence each (cheap: csv only).

    A hand-written file (data/events/<slug>.csv, data/periods/<slug>.csv, data/breaks.csv,
    data/differences.csv) whose rows are not the rows of its tidy table, or a city of data/cities.yml with no
    rows of its primary series in data/tidy/homicides_annual.csv, means the notebooks would read stale tables."""
    tidy = DATA / "tidy"
    fix = "run `make data` (it validates the hand-written files and re-derives data/tidy), then run this again"
    problems = []
    for table, per_city in HAND_FILES:
        target = tidy / f"{table}.csv"
        sources = sorted((DATA / table).glob("*.csv")) if per_city else [DATA / f"{table}.csv"]
        sources = [f for f in sources if f.is_file()]
        if not sources:
            continue
        if not target.is_file():
            problems.append(f"data/tidy/{table}.csv is missing (fix: {fix})")
            continue
        tidy_rows = _normal_rows(target, table, None)
        for f in sources:
            mine = _normal_rows(f, table, f.stem if per_city else None)
            theirs = [r for r in tidy_rows if r[0] == f.stem] if per_city else tidy_rows
            if mine != theirs:
                rel = f.relative_to(DATA.parent) if f.is_relative_to(DATA.parent) else f
                problems.append(f"{rel} changed since data/tidy/{table}.csv was derived: the tidy tables are stale "
                                f"(fix: {fix})")
    annual = tidy / "homicides_annual.csv"
    if annual.is_file():
        with annual.open(newline="", encoding="utf-8") as fh:
            have = {(r.get("city"), r.get("series")) for r in csv.DictReader(fh)}
        for c in _registry():
            if (c["slug"], c["primary_series"]) not in have:
                problems.append(f"data/tidy/homicides_annual.csv has no rows of city '{c['slug']}' (series "
                                f"'{c['primary_series']}'): the tidy tables are older than data/cities.yml "
                                f"(fix: {fix})")
    return problems


def registry_newer_than_tables() -> str | None:
    """A note when data/cities.yml was edited after data/tidy was last written (a changed derive: block or series
    only reaches the tables through `make data`)."""
    tables = [p.stat().st_mtime_ns for p in (DATA / "tidy").glob("*.csv")]
    if tables and CITIES_FILE.is_file() and CITIES_FILE.stat().st_mtime_ns > min(tables):
        return ("note: data/cities.yml is newer than data/tidy/: if you changed a derive: block or a series, "
                "run `make data` first")
    return None


# --------------------------------------------------------------------------- notebooks
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~$&:^%=+\"@])")


def markdown_escape(text: str) -> str:
    """Plain text safe to put in a Markdown heading: no markup, roles, math, HTML or line breaks."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _set_title(nb, name: str, template: Path) -> None:
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or \
            not first.source.splitlines()[0:1] == [f"# {TITLE_PLACEHOLDER}"]:
        raise RunError(f"{template.relative_to(ROOT) if template.is_relative_to(ROOT) else template}: the first cell "
                       f"must be markdown whose first line is '# {TITLE_PLACEHOLDER}' (the page title)")
    first.source = first.source.replace(TITLE_PLACEHOLDER, markdown_escape(name))


def _tag(cell, tag: str) -> None:
    tags = list(cell.metadata.get("tags", []))
    if tag not in tags:
        tags.append(tag)
    cell.metadata["tags"] = tags


def normalise(nb):
    """Drop everything that changes from run to run but not with the inputs; hide the parameter cells."""
    nb.metadata.pop("papermill", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):
        for key in ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
            _tag(cell, "remove-cell")
        elif "parameters" in tags:
            _tag(cell, "remove-cell")
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{i}"
        seen.add(cell["id"])
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    return nb


def _write_atomic(nb, path: Path) -> None:
    import nbformat

    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    nbformat.validate(nbformat.reads(text, as_version=4))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _kernel_env() -> dict[str, str]:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    return env


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty)"


def execute(label: str, template: Path, out_path: Path, parameters: dict | None = None,
            title: str | None = None, key: str | None = None) -> Path:
    """Execute template into out_path (atomically, normalised). Raises RunError naming label, cell and error."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if not template.is_file():
        raise RunError(f"{label}: template {template} does not exist")
    nb = nbformat.read(template, as_version=4)
    if title is not None:
        _set_title(nb, title, template)
    os.environ.update(_kernel_env())  # the kernel inherits this process's environment
    start = time.perf_counter()
    FAILED_DIR.mkdir(parents=True, exist_ok=True)
    failed_copy = FAILED_DIR / f"{key or out_path.stem}.ipynb"
    failed_copy.unlink(missing_ok=True)
    try:
        # papermill writes the notebook here (with the traceback) when a cell fails; removed on success.
        executed = pm.execute_notebook(nb, str(failed_copy), parameters=parameters or None, kernel_name="python3",
                                       progress_bar=False, request_save_on_cell_execute=False,
                                       cwd=str(out_path.parent if out_path.parent.exists() else ROOT),
                                       execution_timeout=CELL_TIMEOUT)
    except PapermillExecutionError as exc:
        # Cell numbers as the author sees them in the template (papermill inserts a parameters cell).
        idx = exc.cell_index
        if parameters:  # injected after the parameters cell (or first, without one)
            tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
            injected_at = tagged[0] + 1 if tagged else 0
            idx = idx - 1 if idx > injected_at else (-1 if idx == injected_at else idx)
        src = nb.cells[idx].source if 0 <= idx < len(nb.cells) else exc.source
        cell_id = nb.cells[idx].get("id", "?") if 0 <= idx < len(nb.cells) else "?"
        evalue = " ".join(str(exc.evalue).split())[:300]
        where = (f"cell {idx + 1} of {template.name} (id {cell_id}, In [{exc.exec_count}]: {_first_line(src)!r})"
                 if idx >= 0 else "the injected parameters cell")
        raise RunError(f"{label}: {where} raised {exc.ename}: {evalue}  "
                       f"[traceback: {failed_copy.relative_to(ROOT)}]") from None
    except Exception as exc:  # kernel died, timeout, bad parameters...
        raise RunError(f"{label}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None
    failed_copy.unlink(missing_ok=True)
    _write_atomic(normalise(executed), out_path)
    print(f"executed {label} -> {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path} "
          f"in {time.perf_counter() - start:.1f} s", flush=True)
    return out_path


def execute_city(slug: str, template: Path = CITY_TEMPLATE, out_dir: Path = CITY_OUT) -> Path:
    cities = {c["slug"]: c for c in _registry()}
    if slug not in cities:
        raise RunError(f"unknown city slug '{slug}' (known: {', '.join(cities)})")
    return execute(f"city '{slug}'", template, out_dir / f"{slug}.ipynb", {"city": slug},
                   title=cities[slug]["name"], key=slug)


def execute_comparison(template: Path = COMPARISON_TEMPLATE, out_path: Path = COMPARISON_OUT) -> Path:
    return execute("the comparison notebook", template, out_path, key=COMPARISON)


def execute_page(target: str) -> Path:
    template, out_path, label = PAGES[target]
    return execute(label, template, out_path, key=target)


def execute_target(target: str) -> int:
    """Run one notebook now (no dependency check); write the one-line error where the runner finds it.

    The kernel's own log (ipykernel start-up warnings...) goes to artifacts/run/<target>.kernel.log, not the
    terminal: the kernel inherits file descriptor 2, which is pointed at that file while the notebook runs."""
    ERRORS_DIR.mkdir(parents=True, exist_ok=True)
    err_file = ERRORS_DIR / f"{target}.error"
    err_file.unlink(missing_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(ERRORS_DIR / f"{target}.kernel.log", "wb") as log:
            os.dup2(log.fileno(), 2)
            try:
                if target == COMPARISON:
                    execute_comparison()
                elif target in PAGES:
                    execute_page(target)
                else:
                    execute_city(target)
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    except RunError as exc:
        err_file.write_text(str(exc) + "\n", encoding="utf-8")
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        os.close(saved)
    return 0


def prune_stale() -> list[Path]:
    """Executed city notebooks whose slug left the registry would otherwise stay in the book."""
    known = set(city_slugs())
    stale = [p for p in sorted(CITY_OUT.glob("*.ipynb")) if p.stem not in known]
    for p in stale:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)} (city no longer in {CITIES_FILE.name})")
    return stale


# --------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("slugs", nargs="*", help="cities to execute (default: every city and the comparison)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="notebooks executed in parallel (default 2)")
    ap.add_argument("--force", action="store_true", help="execute even if the inputs did not change")
    ap.add_argument("--no-comparison", action="store_true", help="skip the comparison and evaluations notebooks")
    ap.add_argument("--execute", metavar="TARGET", help="execute one city (slug), 'comparison' or 'evaluations' now, no doit")
    args = ap.parse_args(argv)

    try:
        known = city_slugs()
    except Exception as exc:  # DataError from a broken registry: already a readable sentence
        print(f"error: {exc}", file=sys.stderr)
        return 2
    requested = ([args.execute] if args.execute else []) + args.slugs
    unknown = [s for s in requested if s not in known and s not in PAGES]
    if unknown:
        print(f"error: unknown city slug '{unknown[0]}' (known: {', '.join(known)})", file=sys.stderr)
        return 2
    if args.execute:
        return execute_target(args.execute)
    stale = stale_tables()
    if stale:
        for problem in stale:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    note = registry_newer_than_tables()
    if note:
        print(note, file=sys.stderr)

    from doit.doit_cmd import DoitMain
    from doit.cmd_base import ModuleTaskLoader
    import importlib.util

    spec = importlib.util.spec_from_file_location("dodo", ROOT / "dodo.py")
    dodo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dodo)

    if args.slugs:
        tasks = [s if s in PAGES else f"city:{s}" for s in args.slugs]
    else:
        prune_stale()
        tasks = [f"city:{s}" for s in known] + ([] if args.no_comparison else [COMPARISON, EVALUATIONS, HOME])
    ERRORS_DIR.mkdir(parents=True, exist_ok=True)
    for t in tasks:
        (ERRORS_DIR / f"{t.split(':')[-1]}.error").unlink(missing_ok=True)
    loader = ModuleTaskLoader(dodo)
    doit_args = ["run", "--continue", "-n", str(max(1, args.jobs)), "-P", "thread"]
    if args.force:
        doit_args.append("--always-execute")
    start = time.perf_counter()
    rc = DoitMain(loader).run(doit_args + tasks)
    errors = [f.read_text(encoding="utf-8").strip() for t in tasks
              if (f := ERRORS_DIR / f"{t.split(':')[-1]}.error").is_file()]
    if errors or rc:
        print(f"\n{len(errors)} notebook(s) failed; the others were kept:", file=sys.stderr)
        for e in errors:
            print(f"  error: {e}", file=sys.stderr)
        return rc or 1
    print(f"notebooks up to date ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
