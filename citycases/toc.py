"""The "Cities" part of _toc.yml is generated from data/cities.yml (one chapter per city, registry order).

    python -m citycases.toc --write   # rewrite the lines between the markers in _toc.yml
    python -m citycases.toc --check   # exit 1 (saying what differs) if _toc.yml and the registry disagree

Everything outside the markers is written by hand.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from .paths import ROOT

TOC = ROOT / "_toc.yml"
BEGIN = "# BEGIN cities (generated from data/cities.yml by `python -m citycases.toc --write`; do not edit)"
END = "# END cities"
CITY_DIR = "book/cities"


def city_files(slugs: list[str]) -> list[str]:
    return [f"{CITY_DIR}/{s}" for s in slugs]


def _registry_slugs() -> list[str]:
    from .cities import load_cities
    return [c["slug"] for c in load_cities()]


def generated_block(slugs: list[str], indent: str) -> list[str]:
    return [f"{indent}- file: {f}" for f in city_files(slugs)]


def render(text: str, slugs: list[str]) -> str:
    lines = text.splitlines()
    try:
        b = next(i for i, ln in enumerate(lines) if ln.strip() == BEGIN)
        e = next(i for i, ln in enumerate(lines) if ln.strip() == END and i > b)
    except StopIteration:
        raise SystemExit(f"error: {TOC.name} has no '{BEGIN}' ... '{END}' markers") from None
    indent = lines[b][: len(lines[b]) - len(lines[b].lstrip())]
    return "\n".join(lines[: b + 1] + generated_block(slugs, indent) + lines[e:]) + "\n"


def toc_city_files(toc: dict) -> list[str]:
    """Files of the 'Cities' part of a parsed _toc.yml, in order."""
    for part in toc.get("parts", []):
        if part.get("caption") == "Cities":
            return [c["file"] for c in part.get("chapters", [])]
    return []


def all_toc_files(toc) -> list[str]:
    found = []
    if isinstance(toc, dict):
        if "file" in toc:
            found.append(toc["file"])
        if "root" in toc:
            found.append(toc["root"])
        for v in toc.values():
            found += all_toc_files(v)
    elif isinstance(toc, list):
        for v in toc:
            found += all_toc_files(v)
    return found


def problems(toc_path: Path = TOC, slugs: list[str] | None = None) -> list[str]:
    """Every disagreement between _toc.yml and the registry, as sentences (empty list: they agree)."""
    slugs = _registry_slugs() if slugs is None else slugs
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    want = city_files(slugs)
    have = toc_city_files(toc)
    out = []
    if not have:
        out.append(f"{toc_path.name} has no part with caption 'Cities'")
    for f in want:
        if f not in have:
            out.append(f"{f} (a city in data/cities.yml) is missing from the Cities part of {toc_path.name}")
    for f in have:
        if f not in want:
            out.append(f"{f} is in {toc_path.name} but its city is not in data/cities.yml")
    if not out and have != want:
        out.append(f"the Cities part of {toc_path.name} is not in registry order: {have} != {want}")
    stray = [f for f in all_toc_files(toc) if f.startswith(CITY_DIR + "/") and f not in have]
    out += [f"{f} is listed outside the Cities part of {toc_path.name}" for f in stray]
    if render(toc_path.read_text(encoding="utf-8"), slugs) != toc_path.read_text(encoding="utf-8"):
        if not out:
            out.append(f"the generated block of {toc_path.name} is not what `--write` produces")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.toc", description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="regenerate the Cities part of _toc.yml")
    g.add_argument("--check", action="store_true", help="fail if _toc.yml and data/cities.yml disagree")
    args = ap.parse_args(argv)
    if args.write:
        text = TOC.read_text(encoding="utf-8")
        new = render(text, _registry_slugs())
        if new != text:
            TOC.write_text(new, encoding="utf-8")
            print(f"updated the Cities part of {TOC.name}")
        return 0
    found = problems()
    for p in found:
        print(f"error: {p} (fix: python -m citycases.toc --write)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
