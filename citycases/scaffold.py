"""Scaffold a new city: registry entry, events file, derivation-step stub (if needed), table of contents.

    python -m citycases.scaffold --slug bogota --name "Bogotá" --country COL [--country-name Colombia]
                                 [--step colombia_police]

With --step naming an existing step (a source that already covers the city), no stub is written: fill in the
step's parameters in the new registry entry. With a new step name (or none), a stub module is written that fails
with "not yet implemented" until its derivation is written. Fields to fill in say TODO; the registry check refuses
them until they are filled. Nothing is written if anything is wrong (an existing slug, a bad code...).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

from . import schema
from .derive import load_step, step_names
from .files import atomic_write
from .errors import DataError
from .paths import CITIES_FILE, EVENTS, ROOT
from .toc import TOC, render

STUB = '''"""Derivation step `{step}`: raw files of <publisher> -> tidy rows. NOT YET IMPLEMENTED.

Write it following CONTRIBUTING.md ("Writing a derivation step"): register the source in data/sources/,
read each raw file with ctx.raw(source_id, path), check what you expect with citycases.checks, and return
{{"homicides_annual": DataFrame, ...}} for every city that names this step (ctx.cities_for("{step}")).
"""
from __future__ import annotations

from citycases.errors import DataError

SOURCES: list[str] = []
# Keys of a city's `derive: {step}:` block, each with what it holds (any other key is refused), and those required.
PARAMETERS: dict[str, str] = {{}}
REQUIRED_PARAMETERS: list[str] = []


def derive(ctx):
    raise DataError("citycases/derive/{step}.py", "derivation step '{step}' is not yet implemented",
                    fix="write it (CONTRIBUTING.md, 'Writing a derivation step') or name an existing step "
                        "in the city's derive: block and delete this file")
'''


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def derive_block(step: str, step_module=None) -> str:
    """The `derive:` entry for one step: its required parameters to fill in (TODO), its optional ones as
    comments; for a step not written yet, an empty block with a note."""
    todo = "TODO: "
    if step_module is None or not hasattr(step_module, "PARAMETERS"):
        return (f"\n      {step}: {{}}  # {todo}the step's parameters (declare them in PARAMETERS of "
                f"citycases/derive/{step}.py)")
    params = dict(step_module.PARAMETERS)
    required = [k for k in getattr(step_module, "REQUIRED_PARAMETERS", []) if k in params]
    optional = [k for k in params if k not in required]
    def what(k):
        return params[k].removeprefix("optional: ").removeprefix("optional, ")

    if not required:
        listed = "; ".join(f"{k} ({what(k)})" for k in optional)
        return f"\n      {step}: {{}}" + (f"  # optional parameters: {listed}" if optional else "")
    lines = [f"\n      {step}:"] + [f"\n        {k}: {_yaml_str(todo + params[k])}" for k in required]
    lines += [f"\n        # {k}: (optional) {what(k)}" for k in optional]
    return "".join(lines)


def city_entry(slug: str, name: str, country: str, country_name: str, step: str,
               series_ids: list[str] | None = None, step_module=None) -> str:
    todo = "TODO: "
    series_ids = series_ids or ["main"]
    series = "".join(
        f'\n      {sid}:'
        f'\n        label: "{todo}short label of the {sid} series"'
        f'\n        definition: "{todo}what is counted (victims? offences?), by whom, and by which date"'
        for sid in series_ids)
    return f"""
  - slug: {slug}
    name: {_yaml_str(name)}
    country: {country}
    country_name: {_yaml_str(country_name)}
    unit: "{todo}territory type counted (municipality, province, county...)"
    territory: "{todo}the exact territory and its official code"
    primary_series: {series_ids[0]}
    primary_series_reason: "{todo}why this series is the primary one"
    population_note: "{todo}which population series is the denominator, and its gaps"
    series:{series}
    comparable:
      series: {series_ids[0]}
      like_for_like: false
      includes: "{todo}what the series set beside other cities counts (against the UNODC definition)"
      excludes: "{todo}what it leaves out: police killings? attempts? feminicide? part of the territory?"
      note: "{todo}one phrase on how it differs, shown next to the figure (drop it if like_for_like: true)"
    comparability: "{todo}how this city's count differs from the others' (definition, territory)"
    caveats: []
    derive:{derive_block(step, step_module)}
"""


def scaffold(slug: str, name: str, country: str, country_name: str | None = None, step: str | None = None,
             *, cities_file: Path = CITIES_FILE, events_dir: Path = EVENTS, toc_file: Path = TOC,
             steps_dir: Path = ROOT / "citycases" / "derive") -> list[Path]:
    """Create the files for a new city; returns the paths written. Raises DataError and writes nothing on error."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", slug):
        raise DataError("scaffold", f"slug {slug!r} must be lower-case letters, digits and hyphens",
                        field="slug", fix="e.g. SLUG=sao-paulo")
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise DataError("scaffold", f"country {country!r} is not an ISO 3166-1 alpha-3 code", field="country",
                        fix="e.g. COUNTRY=COL")
    if not name.strip():
        raise DataError("scaffold", "the city needs a name", field="name")
    # Read without validation (and without the loader's cache): an entry still being filled in must not block this.
    existing = [c for c in (yaml.safe_load(cities_file.read_text(encoding="utf-8")) or {}).get("cities", [])
                if isinstance(c, dict)]
    if slug in {c.get("slug") for c in existing}:
        raise DataError(cities_file, f"city '{slug}' already exists", field="slug",
                        fix="choose another slug, or edit the existing entry")
    events_file = events_dir / f"{slug}.csv"
    if events_file.exists():
        raise DataError(events_file, "an events file for this slug already exists", fix="remove it or pick another slug")
    if country_name is None:
        same = [c["country_name"] for c in existing if c.get("country") == country and c.get("country_name")]
        country_name = same[0] if same else f"TODO: name of {country}"
    step = step or slug.replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", step):
        raise DataError("scaffold", f"step name {step!r} must be a Python module name", field="step")
    writes: dict[Path, str] = {}
    series_ids, module = None, None
    if step not in step_names():
        stub = steps_dir / f"{step}.py"
        writes[stub] = STUB.format(step=step)
    else:
        # An existing step knows which series it writes and which parameters it takes: pre-fill them so the
        # entry matches its rows and the contributor sees the keys to fill in.
        module = load_step(step)
        series_ids = list(getattr(module, "SERIES_IDS", [])) or None
    text = cities_file.read_text(encoding="utf-8")
    writes[cities_file] = text.rstrip("\n") + "\n" + city_entry(slug, name, country, country_name, step,
                                                                      series_ids, module)
    writes[events_file] = ",".join(schema.EVENT_COLUMNS) + "\n"
    slugs = [c.get("slug") for c in existing] + [slug]
    writes[toc_file] = render(toc_file.read_text(encoding="utf-8"), slugs)
    for path, content in writes.items():
        atomic_write(path, content)
    return list(writes)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.scaffold", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slug", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--country", required=True, help="ISO 3166-1 alpha-3, e.g. COL")
    ap.add_argument("--country-name")
    ap.add_argument("--step", help="an existing derivation step that covers the city, or the name of a new one")
    args = ap.parse_args(argv)
    try:
        written = scaffold(args.slug, args.name, args.country, args.country_name, args.step or None)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for p in written:
        print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
    print("next: fill in every TODO in data/cities.yml, add sourced events, then `make data` and `make book` "
          "(CONTRIBUTING.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
