"""Bad input through the real commands: one `error: ...` line naming the file, row/field and problem, a non-zero
exit, and nothing half-written.

The commands run as subprocesses on SCRATCH COPIES: CITYCASES_DATA points at a temporary copy of data/ and
CITYCASES_SOURCES at a temporary overlay of the raw sources; every broken file below is a HAND-MADE TEST INPUT
written only there (none can reach the book). Unit-level checks of each validation rule are in test_validation.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, clean_env, copy_checkout

from citycases.paths import sources_dir

SOURCES_PRESENT = sources_dir().is_dir()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def data_copy(tmp_path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest


def derive_cli(data: Path, sources: Path | None = None, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(CITYCASES_DATA=str(data), CITYCASES_SOURCES=str(sources or sources_dir()))
    return subprocess.run([sys.executable, "-m", "citycases.derive", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def one_error_line(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def overlay(real: Path, dest: Path, rel: str) -> Path:
    """dest mirrors real through symlinks, except that the file `rel` (and the folders above it) are real
    copies that the test may change."""
    parts = Path(rel).parts
    here_real, here = real, dest
    for i, part in enumerate(parts):
        here.mkdir(parents=True, exist_ok=True)
        for entry in here_real.iterdir():
            if entry.name != part:
                (here / entry.name).symlink_to(entry)
        if i == len(parts) - 1:
            shutil.copy2(here_real / part, here / part)
        here_real, here = here_real / part, here / part
    return dest / rel


@pytest.mark.skipif(not SOURCES_PRESENT, reason="raw sources absent: set CITYCASES_SOURCES")
def test_derive_cli_malformed_event_date(data_copy):
    events = data_copy / "events" / "milan.csv"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "2010-02-30" + lines[2][len("2010-07-13"):]  # hand-made: a date that does not exist
    events.write_text("".join(lines), encoding="utf-8")
    before = snapshot(data_copy / "tidy") | {"datapackage.json": (data_copy / "datapackage.json").read_bytes()}
    # one cheap step, written to the copy's tidy folder (--out): every table would be written, were all valid
    line = one_error_line(derive_cli(data_copy, None, "--step", "who_ghe", "--out", str(data_copy / "tidy")))
    assert "data/events/milan.csv, line 3, field 'date'" in line and "'2010-02-30' is not a date" in line, line
    assert "(fix: check the day and month against the cited page" in line, line
    after = snapshot(data_copy / "tidy") | {"datapackage.json": (data_copy / "datapackage.json").read_bytes()}
    assert after == before, "a failed derivation changed the tidy tables"


@pytest.mark.skipif(not SOURCES_PRESENT, reason="raw sources absent: set CITYCASES_SOURCES")
def test_derive_cli_tampered_raw_file(data_copy, tmp_path):
    from citycases import derive
    from citycases.sources import load_registry

    step = derive.load_step(derive.step_names()[0])  # the first step: fails before the others run
    src = load_registry(data_copy / "sources")[step.SOURCES[0]]
    rel = src.files[0]["path"]
    raw = overlay(sources_dir(), tmp_path / "sources", rel)
    with open(raw, "ab") as fh:
        fh.write(b"\nhand-made bytes appended by a test\n")
    before = snapshot(data_copy / "tidy")
    line = one_error_line(derive_cli(data_copy, tmp_path / "sources"))
    assert rel in line and "checksum mismatch" in line and src.registry_file.name in line, line
    assert snapshot(data_copy / "tidy") == before


def test_derive_cli_bad_source_file(data_copy):
    bad = data_copy / "sources" / "hand_made_bad.yml"
    bad.write_text("# HAND-MADE TEST INPUT: a source entry without url_download\n"
                   "id: hand_made_bad\nproducer: Hand-made\ntitle: Hand-made\ncitation: Hand-made citation text\n"
                   "url_main: https://example.org/\ndate_accessed: 2025-01-01\nlicence: none\n"
                   "files: [{path: x/y.csv, bytes: 1, sha256: '" + "0" * 64 + "'}]\n", encoding="utf-8")
    before = snapshot(data_copy / "tidy")
    line = one_error_line(derive_cli(data_copy, None, "--check"))
    assert "hand_made_bad.yml" in line and "'url_download' is a required property" in line, line
    line = one_error_line(derive_cli(data_copy))
    assert "hand_made_bad.yml" in line
    assert snapshot(data_copy / "tidy") == before


@pytest.mark.skipif(not SOURCES_PRESENT, reason="raw sources absent: set CITYCASES_SOURCES")
def test_derive_cli_unknown_source_id_in_events(data_copy):
    events = data_copy / "events" / "stockholm.csv"
    text = events.read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header == "date,category,title,source_id,citation,citation_url"
    # hand-made: an event citing a source id that is not in data/sources/
    events.write_text(header + "\n2001-01-01,policing,Hand-made event,no_such_source,,\n"
                      + "\n".join(text.splitlines()[1:]) + "\n", encoding="utf-8")
    # --step with one cheap step: events are always validated, and nothing is written without --out
    step = "who_ghe"
    line = one_error_line(derive_cli(data_copy, None, "--step", step))
    assert "data/events/stockholm.csv, line 2, field 'source_id': unknown source id 'no_such_source'" in line, line


def test_runner_keeps_other_cities_when_a_cell_raises(tmp_path):
    """A notebook cell that raises for one city: the runner names the city and the cell, exits non-zero, and
    the other city's chapter is still executed (doit --continue). Runs in a scratch copy of the checkout whose
    template gets a HAND-MADE failing cell."""
    import nbformat

    repo = copy_checkout(tmp_path / "repo", "citycases", "notebooks", "dodo.py", "data", link=())
    tpl = repo / "notebooks" / "city.ipynb"
    nb = nbformat.read(tpl, as_version=4)
    cell = nbformat.v4.new_code_cell('if city == "milan":\n    raise ValueError("hand-made test failure")')
    cell["id"] = "hand-made-failure"
    nb.cells.insert(3, cell)
    nbformat.write(nb, tpl)
    env = clean_env(PYTHONPATH=str(repo))
    r = subprocess.run([sys.executable, "-m", "citycases.run", "milan", "stockholm", "--jobs", "2"], cwd=repo,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0, r.stdout + r.stderr
    errors = [ln.strip() for ln in r.stderr.splitlines() if ln.strip().startswith("error:")]
    assert errors and all("city 'milan'" in e for e in errors), r.stderr
    assert "cell 4 of city.ipynb (id hand-made-failure" in errors[0] and \
        "raised ValueError: hand-made test failure" in errors[0], errors[0]
    assert "city 'stockholm'" not in r.stderr
    assert (repo / "book" / "cities" / "stockholm.ipynb").is_file(), "the other city was not executed"
    assert not (repo / "book" / "cities" / "milan.ipynb").exists(), "a failed notebook reached the book"
    assert not list((repo / "book" / "cities").glob(".*.tmp")), "a temporary file was left behind"
    failed = json.loads((repo / "artifacts" / "failed" / "milan.ipynb").read_text(encoding="utf-8"))
    assert any(o.get("output_type") == "error" for c in failed["cells"] for o in c.get("outputs", []))


def test_runner_unknown_slug_exit_code():
    r = subprocess.run([sys.executable, "-m", "citycases.run", "hand-made-nowhere"], cwd=ROOT, env=clean_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "unknown city slug 'hand-made-nowhere'" in r.stderr


@pytest.mark.build
def test_city_without_monthly_data_says_so_in_one_sentence(city_slugs):
    """A city with no monthly rows (Milan today) renders its Monthly dynamics section with one sentence and no
    chart: checked in every such executed chapter and its built page."""
    import pandas as pd
    from citycases.load import load_city

    monthly = pd.read_csv(ROOT / "data" / "tidy" / "homicides_monthly.csv", dtype=str)
    without = [s for s in city_slugs if s not in set(monthly["city"])]
    assert without, "no city lacks monthly data any more: keep this test with a fixture city instead"
    for slug in without:
        name = load_city(slug).name
        sentence = f"There are no monthly homicide counts for {name} in these data."
        nb = json.loads((ROOT / "book" / "cities" / f"{slug}.ipynb").read_text(encoding="utf-8"))
        heads = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"
                 and "".join(c["source"]).startswith("## Monthly dynamics")]
        assert len(heads) == 1, slug
        section = []
        for c in nb["cells"][heads[0] + 1:]:
            if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## "):
                break
            section += c.get("outputs", [])
        texts = ["".join(o["data"].get("text/markdown", "")) for o in section]
        assert texts == [sentence], f"{slug}: monthly section outputs {texts}"
        page = (ROOT / "_build" / "html" / "book" / "cities" / f"{slug}.html")
        if page.is_file():
            html = page.read_text(encoding="utf-8")
            start = html.index('id="monthly-dynamics"')
            end = html.index("<section", start)
            assert sentence in html[start:end] and "citycases-chart" not in html[start:end], slug


# --------------------------------------------------------------------------- what a careless user meets
def _runner_copy(tmp_path) -> Path:
    """A scratch checkout (code, templates, data) the runner may be pointed at: nothing reaches the real book."""
    return copy_checkout(tmp_path / "repo", "citycases", "notebooks", "dodo.py", "data", link=())


def runner_cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citycases.run", *args], cwd=repo,
                          env=clean_env(PYTHONPATH=str(repo)), capture_output=True, text=True, timeout=300)


def test_malformed_event_date_is_named_with_line_and_fix_and_the_runner_refuses_it(data_copy, tmp_path):
    """Hand-made: month 13 in an event date. The data check names file, line, field and the fix and writes
    nothing; `python -m citycases.run <slug>` alone (which reads data/tidy) refuses to run on the stale tables."""
    events = data_copy / "events" / "milan.csv"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "2010-13-01" + lines[3][10:]
    events.write_text("".join(lines), encoding="utf-8")
    before = snapshot(data_copy)
    line = one_error_line(derive_cli(data_copy, None, "--check"))
    assert line.startswith("error: data/events/milan.csv, line 4, field 'date': table events: malformed value "
                           "'2010-13-01' (fix: write it as YYYY-MM-DD"), line
    assert snapshot(data_copy) == before
    repo = _runner_copy(tmp_path)
    shutil.copy(events, repo / "data" / "events" / "milan.csv")
    r = runner_cli(repo, "milan")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "error: data/events/milan.csv changed since data/tidy/events.csv was derived: the tidy tables are " \
           "stale (fix: run `make data`" in r.stderr, r.stderr
    assert not (repo / "artifacts" / "run").exists() or not list((repo / "artifacts" / "run").glob("*.kernel.log"))


def test_stale_tidy_tables_are_refused_by_the_runner(tmp_path):
    """Hand-made: an event title edited in data/events/ without `make data`: the runner says the tables are
    stale and names `make data` instead of silently executing the chapter with the old events."""
    import csv
    import io

    repo = _runner_copy(tmp_path)
    events = repo / "data" / "events" / "stockholm.csv"
    rows = list(csv.reader(io.StringIO(events.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("title")] = "Hand-made edited title"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    events.write_text(buf.getvalue(), encoding="utf-8")
    (repo / "book" / "cities").mkdir(parents=True, exist_ok=True)
    nb = repo / "book" / "cities" / "stockholm.ipynb"
    r = runner_cli(repo, "stockholm")
    assert r.returncode == 1 and "data/events/stockholm.csv changed since data/tidy/events.csv was derived" \
        in r.stderr and "make data" in r.stderr, r.stderr
    assert not nb.exists(), "a chapter was executed from stale tables"


def test_nan_population_in_a_committed_table(data_copy, tmp_path):
    """Hand-made: 'NaN' typed into a population of data/tidy/homicides_annual.csv. The data check (which runs
    before any notebook) names file, line, field and fix; `load export` prints one line, no traceback, and
    writes nothing."""
    table = data_copy / "tidy" / "homicides_annual.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    k = next(i for i, ln in enumerate(lines[1:], start=1) if ln.split(",")[header.index("population")])
    cells = lines[k].rstrip("\n").split(",")
    cells[header.index("population")] = "NaN"
    lines[k] = ",".join(cells) + "\n"
    table.write_text("".join(lines), encoding="utf-8")
    line = one_error_line(derive_cli(data_copy, None, "--check"))
    assert line.startswith(f"error: data/tidy/homicides_annual.csv, line {k + 1}, field 'population': "
                           f"table homicides_annual: not a number: 'NaN' (fix: run `make data`"), line
    dest = tmp_path / "downloads"
    r = subprocess.run([sys.executable, "-m", "citycases.load", "export", "--dest", str(dest)], cwd=ROOT,
                       env=clean_env(CITYCASES_DATA=str(data_copy)), capture_output=True, text=True, timeout=300)
    line = one_error_line(r)
    assert "Traceback" not in r.stderr
    assert f"homicides_annual.csv, line {k + 1}, field 'population'" in line and "(fix: " in line, line
    assert not dest.exists() or not any(dest.rglob("*.csv"))


def test_explicit_sources_folder_that_does_not_exist_is_an_error(data_copy, tmp_path):
    """CITYCASES_SOURCES set to a missing folder: exit 1 with one line (not a note and a build)."""
    missing = tmp_path / "no-such-sources"
    line = one_error_line(derive_cli(data_copy, missing, "--check"))
    assert line == (f"error: {missing}: CITYCASES_SOURCES names a raw sources folder that does not exist (fix: "
                    f"point it at the folder holding the raw files (one sub-folder per topic, each with a "
                    f"PROVENANCE.md), or unset it to use ../shared/sources)"), line
    # and through make, as the README promises (in a scratch copy: make writes stamps under _build/)
    repo = copy_checkout(tmp_path / "repo", "Makefile", "citycases", "data", "requirements.txt", "constraints.txt")
    r = subprocess.run(["make", "--no-print-directory", "data-check"], cwd=repo, capture_output=True, text=True,
                       env=clean_env(CITYCASES_SOURCES=str(missing), PYTHONPATH=str(repo)), timeout=300)
    assert r.returncode != 0 and "CITYCASES_SOURCES names a raw sources folder that does not exist" in r.stderr, \
        r.stdout + r.stderr


def test_misspelt_derive_parameter_through_the_data_check(data_copy):
    """Hand-made: `dane_cod` for Medellín's colombia_police: the city, the unknown key and the accepted keys."""
    reg = data_copy / "cities.yml"
    text = reg.read_text(encoding="utf-8")
    assert text.count("dane_code: \"05001\"") + text.count("dane_code: '05001'") >= 1
    reg.write_text(text.replace("dane_code", "dane_cod", 1), encoding="utf-8")
    line = one_error_line(derive_cli(data_copy, None, "--check"))
    assert "data/cities.yml, field 'derive.colombia_police.dane_cod': city 'medellin': unknown parameter " \
           "'dane_cod' of step 'colombia_police' (fix: did you mean 'dane_code'?" in line, line


