"""The parameters of a city's `derive:` block, checked against what each step declares, before any step runs.

A step that reads parameters from data/cities.yml declares them:

    PARAMETERS = {"dane_code": 'the 5-digit DIVIPOLA municipality code, quoted ("05001")', ...}
    REQUIRED_PARAMETERS = ["dane_code"]

A key the step does not declare (a misspelling such as `dane_cod`) or a required key left out is one error naming
the city, the key and the keys the step accepts. The scaffold writes the required keys for a new city to fill.
"""
from __future__ import annotations

import difflib

from ..errors import DataError

REGISTRY = "data/cities.yml"


def declared(step_module) -> tuple[dict[str, str], list[str]]:
    """(parameters with their descriptions, required parameter names) of a step module."""
    return dict(getattr(step_module, "PARAMETERS", {}) or {}), list(getattr(step_module, "REQUIRED_PARAMETERS", []))


def check_parameters(city: dict, step: str, step_module, params) -> None:
    if not hasattr(step_module, "PARAMETERS"):  # a step being written (tests require the declaration)
        return
    slug = city.get("slug", "?")
    accepted, required = declared(step_module)
    where = f"derive.{step}"
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DataError(REGISTRY, f"city '{slug}': the parameters of step '{step}' must be a mapping "
                                  f"(key: value), got {params!r}", field=where,
                        fix=f"write e.g. {step}: {{{', '.join(f'{k}: ...' for k in required) or ''}}}")
    for key in params:
        if key not in accepted:
            close = difflib.get_close_matches(str(key), list(accepted), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            takes = (f"step '{step}' accepts {sorted(accepted)}" if accepted
                     else f"step '{step}' declares no parameters")
            raise DataError(REGISTRY, f"city '{slug}': unknown parameter '{key}' of step '{step}'",
                            field=f"{where}.{key}",
                            fix=f"{hint}{takes}; a new one is declared in PARAMETERS of citycases/derive/{step}.py")
    for key in required:
        if params.get(key) in (None, ""):
            raise DataError(REGISTRY, f"city '{slug}': step '{step}' needs the parameter '{key}'",
                            field=f"{where}.{key}", fix=f"add {key}: {accepted.get(key, '...')}")


def check_all(cities: list[dict], available: list[str], load_step) -> None:
    """Every city's `derive:` block against the steps it names (steps that do not exist are reported elsewhere)."""
    for city in cities:
        for step, params in (city.get("derive") or {}).items():
            if step in available:
                check_parameters(city, step, load_step(step), params)
