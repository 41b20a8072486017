"""Stamps (citycases/stamps.py): `make book` skips a step whose inputs did not change since it last succeeded.

Every input file here is a HAND-MADE TEST FILE in a temporary folder; the stamps are written there too.
"""
from __future__ import annotations

import os

import pytest

from citycases import stamps
from conftest import ROOT


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A step 'demo' whose inputs are two hand-made files; stamps and the hash cache in tmp_path."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("hand-made input a\n")
    b.write_text("hand-made input b\n")
    files = [a, b]
    monkeypatch.setattr(stamps, "STAMPS", tmp_path / "stamps")
    monkeypatch.setattr(stamps, "CACHE", tmp_path / "stamps" / "hashes.json")
    monkeypatch.setattr(stamps, "inputs", lambda name: (list(files), ["setting=1"], []))
    monkeypatch.delenv("MAKEFLAGS", raising=False)
    return {"a": a, "b": b, "files": files, "log": tmp_path / "runs.log"}


def run(sb, *extra) -> int:
    # the command appends a line to a log: how many times it ran
    return stamps.main(["run", "demo", "--", "sh", "-c", f"echo ran >> {sb['log']}", *extra])


def runs(sb) -> int:
    return len(sb["log"].read_text().splitlines()) if sb["log"].exists() else 0


def test_runs_once_then_skips_until_an_input_changes(sandbox, capsys):
    assert run(sandbox) == 0 and runs(sandbox) == 1
    assert run(sandbox) == 0 and runs(sandbox) == 1
    assert "demo: no input changed since it last succeeded (skipped)" in capsys.readouterr().out
    os.utime(sandbox["a"], ns=(1, 1))           # touched, same content: still skipped
    assert run(sandbox) == 0 and runs(sandbox) == 1
    sandbox["b"].write_text("hand-made input b, edited\n")
    assert run(sandbox) == 0 and runs(sandbox) == 2
    sandbox["files"].append(sandbox["a"].with_name("new.txt"))   # a new input (missing counts as content)
    assert run(sandbox) == 0 and runs(sandbox) == 3


def test_a_failed_step_is_not_recorded(sandbox):
    rc = stamps.main(["run", "demo", "--", "sh", "-c", f"echo ran >> {sandbox['log']}; exit 3"])
    assert rc == 3 and runs(sandbox) == 1
    assert stamps.main(["run", "demo", "--", "sh", "-c", f"echo ran >> {sandbox['log']}"]) == 0
    assert runs(sandbox) == 2, "a step that failed last time must run again"


def test_check_and_record_remember_the_inputs_check_saw(sandbox):
    """`check` then (the build) then `record`: an input edited during the build makes the next check fail."""
    assert stamps.main(["check", "demo"]) == 1
    sandbox["a"].write_text("edited while the step ran\n")
    assert stamps.main(["record", "demo"]) == 0
    assert stamps.main(["check", "demo"]) == 1
    assert stamps.main(["record", "demo"]) == 0
    assert stamps.main(["check", "demo"]) == 0


def test_make_dry_run_records_nothing(sandbox, monkeypatch):
    monkeypatch.setenv("MAKEFLAGS", "n --no-print-directory")
    assert stamps.main(["check", "demo"]) == 1
    assert stamps.main(["record", "demo"]) == 0
    monkeypatch.delenv("MAKEFLAGS")
    assert stamps.main(["check", "demo"]) == 1


def test_inputs_of_the_real_steps():
    """The data check depends on every file under data/, every derivation step and the modules they import, the
    raw files the registry lists, and the sources folder; the site on book/ and the build configuration."""
    files, settings, _ = stamps.inputs("data-check")
    rel = {os.path.relpath(f, ROOT) for f in files}
    assert {"data/cities.yml", "citycases/derive/colombia_police.py", "citycases/schema.py",
            "citycases/sources.py", "citycases/derive/__init__.py"} <= rel
    assert any(r.startswith("data/tidy/") for r in rel) and any(r.startswith("data/events/") for r in rel)
    assert "citycases/charts.py" not in rel, "a chart change must not re-run the data check"
    assert any(s.startswith("sources=") for s in settings) and any(s.startswith("env=") for s in settings)
    files, _, outputs = stamps.inputs("site")
    rel = {os.path.relpath(f, ROOT) for f in files}
    assert {"_config.yml", "_toc.yml", "CONTRIBUTING.md", "citycases/display.py"} <= rel
    assert any(r.startswith("book/") for r in rel) and outputs == [ROOT / "_build" / "html" / "index.html"]


def test_closure_follows_relative_imports_only_inside_the_package():
    found = {os.path.relpath(f, ROOT) for f in stamps.code_closure(ROOT / "citycases" / "toc.py")}
    assert {"citycases/toc.py", "citycases/cities.py", "citycases/errors.py", "citycases/paths.py"} <= found
    assert all(f.startswith("citycases/") for f in found)