@pytest.mark.skipif(not SOURCES_PRESENT, reason="raw sources absent: set CITYCASES_SOURCES")
def test_truncated_raw_file_after_the_checksum_fix_says_it_ends_early(data_copy, tmp_path):
    """Hand-made: a raw file cut in half, and its new sha256 copied into the registry (what a user does on
    reading "checksum mismatch ... update the registry"): the error says the file ends early, not that the city
    code is wrong."""
    from citycases import derive
    from citycases.sources import load_registry, sha256_of

    step = "colombia_police"
    src = load_registry(data_copy / "sources")[derive.load_step(step).SOURCES[0]]
    rel = derive.load_step(step).MUNICIPALITY_YEAR
    raw = overlay(sources_dir(), tmp_path / "sources", rel)
    data = raw.read_bytes()
    raw.write_bytes(data[: len(data) // 2])
    reg = src.registry_file.read_text(encoding="utf-8")
    entry = next(f for f in src.files if f["path"] == rel)
    (data_copy / "sources" / src.registry_file.name).write_text(
        reg.replace(entry["sha256"], sha256_of(raw)), encoding="utf-8")
    line = one_error_line(derive_cli(data_copy, tmp_path / "sources", "--step", step))
    assert rel in line and "the file ends early" in line and "dane_code" not in line, line
