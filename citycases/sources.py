"""The source registry: one YAML file per source in data/sources/, validated and checksum-verified.

Usage as a command:
    python -m citycases.sources verify            # every file of every source against its sha256
    python -m citycases.sources describe PATH...  # print the `files:` block for raw files (bytes, sha256)
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from .errors import DataError
from .paths import SOURCE_REGISTRY, sources_dir

SOURCE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "producer", "title", "citation", "url_main", "url_download",
                 "date_accessed", "licence", "files"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "producer": {"type": "string", "minLength": 2},
        "short_name": {"type": "string", "minLength": 2, "maxLength": 40},
        "title": {"type": "string", "minLength": 2},
        "citation": {"type": "string", "minLength": 10},
        "url_main": {"type": "string", "pattern": "^https?://"},
        "url_download": {"type": "string", "pattern": "^https?://"},
        "date_accessed": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "licence": {"type": "string", "minLength": 2},
        "repository": {"type": "string"},
        "commit": {"type": "string"},
        "repo_path": {"type": "string"},
        "description": {"type": "string"},
        "definition": {"type": "string"},
        "caveats": {"type": "array", "items": {"type": "string"}},
        "files": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "bytes", "sha256"],
                "properties": {
                    "path": {"type": "string", "minLength": 3},
                    "bytes": {"type": "integer", "minimum": 1},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "note": {"type": "string"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Source:
    id: str
    producer: str
    title: str
    citation: str
    url_main: str
    url_download: str
    date_accessed: str
    licence: str
    files: tuple
    registry_file: Path
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def short(self) -> str:
        """The producer as a chart caption names it ('DANE', 'Policía Nacional (DIJIN)'): the registry's
        short_name, else the producer up to its first comma."""
        return self.extra.get("short_name") or self.producer.split(",")[0].strip()

    def file_entry(self, rel_path: str) -> dict:
        for f in self.files:
            if f["path"] == rel_path:
                return f
        raise DataError(self.registry_file, f"raw file '{rel_path}' is not listed under files:",
                        fix=f"add it with `python -m citycases.sources describe {rel_path}`")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_source_file(path: Path) -> Source:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(path, f"not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(raw, dict):
        raise DataError(path, "expected a mapping of source fields")
    # YAML turns unquoted dates into date objects: accept them, store as ISO strings.
    if "date_accessed" in raw and not isinstance(raw["date_accessed"], str):
        raw["date_accessed"] = str(raw["date_accessed"])
    validator = jsonschema.Draft202012Validator(SOURCE_SCHEMA)
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = ".".join(str(p) for p in e.path) or None
        raise DataError(path, e.message, field=where,
                        fix="see the source fields in CONTRIBUTING.md")
    if raw["id"] != path.stem:
        raise DataError(path, f"id '{raw['id']}' does not match the file name '{path.stem}'",
                        field="id", fix=f"rename the file to {raw['id']}.yml or change the id")
    core = {k: raw[k] for k in ("id", "producer", "title", "citation", "url_main", "url_download",
                                 "date_accessed", "licence")}
    extra = {k: v for k, v in raw.items() if k not in core and k != "files"}
    return Source(**core, files=tuple(raw["files"]), registry_file=path, extra=extra)


@lru_cache(maxsize=None)
def _load_registry(folder: str) -> dict:
    sources = {}
    for path in sorted(Path(folder).glob("*.yml")):
        src = load_source_file(path)
        sources[src.id] = src
    return sources


def load_registry(folder: Path | None = None) -> dict[str, Source]:
    """All sources by id."""
    return dict(_load_registry(str(folder or SOURCE_REGISTRY)))


def resolve_source(source_id: str, registry: dict[str, Source], *, file, row=None, field="source_id") -> Source:
    if source_id not in registry:
        raise DataError(file, f"unknown source id '{source_id}'", row=row, field=field,
                        fix="use an id from data/sources/*.yml or add a registry entry")
    return registry[source_id]


def raw_path(source: Source, rel_path: str, *, root: Path | None = None, verify: bool = True) -> Path:
    """Absolute path of one of a source's raw files, checked against its recorded size and sha256."""
    entry = source.file_entry(rel_path)
    path = (root or sources_dir()) / rel_path
    if not path.exists():
        raise DataError(path, f"raw file of source '{source.id}' not found",
                        fix="set CITYCASES_SOURCES to the folder holding the raw files")
    if verify:
        digest = sha256_of(path)
        size, recorded = path.stat().st_size, entry["bytes"]
        reg = source.registry_file.name
        # A copy that ends early is the commonest way a raw file goes wrong: say so, whatever the checksum says
        # (someone may have copied the new sha256 into the registry without the size).
        if size < recorded:
            what = "checksum mismatch and the" if digest != entry["sha256"] else "the"
            raise DataError(path, f"{what} file ends early: {size} bytes, registry {reg} records {recorded} "
                                  f"(truncated download or copy?)",
                            fix=f"fetch the file again as its PROVENANCE.md says ({source.url_download}); do not "
                                f"register a truncated copy")
        if digest != entry["sha256"]:
            raise DataError(path, f"checksum mismatch: sha256 is {digest}, registry {reg} records {entry['sha256']}",
                            fix="the raw file changed: re-check it against its PROVENANCE.md; if it is a new "
                                "release on purpose, rewrite its files: entry (sha256 and bytes) with "
                                f"`python -m citycases.sources describe {rel_path}`")
        if size != recorded:
            raise DataError(path, f"file is {size} bytes, registry {reg} records {recorded}",
                            fix=f"rewrite its files: entry with `python -m citycases.sources describe {rel_path}`")
    return path


def checked_sources_dir(override: str | os.PathLike | None = None) -> Path | None:
    """The raw sources folder, or None where the default one (../shared/sources) is absent. A folder named
    explicitly (--sources, or CITYCASES_SOURCES set) that does not exist is an error, not a silent skip."""
    folder = sources_dir(override)
    if folder.is_dir():
        return folder
    named = override or os.environ.get("CITYCASES_SOURCES")
    if named:
        how = "--sources" if override else "CITYCASES_SOURCES"
        raise DataError(folder, f"{how} names a raw sources folder that does not exist",
                        fix="point it at the folder holding the raw files (one sub-folder per topic, each with "
                            "a PROVENANCE.md), or unset it to use ../shared/sources")
    return None


def describe(paths: list[str], root: Path) -> str:
    out = ["files:"]
    for p in paths:
        full = (root / p) if not Path(p).is_absolute() else Path(p)
        rel = full.resolve().relative_to(root)
        out += [f"  - path: {rel.as_posix()}", f"    bytes: {full.stat().st_size}",
                f"    sha256: {sha256_of(full)}"]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.sources", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", help="raw sources folder (default $CITYCASES_SOURCES or ../shared/sources)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("verify")
    d = sub.add_parser("describe")
    d.add_argument("paths", nargs="+")
    args = ap.parse_args(argv)
    root = sources_dir(args.sources)
    try:
        if args.cmd == "verify":
            reg = load_registry()
            n = 0
            for src in reg.values():
                for f in src.files:
                    raw_path(src, f["path"], root=root)
                    n += 1
            print(f"{n} raw files of {len(reg)} sources match their checksums")
        else:
            print(describe(args.paths, root))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
