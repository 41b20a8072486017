"""The runner's in-process engine gives the notebook a Jupyter kernel gives, byte for byte, and declines (the kernel
runs the notebook) where it could not; chapters do not parse the small-area panel."""
from __future__ import annotations

import sys

import nbformat
import pytest

from citycases import load, run
from test_build import _template  # the same hand-made template the runner tests use

pytestmark = pytest.mark.skipif(sys.flags.hash_randomization != 0 or not hasattr(run.os, "fork"),
                                reason="the in-process engine needs fork and PYTHONHASHSEED=0 (make sets it)")


CELLS = ("from citycases.text import show_md\nshow_md(f'**{city}** & <b>')",
         "import altair as alt, pandas as pd\n"
         "df = pd.DataFrame({'year': [2000, 2001], 'rate': [10.5, 9.0]})\n"
         "alt.Chart(df).mark_line().encode(x='year:O', y='rate:Q').properties(title=city)",
         "{'a': 1, 'b': [1, 2]}",
         "import scrapbook as sb\nsb.glue('n', 3)" if __import__("importlib").util.find_spec("scrapbook") else "x = 3")


def test_in_process_engine_gives_the_kernels_notebook(tmp_path, monkeypatch):
    tpl = _template(tmp_path / "t.ipynb", *CELLS)
    inproc = run.execute("city 'x'", tpl, tmp_path / "a.ipynb", {"city": "bogota"}, title="Bogotá")
    monkeypatch.setenv("CITYCASES_ENGINE", "kernel")
    kernel = run.execute("city 'x'", tpl, tmp_path / "b.ipynb", {"city": "bogota"}, title="Bogotá")
    assert inproc.read_bytes() == kernel.read_bytes()
    nb = nbformat.read(inproc, as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == list(range(1, len(CELLS) + 4))
    assert any(o.output_type == "execute_result" for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_in_process_engine_declines_what_it_cannot_reproduce(tmp_path, capfd):
    # printing (stream output) and failing cells run in a kernel: same notebook, same error message as before
    tpl = _template(tmp_path / "t.ipynb", "print(city)")
    out = run.execute("city 'x'", tpl, tmp_path / "p.ipynb", {"city": "milan"}, title="Milan")
    nb = nbformat.read(out, as_version=4)
    assert nb.cells[-1].outputs[0].output_type == "stream" and nb.cells[-1].outputs[0].text == "milan\n"
    assert "declined" in capfd.readouterr().err


def test_chapters_do_not_read_the_area_panel(monkeypatch):
    read = []
    real = load.read_table
    monkeypatch.setattr(load, "read_table", lambda t, tidy=None: read.append(t) or real(t, tidy))
    load.load_city(load.load_cities()[0]["slug"])
    assert "homicides_area_panel" not in read and set(read) == set(load.CITY_TABLES)
