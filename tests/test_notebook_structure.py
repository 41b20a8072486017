"""The notebook templates and the executed chapters have the structure the book promises:

- the city template's first cell is exactly `# {{ name }}` (the runner puts the registry name there);
- one `parameters` cell; every other code cell is remove-input (the code stays in the executed notebook), or remove-cell for
  pure plumbing;
- no figure is typed in the templates' Markdown: numbers in prose are computed (Markdown outputs or glue);
- no per-city branches in the template's code;
- every executed city notebook (book/cities/*.ipynb) has the same H2 sections in the same order, no errors,
  no warnings, and every chart is followed by a caption naming its source.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from citycases.cities import load_cities

ROOT = Path(__file__).resolve().parent.parent
CITY_TEMPLATE = ROOT / "notebooks" / "city.ipynb"
COMPARISON_TEMPLATE = ROOT / "notebooks" / "comparison.ipynb"
EVALUATIONS_TEMPLATE = ROOT / "notebooks" / "evaluations.ipynb"
HOME_TEMPLATE = ROOT / "notebooks" / "home.ipynb"
PAGE_TEMPLATES = [COMPARISON_TEMPLATE, EVALUATIONS_TEMPLATE, HOME_TEMPLATE]
EXECUTED = sorted((ROOT / "book" / "cities").glob("*.ipynb"))

SECTIONS = ["At a glance", "Sources and comparability", "Violence over time", "Monthly dynamics",
            "Interventions and turning points", "Governance and organised crime", "Where violence concentrates",
            "What the data can and cannot tell", "Data and citation"]
CODE_TAGS = {"remove-input", "remove-cell"}  # no "Show code cell source" buttons in the reading flow
MYST_TARGET = re.compile(r"^\(([A-Za-z][\w-]*)\)=\s*$")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def h2s(nb) -> list[str]:
    out, fenced = [], False
    for c in nb["cells"]:
        if c["cell_type"] != "markdown":
            continue
        for line in source(c).splitlines():
            if line.lstrip().startswith(("```", ":::")):
                fenced = not fenced
            if not fenced and line.startswith("## "):
                out.append(line[3:].strip())
    return out


def typed_figures(text: str) -> list[str]:
    """Digit sequences in Markdown prose, ignoring MyST targets and the title placeholder."""
    found = []
    for line in text.splitlines():
        if MYST_TARGET.match(line.strip()):
            continue
        line = line.replace("{{ name }}", "")
        line = re.sub(r"^\s*\d+\.\s", "", line)          # ordered-list numbering is not a figure
        found += re.findall(r"\d+(?:[.,]\d+)*", line)
    return found


# --------------------------------------------------------------------------- templates
def test_city_template_title_cell():
    nb = load(CITY_TEMPLATE)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    assert source(first) == "# {{ name }}", "the first cell must be exactly '# {{ name }}' and nothing else"


def test_city_template_parameters_and_tags():
    nb = load(CITY_TEMPLATE)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and re.fullmatch(r'city = "[a-z][a-z0-9-]*"', source(params[0]).strip())
    assert code[0] is params[0], "the parameters cell comes first"
    for c in code:
        tags = set(c["metadata"].get("tags", [])) - {"parameters"}
        assert tags & CODE_TAGS, f"code cell without remove-input/remove-cell: {source(c)[:60]!r}"
    setup = code[1]
    assert "setup_notebook()" in source(setup) and "load_city(city)" in source(setup)
    assert all(not c.get("outputs") for c in code), "templates are committed without outputs"


def test_city_template_sections():
    assert h2s(load(CITY_TEMPLATE)) == SECTIONS


def test_comparison_template_structure():
    nb = load(COMPARISON_TEMPLATE)
    first = source(nb["cells"][0]).splitlines()[0]
    assert first.startswith("# ") and "{{" not in first
    assert "Claims checked" in h2s(nb)
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert set(c["metadata"].get("tags", [])) & CODE_TAGS
            assert "parameters" not in c["metadata"].get("tags", [])


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.name)
def test_page_templates_hide_their_code_and_set_up_first(template):
    nb = load(template)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "setup_notebook()" in source(code[0])
    for c in code:
        assert set(c["metadata"].get("tags", [])) & CODE_TAGS, f"{template.name}: {source(c)[:60]!r} is not hidden"
    assert not any(c.get("outputs") for c in code), "templates are committed without outputs"
    assert any("references_html()" in source(c) for c in code), f"{template.name} ends without its references"


@pytest.mark.parametrize("template", [CITY_TEMPLATE, *PAGE_TEMPLATES], ids=lambda p: p.name)
def test_no_typed_figures_in_template_markdown(template):
    nb = load(template)
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            figures = typed_figures(source(c))
            assert not figures, f"{template.name}: typed figure(s) {figures} in {source(c)[:80]!r}; compute them"


def test_typed_figure_detector_itself():
    assert typed_figures("fell by 80% between 2002 and 2014") == ["80", "2002", "2014"]
    assert typed_figures("(fig-rates)=\n# {{ name }}\n1. first item") == []
    assert typed_figures("a rate of 1,234.5 per") == ["1,234.5"]


@pytest.mark.parametrize("template", [CITY_TEMPLATE, *PAGE_TEMPLATES], ids=lambda p: p.name)
def test_no_per_city_branches(template):
    nb = load(template)
    names = {c["slug"] for c in load_cities()} | {c["name"] for c in load_cities()}
    code = [source(c) for c in nb["cells"] if c["cell_type"] == "code"
            and "parameters" not in c["metadata"].get("tags", [])]
    for text in code:
        assert "city ==" not in text.replace(" ", " ") and "slug ==" not in text
        for n in names:
            assert f'"{n}"' not in text and f"'{n}'" not in text, f"{template.name} names {n} in code"


# --------------------------------------------------------------------------- executed chapters
def executed_or_skip():
    if not EXECUTED:
        pytest.skip("no executed city notebooks in book/cities/ yet: run `make notebooks` (citycases.run)")
    return EXECUTED


def test_executed_city_notebooks_have_the_same_sections():
    for path in executed_or_skip():
        assert h2s(load(path)) == SECTIONS, f"{path.name}: sections differ from the template"


def test_executed_city_notebooks_title_is_the_registry_name():
    names = {c["slug"]: c["name"] for c in load_cities()}
    for path in executed_or_skip():
        first = source(load(path)["cells"][0])
        assert first.startswith("# ") and "{{" not in first, path.name
        title = re.sub(r"\\(.)", r"\1", first[2:].strip())
        assert title == names.get(path.stem, title), path.name


def test_executed_city_notebooks_have_no_errors_or_warnings():
    for path in executed_or_skip():
        for c in load(path)["cells"]:
            for o in c.get("outputs", []):
                assert o["output_type"] != "error", f"{path.name}: {o.get('ename')}: {o.get('evalue')}"
                if o["output_type"] == "stream":
                    assert o["name"] != "stderr" and "Warning" not in "".join(o["text"]), path.name


def test_every_chart_is_followed_by_a_sourced_caption():
    """A caption's source line is short (producers and numbers) and every number is in the page's references,
    whose entries link the source."""
    import re
    for path in executed_or_skip():
        outputs = [o for c in load(path)["cells"] for o in c.get("outputs", []) if o.get("data")]
        refs = {}
        for o in outputs:
            for m in re.finditer(r'<li id="ref-(\d+)">(.*?)</li>', "".join(o["data"].get("text/html", ""))):
                refs[m.group(1)] = m.group(2)
        for i, o in enumerate(outputs):
            html = "".join(o["data"].get("text/html", ""))
            if "citycases-chart" in html or "vega" in html.lower():
                nxt = outputs[i + 1]["data"] if i + 1 < len(outputs) else {}
                caption = "".join(nxt.get("text/markdown", ""))
                assert "Source" in caption, f"{path.name}: chart without a sourced caption"
                numbers = re.findall(r'href="#ref-(\d+)"', caption)
                assert numbers, f"{path.name}: caption cites no numbered reference: {caption[-200:]}"
                for n in numbers:
                    assert "http" in refs.get(n, ""), f"{path.name}: reference {n} missing or without a link"
                line = re.sub(r"<a [^>]*>\[\d+\]</a>", "", caption.split("Source", 1)[1])
                assert len(line) <= 160, f"{path.name}: source line longer than one line: {line!r}"


def test_executed_outputs_add_no_headings():
    """Computed Markdown never adds a section: the H2 list is the template's in every chapter."""
    for path in executed_or_skip():
        for c in load(path)["cells"]:
            for o in c.get("outputs", []):
                md = "".join(o.get("data", {}).get("text/markdown", ""))
                assert not re.search(r"^#{1,2} ", md, re.M), f"{path.name}: a heading in a computed output"


@pytest.mark.parametrize("template", [CITY_TEMPLATE] + PAGE_TEMPLATES, ids=lambda p: p.name)
def test_every_template_cell_has_a_fixed_id(template):
    # nbformat gives a cell without an id a random one at each execution, so the executed page would drift
    cells = json.loads(template.read_text(encoding="utf-8"))["cells"]
    missing = [i for i, c in enumerate(cells) if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(c.get("id", "")))]
    assert not missing, f"{template.name}: cells {missing} have no id"
    ids = [c["id"] for c in cells]
    assert len(ids) == len(set(ids)), f"{template.name}: duplicate cell ids"
