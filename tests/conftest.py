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
