"""Input stamps: `make book` skips a step whose inputs have not changed since it last succeeded.

    python -m citycases.stamps run NAME -- COMMAND...   # run COMMAND unless NAME's inputs are unchanged since it
                                                        # last succeeded; remember them when it succeeds
    python -m citycases.stamps check NAME               # exit 0 if unchanged (prints why it skips), 1 if not
    python -m citycases.stamps record NAME              # after the step succeeded: remember what `check` saw
    python -m citycases.stamps show NAME                # list NAME's input files

A stamp is the sha256 of every input file's path and content (and of the list of files, so an added or removed
file counts), plus a few settings (the raw sources folder). File contents are hashed once and cached by size,
mtime and inode, so checking costs a stat per file; a file touched without being changed does not count. The
inputs of each step (INPUTS below) include the Python modules the step imports, found by reading their import
statements. Stamps live in _build/.stamps/ (`make clean` removes them; deleting one forces the step).
Standard library only (and PyYAML for the raw-file lists): this runs on every `make book`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from .paths import DATA, ROOT, sources_dir

STAMPS = ROOT / "_build" / ".stamps"
CACHE = STAMPS / "hashes.json"
PKG = ROOT / "citycases"


# --------------------------------------------------------------------------- inputs
def _files(folder: Path, pattern: str = "**/*") -> list[Path]:
    """Files under folder, without hidden files or folders and temporary files."""
    if not folder.is_dir():
        return []
    out = []
    for p in folder.glob(pattern):
        rel = p.relative_to(folder).parts
        if p.is_file() and not any(part.startswith(".") for part in rel) and p.suffix != ".tmp" \
                and "__pycache__" not in rel:
            out.append(p)
    return sorted(out)


def _module_file(dotted: str) -> Path | None:
    parts = dotted.split(".")
    if parts[0] != "citycases":
        return None
    base = ROOT.joinpath(*parts)
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n]+)", re.M)


def code_closure(*entries: Path) -> list[Path]:
    """The given citycases modules and every citycases module they import, transitively (import statements
    anywhere in the file, relative or absolute; the packages' __init__.py files too). Read with regular
    expressions, not by importing or parsing: this runs on every `make book`."""
    seen: set[Path] = set()
    todo = [Path(e) for e in entries]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        package = list(path.relative_to(ROOT).parts[:-1])  # the package holding the module (or __init__.py)
        for i in range(1, len(package) + 1):  # parent packages run their __init__ first
            todo.append(ROOT.joinpath(*package[:i], "__init__.py"))
        text = path.read_text(encoding="utf-8")
        names: list[str] = []
        for dots, module, imported in _FROM.findall(text):
            if dots:
                base = package[:len(package) - len(dots) + 1]
                mod = ".".join(base + ([module] if module else []))
            else:
                mod = module
            items = [w.split(" as ")[0].strip() for w in imported.strip("()").replace("\n", " ").split(",")]
            names += [mod] + [f"{mod}.{w}" for w in items if w.isidentifier()]
        for imported in _IMPORT.findall(text):
            names += [w.split(" as ")[0].strip() for w in imported.split("#")[0].split(",")]
        for name in names:
            f = _module_file(name)
            if f is not None:
                todo.append(f)
    return sorted(seen)


def _raw_files() -> tuple[list[Path], list[str]]:
    """The raw files the source registry lists (under the sources folder), and settings that decide them."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = sources_dir()
    settings = [f"sources={root}", f"exists={root.is_dir()}", f"env={os.environ.get('CITYCASES_SOURCES', '')}"]
    if not root.is_dir():
        return [], settings
    files = []
    for reg in sorted((DATA / "sources").glob("*.yml")):
        try:
            entry = yaml.load(reg.read_text(encoding="utf-8"), Loader=loader) or {}
        except yaml.YAMLError:
            continue  # the data check itself reports it
        for f in entry.get("files", []) if isinstance(entry, dict) else []:
            if isinstance(f, dict) and isinstance(f.get("path"), str):
                files.append(root / f["path"])
    return sorted(set(files)), settings


@lru_cache(maxsize=None)
def inputs(name: str) -> tuple[list[Path], list[str], list[Path]]:
    """(input files, settings, outputs that must exist) of a step."""
    if name == "data-check":
        code = code_closure(*sorted((PKG / "derive").glob("*.py")))
        raw, settings = _raw_files()
        return _files(DATA) + code + raw + [ROOT / "constraints.txt"], settings, []
    if name in ("toc", "toc-check"):
        return [ROOT / "_toc.yml", DATA / "cities.yml", *code_closure(PKG / "toc.py")], [], []
    if name == "pages-check":
        return [DATA / "cities.yml", *_files(DATA / "sources", "*.yml"), ROOT / "book" / "data.md",
                ROOT / "book" / "sources.md", *code_closure(PKG / "pages.py")], [], []
    if name == "site":
        return ([*_files(ROOT / "book"), ROOT / "_config.yml", ROOT / "_toc.yml", ROOT / "CONTRIBUTING.md",
                 ROOT / "Makefile", ROOT / "requirements.txt", ROOT / "constraints.txt",
                 *code_closure(PKG / "display.py")], [],
                [ROOT / "_build" / "html" / "index.html"])
    raise SystemExit(f"error: unknown stamp '{name}' (known: data-check, toc, toc-check, pages-check, site)")


# --------------------------------------------------------------------------- digests
def _load_cache() -> dict:
    try:
        return json.loads(CACHE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _file_sha(path: Path, cache: dict) -> str:
    try:
        st = path.stat()
    except OSError:
        return "missing"
    key = str(path)
    sig = [st.st_size, st.st_mtime_ns, st.st_ino]
    hit = cache.get(key)
    if hit and hit[:3] == sig:
        return hit[3]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    cache[key] = sig + [h.hexdigest()]
    return h.hexdigest()


def digest(name: str) -> str:
    """sha256 of the step's inputs."""
    files, settings, _ = inputs(name)
    cache = _load_cache()
    h = hashlib.sha256()
    for s in settings:
        h.update(f"setting\0{s}\0".encode())
    for f in sorted(set(files)):
        label = os.path.relpath(f, ROOT)
        h.update(f"file\0{label}\0{_file_sha(f, cache)}\0".encode())
    _write(CACHE, json.dumps(cache, sort_keys=True))
    return h.hexdigest()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _stamp(name: str) -> Path:
    return STAMPS / name


def fresh(name: str, now: str) -> bool:
    """The step last succeeded with these very inputs, and its outputs are still there."""
    if any(not o.exists() for o in inputs(name)[2]):
        return False
    try:
        return _stamp(name).read_text(encoding="utf-8").strip() == now
    except OSError:
        return False


def _dry_run() -> bool:
    """`make -n`: make runs recipe lines that call $(MAKE) even then; never record a stamp in a dry run."""
    flags = os.environ.get("MAKEFLAGS", "")
    first = flags.split()[0] if flags.split() else ""
    return bool(first) and not first.startswith("-") and "=" not in first and "n" in first


# --------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m citycases.stamps {run NAME -- COMMAND...|check NAME|record NAME|show NAME}"
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    cmd, name, rest = argv[0], argv[1], argv[2:]
    if cmd == "show":
        files, settings, outputs = inputs(name)
        for f in sorted(set(files)):
            print(os.path.relpath(f, ROOT))
        for s in settings:
            print(f"setting: {s}")
        return 0
    if cmd == "check":
        now = digest(name)
        if fresh(name, now):
            print(f"{name}: no input changed since it last succeeded (skipped)")
            return 0
        _write(_stamp(name + ".pending"), now)
        return 1
    if cmd == "record":
        pending = _stamp(name + ".pending")
        if _dry_run() or not pending.is_file():
            return 0
        os.replace(pending, _stamp(name))
        return 0
    if cmd == "run":
        if rest[:1] == ["--"]:
            rest = rest[1:]
        if not rest:
            print(usage, file=sys.stderr)
            return 2
        now = digest(name)
        if fresh(name, now):
            print(f"{name}: no input changed since it last succeeded (skipped)")
            return 0
        _stamp(name).unlink(missing_ok=True)
        try:
            rc = subprocess.call(rest)
        except KeyboardInterrupt:
            return 130
        if rc == 0 and not _dry_run():
            _write(_stamp(name), now)
        return rc
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
