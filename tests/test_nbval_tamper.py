"""nbval really checks stored outputs: a copy of an executed city notebook passes `pytest --nbval` as committed,
and fails, at exactly the tampered cells, once one stored number in a printed/plain-text output and one number
in a table (text/html) are changed. Chart outputs are compared too (their id sanitizer is the only one)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.build
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


def _nbval(path, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
                           "--nbval-sanitize-with", str(SANITIZE), "-q", "-rf", "--no-header", str(path)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _bump_first_number(text: str, pattern: str) -> str | None:
    m = re.search(pattern, text)
    if not m:
        return None
    digits = m.group("n")
    new = str(int(digits) + 1) if digits != "9" * len(digits) else "1" + digits
    return text[: m.start("n")] + new + text[m.end("n"):]


def _tamper(nb: dict) -> list[int]:
    """Change one number in a plain-text/stream output and one in an HTML table; return those cells' numbers
    as nbval names them (0-based index among code cells)."""
    done: dict[str, int] = {}
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for idx, cell in enumerate(code_cells):
        if "remove-cell" in cell["metadata"].get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if "plain" not in done:
                if out.get("output_type") == "stream" and out.get("name") == "stdout":
                    new = _bump_first_number(_text(out["text"]), r"(?<![\w.])(?P<n>\d+)")
                    if new:
                        out["text"], done["plain"] = new, idx
                        break
                data = out.get("data", {})
                if "text/plain" in data and "text/html" not in data:
                    new = _bump_first_number(_text(data["text/plain"]), r"(?<![\w.])(?P<n>\d+)")
                    if new:
                        data["text/plain"], done["plain"] = new, idx
                        break
            if "table" not in done and "<table" in _text(out.get("data", {}).get("text/html", "")):
                data = out["data"]
                new = _bump_first_number(_text(data["text/html"]), r"<td>\s*(?P<n>\d+)")
                if new:
                    data["text/html"], done["table"] = new, idx
                    break
    return sorted(set(done.values()))


def test_nbval_fails_when_a_stored_output_is_tampered_with(tmp_path, city_slugs):
    source = ROOT / "book" / "cities" / f"{city_slugs[0]}.ipynb"
    assert source.is_file(), "run `make notebooks` first"
    clean = tmp_path / "clean" / source.name
    clean.parent.mkdir()
    shutil.copy(source, clean)
    r = _nbval(clean, tmp_path)
    assert r.returncode == 0, f"the committed notebook does not pass nbval:\n{r.stdout[-3000:]}{r.stderr[-2000:]}"

    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = _tamper(nb)
    assert cells, f"{source.name} has no numeric output to tamper with"
    bad = tmp_path / "tampered" / source.name
    bad.parent.mkdir()
    bad.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    r = _nbval(bad, tmp_path)
    assert r.returncode == 1, f"nbval did not fail on a tampered output (exit {r.returncode}):\n{r.stdout[-3000:]}"
    failed = sorted(int(n) for n in re.findall(r"FAILED \S+::Cell (\d+)", r.stdout))
    assert failed == cells, f"expected failures at cells {cells}, nbval reported {failed}:\n{r.stdout[-3000:]}"
