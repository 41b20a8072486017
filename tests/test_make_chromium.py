"""`make test` installs Debian's chromium when it is missing (the newcomer types only `make test`)."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make(*args, chromium):
    env = {**os.environ, "CHROMIUM": chromium}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_missing_chromium_is_installed_by_make_test():
    r = _make("-n", "test", chromium="/nonexistent/chromium")
    assert r.returncode == 0, r.stderr
    assert "apt-get install -y -qq chromium" in r.stdout


def test_present_chromium_is_left_alone():
    r = _make("chromium", chromium="/bin/sh")   # any executable stands in for an installed browser
    assert r.returncode == 0 and "installing" not in r.stdout, r.stdout + r.stderr
