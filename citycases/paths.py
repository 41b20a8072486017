"""Where things live. The raw sources folder is overridable (CITYCASES_SOURCES)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# CITYCASES_DATA points the whole book at another data folder (same layout): used by tests with fixtures.
DATA = Path(os.environ["CITYCASES_DATA"]).resolve() if os.environ.get("CITYCASES_DATA") else ROOT / "data"
TIDY = DATA / "tidy"
SOURCE_REGISTRY = DATA / "sources"
EVENTS = DATA / "events"
PERIODS = DATA / "periods"
BREAKS = DATA / "breaks.csv"
DIFFERENCES = DATA / "differences.csv"
CITIES_FILE = DATA / "cities.yml"
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"


def sources_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder holding raw files: explicit override, else $CITYCASES_SOURCES, else ../shared/sources."""
    if override:
        return Path(override).resolve()
    env = os.environ.get("CITYCASES_SOURCES")
    if env:
        return Path(env).resolve()
    return (ROOT.parent / "shared" / "sources").resolve()
