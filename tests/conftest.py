"""Shared test fixtures (small on purpose). Markers: `build` needs the built book, `browser` needs Chromium."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Kernels started by tests (papermill, nbval subprocesses) import citycases from the checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def pytest_configure(config):
    config.addinivalue_line("markers", "build: needs the executed notebooks and the built site (make book)")
    config.addinivalue_line("markers", "browser: opens the built site in Chromium (make test-browser)")


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site; a clear failure (not a skip) when it is missing."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE.relative_to(ROOT)}: run `make book` first")
    return SITE


@pytest.fixture(scope="session")
def city_slugs() -> list[str]:
    from citycases.cities import load_cities
    return [c["slug"] for c in load_cities()]


def copy_checkout(dest: Path, *parts: str, link: tuple[str, ...] = (".venv", "node_modules")) -> Path:
    """A scratch copy of some files/folders of the checkout (modification times kept, so make sees nothing
    stale), with .venv and node_modules symlinked: tests that break things do it there, never in the checkout."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for part in parts:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        elif src.exists():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    for name in link:
        if (ROOT / name).exists():
            (dest / name).symlink_to(ROOT / name)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess make/python in a scratch copy: no make state of the outer `make test`."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def raw_sources() -> Path:
    """The raw sources folder; a test needing it is skipped, with the reason shown, where it is absent."""
    from citycases.paths import sources_dir
    folder = sources_dir()
    if not folder.is_dir():
        pytest.skip(f"raw sources folder {folder} is absent (set CITYCASES_SOURCES to run the derivation checks)")
    return folder


@pytest.fixture(scope="session")
def derived(raw_sources):
    """derived(*steps): the tables those derivation steps produce (nothing written), computed once per run."""
    from citycases.derive import derive_all
    cache: dict = {}

    def run(*steps):
        if steps not in cache:
            cache[steps] = derive_all(steps=list(steps), write=False)
        return cache[steps]
    return run
