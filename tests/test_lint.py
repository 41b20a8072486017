"""`ruff check .` is part of the unit tests (configuration in ruff.toml)."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    return [str(exe)] if exe.exists() else [shutil.which("ruff") or "ruff"]


def test_ruff_check_passes():
    r = subprocess.run(_ruff() + ["check", "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n", encoding="utf-8")   # hand-made: an unused import
    r = subprocess.run(_ruff() + ["check", "--no-cache", "--config", str(ROOT / "ruff.toml"), str(bad)],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and "F401" in r.stdout
