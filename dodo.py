"""doit dependency graph of the executed notebooks (run through `python -m citycases.run` / `make notebooks`).

city:<slug>  notebooks/city.ipynb -> book/cities/<slug>.ipynb
             re-executed when the template or citycases/*.py change (doit: md5 of file_dep), when the city's
             own data change (uptodate: config_changed on citycases.run.city_digest(slug)), or when the
             executed notebook is missing.
comparison   notebooks/comparison.ipynb -> book/comparison.ipynb; depends on every data file.
evaluations  notebooks/evaluations.ipynb -> book/evaluations.ipynb; every data file and data/evaluations.yml.
"""
from __future__ import annotations

import sys
from pathlib import Path

from doit.action import CmdAction
from doit.tools import config_changed

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from citycases import run  # noqa: E402

DOIT_CONFIG = {
    "dep_file": str(ROOT / ".doit.db"),
    "backend": "json",
    "check_file_uptodate": "md5",
    "default_tasks": ["city", "comparison", "evaluations", "home"],
    "verbosity": 2,
}


def _rel(paths):
    return [str(p) for p in paths]


# Read by every page (the book's title in each chapter's suggested citation), besides code and data.
CONFIG = ROOT / "_config.yml"


def _execute(target: str) -> list:
    return [CmdAction([sys.executable, "-m", "citycases.run", "--execute", target], cwd=str(ROOT), shell=False)]


def task_city():
    """Execute the city template once per city in data/cities.yml."""
    code = _rel([run.CITY_TEMPLATE, *run.shared_code(), CONFIG])
    for slug in run.city_slugs():
        yield {
            "name": slug,
            "actions": _execute(slug),
            "file_dep": code,
            "uptodate": [config_changed({"data": run.city_digest(slug)})],
            "targets": [str(run.CITY_OUT / f"{slug}.ipynb")],
            "verbosity": 2,
            "doc": f"execute notebooks/city.ipynb for {slug}",
        }


def _page(target: str, inputs: list) -> dict:
    """A page executed once (no parameters): runner target `target`, re-executed when an input changes."""
    template, out, _label = run.PAGES[target]
    inputs = _rel([template, *run.shared_code(), CONFIG, *inputs])
    return {
        "actions": _execute(target),
        "file_dep": inputs,
        # a data file added or removed changes the list itself
        "uptodate": [config_changed({"inputs": sorted(inputs)})],
        "targets": [str(out)],
        "verbosity": 2,
    }


def task_comparison():
    """Execute the comparison notebook (depends on every city's data)."""
    return _page(run.COMPARISON, run.data_files())


def task_evaluations():
    """Execute the evaluations notebook: it reads the small-area panel, the Colombian capitals' counts, the events
    (intervention dates), the registries and the published estimates in data/evaluations.yml, not the city tables
    (so a change to one city's annual figures does not re-execute it)."""
    tidy = run.DATA / "tidy"
    return _page(run.EVALUATIONS, [run.CITIES_FILE, tidy / "homicides_area_panel.csv",
                                   tidy / "homicides_colombia_capitals.csv", tidy / "events.csv",
                                   *sorted(run.SOURCE_REGISTRY.glob("*.yml")), run.EVALUATIONS_SPEC])


def task_home():
    """Execute the front page (small multiples and key findings of every city: depends on every data file)."""
    return _page(run.HOME, run.data_files())
