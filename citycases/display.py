"""Notebook display setup shared by every chapter (owned by the pipeline: renderer, warnings, pandas options)."""
from __future__ import annotations

import warnings


def setup_notebook() -> None:
    """Call once at the top of every book notebook."""
    # Readers never see library warnings; the tests run the same code with warnings visible.
    warnings.filterwarnings("ignore")
