"""Execute the book's notebooks with papermill: one page per city in data/cities.yml, plus the comparison.

    python -m citycases.run                    # every city + the comparison, only what changed (doit), 2 at a time
    python -m citycases.run medellin stockholm # just these cities (unknown slug: one-line error, exit 2)
    python -m citycases.run --force            # re-execute even if nothing changed
    python -m citycases.run --jobs 1           # one at a time
    python -m citycases.run --execute medellin # execute one notebook now, without doit (used by dodo.py)

notebooks/city.ipynb -> book/cities/<slug>.ipynb (parameter ``city``), notebooks/comparison.ipynb ->
book/comparison.ipynb, notebooks/evaluations.ipynb -> book/evaluations.ipynb (target ``evaluations``).
The dependency graph lives in dodo.py: doit compares content hashes (md5) of the
template and citycases/*.py, and a digest of the city's own rows of every data table (``city_digest``), so a
change to one city's data re-executes that city only (and the comparison, which depends on everything).

Executed notebooks are normalised (no papermill/nbclient timestamps, durations or random ids; the injected
parameters cell and the parameters cell tagged ``remove-cell``) and written atomically, so re-executing
unchanged inputs gives a byte-identical file and a failure leaves the previous notebook in place. A failure
names the city, the cell and the error, keeps the other cities' results and makes the command exit non-zero;
the failed notebook (with its traceback) is saved under artifacts/failed/.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from functools import lru_cache
from pathlib import Path

from .files import atomic_write
from .fmt import md
from .paths import BOOK, CITIES_FILE, DATA, NOTEBOOKS, ROOT, SOURCE_REGISTRY

CITY_TEMPLATE = NOTEBOOKS / "city.ipynb"
COMPARISON_TEMPLATE = NOTEBOOKS / "comparison.ipynb"
CITY_OUT = BOOK / "cities"
COMPARISON_OUT = BOOK / "comparison.ipynb"
COMPARISON = "comparison"
EVALUATIONS_TEMPLATE = NOTEBOOKS / "evaluations.ipynb"
EVALUATIONS_OUT = BOOK / "evaluations.ipynb"
EVALUATIONS = "evaluations"
EVALUATIONS_SPEC = DATA / "evaluations.yml"
# Pages executed once (no parameters), by target name: template, executed notebook, label in messages.
HOME_TEMPLATE = NOTEBOOKS / "home.ipynb"
HOME_OUT = BOOK / "intro.ipynb"
HOME = "home"
PAGES = {COMPARISON: (COMPARISON_TEMPLATE, COMPARISON_OUT, "the comparison notebook"),
         EVALUATIONS: (EVALUATIONS_TEMPLATE, EVALUATIONS_OUT, "the evaluations notebook"),
         HOME: (HOME_TEMPLATE, HOME_OUT, "the front page")}
ARTIFACTS = ROOT / "artifacts"
ERRORS_DIR = ARTIFACTS / "run"
FAILED_DIR = ARTIFACTS / "failed"
TITLE_PLACEHOLDER = "{{ name }}"
CELL_TIMEOUT = 600


class RunError(Exception):
    """A one-line, reader-facing failure."""


# --------------------------------------------------------------------------- inputs
def shared_code() -> list[Path]:
    """citycases/*.py: the code every notebook imports (derive/ is not used by notebooks)."""
    return sorted((ROOT / "citycases").glob("*.py"))


def data_files() -> list[Path]:
    """Every data file a notebook may read (the comparison depends on all of them)."""
    files = [CITIES_FILE]
    for folder, pattern in ((DATA / "tidy", "*.csv"), (DATA / "events", "*.csv"), (SOURCE_REGISTRY, "*.yml")):
        files += sorted(folder.glob(pattern))
    return [f for f in files if f.is_file()]


@lru_cache(maxsize=None)
def _registry() -> tuple:
    from .cities import load_cities
    return tuple(load_cities(CITIES_FILE))


def city_slugs() -> list[str]:
    return [c["slug"] for c in _registry()]


@lru_cache(maxsize=256)
def _grouped_rows(path: Path, stamp: tuple) -> tuple[list[str], str | None, dict[str, list[list[str]]]]:
    """(header, key column 'city'/'country'/None, rows by key): each table parsed once for every city's digest
    (stamp: size and mtime, so an edited file is read again)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        key = "city" if "city" in header else "country" if "country" in header else None
        if key is None:
            return header, None, {"": list(reader)}
        i, groups = header.index(key), {}
        for r in reader:
            if len(r) > i:
                groups.setdefault(r[i], []).append(r)
        return header, key, groups


def _table_rows(path: Path, city: dict) -> tuple[list[str], list[list[str]], bool]:
    """(header, rows that belong to the city, whether the table could be narrowed to the city)."""
    st = path.stat()
    header, key, groups = _grouped_rows(path, (st.st_size, st.st_mtime_ns, st.st_ino))
    if key is None:
        return header, groups[""], False
    return header, groups.get(city["slug"] if key == "city" else city["country"], []), True


def city_digest(slug: str) -> str:
    """sha256 of everything city <slug>'s page is computed from, other than code and template:
    its registry entry (and the registry's order and names, which fix colours and links), its rows of each tidy
    table and event file (rows of its country for country-level tables; whole tables that have neither column),
    and the source-registry entries those rows cite."""
    cities = _registry()
    by_slug = {c["slug"]: c for c in cities}
    city = by_slug[slug]
    h = hashlib.sha256()

    def feed(label: str, payload: str) -> None:
        h.update(f"\0{label}\0{len(payload)}\0".encode())
        h.update(payload.encode("utf-8"))

    feed("entry", json.dumps(city, sort_keys=True, ensure_ascii=False, default=str))
    feed("order", json.dumps([[c["slug"], c["name"]] for c in cities], ensure_ascii=False))
    cited: set[str] = set()
    # data/events/<slug>.csv holds one city's events and has no city column: only the city's own file counts.
    event_file = DATA / "events" / f"{slug}.csv"
    for path in sorted((DATA / "tidy").glob("*.csv")) + ([event_file] if event_file.is_file() else []):
        header, rows, _ = _table_rows(path, city)
        feed(f"{path.parent.name}/{path.name}", json.dumps([header, rows], ensure_ascii=False))
        for j, col in enumerate(header):
            if col.endswith("source_id"):
                cited.update(r[j] for r in rows if len(r) > j and r[j])
    for path in sorted(SOURCE_REGISTRY.glob("*.yml")):
        if path.stem in cited or not cited:
            feed(f"sources/{path.name}", path.read_text(encoding="utf-8"))
    return h.hexdigest()


# --------------------------------------------------------------------------- stale tables
# Hand-written files and the tidy table `make data` copies them into (after validating them).
HAND_FILES = (("events", True), ("periods", True), ("breaks", False), ("differences", False))


def _normal_rows(path: Path, table: str, city: str | None) -> list[tuple]:
    """Rows of a CSV as comparable tuples in the tidy table's column order (values as validation writes them)."""
    from . import schema

    fields = {f["name"]: f["type"] for f in schema.TABLES[table]["fields"]}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)

    def norm(name: str, value) -> str:
        v = (value or "").strip()
        if v and fields.get(name) in ("integer", "number"):
            try:
                return repr(float(v))
            except ValueError:
                return v
        return v

    names = [n for n in fields if n != "city" or city is None]
    out = [tuple(norm(n, r.get(n)) for n in names) for r in rows]
    return sorted(((city,) + t if city is not None else t) for t in out)


def stale_tables() -> list[str]:
    """Why data/tidy is older than what `make data` derives it from, one sentence each (cheap: csv only).

    A hand-written file (data/events/<slug>.csv, data/periods/<slug>.csv, data/breaks.csv,
    data/differences.csv) whose rows are not the rows of its tidy table, or a city of data/cities.yml with no
    rows of its primary series in data/tidy/homicides_annual.csv, means the notebooks would read stale tables."""
    tidy = DATA / "tidy"
    fix = "run `make data` (it validates the hand-written files and re-derives data/tidy), then run this again"
    problems = []
    for table, per_city in HAND_FILES:
        target = tidy / f"{table}.csv"
        sources = sorted((DATA / table).glob("*.csv")) if per_city else [DATA / f"{table}.csv"]
        sources = [f for f in sources if f.is_file()]
        if not sources:
            continue
        if not target.is_file():
            problems.append(f"data/tidy/{table}.csv is missing (fix: {fix})")
            continue
        tidy_rows = _normal_rows(target, table, None)
        for f in sources:
            mine = _normal_rows(f, table, f.stem if per_city else None)
            theirs = [r for r in tidy_rows if r[0] == f.stem] if per_city else tidy_rows
            if mine != theirs:
                rel = f.relative_to(DATA.parent) if f.is_relative_to(DATA.parent) else f
                problems.append(f"{rel} changed since data/tidy/{table}.csv was derived: the tidy tables are stale "
                                f"(fix: {fix})")
    annual = tidy / "homicides_annual.csv"
    if annual.is_file():
        with annual.open(newline="", encoding="utf-8") as fh:
            have = {(r.get("city"), r.get("series")) for r in csv.DictReader(fh)}
        for c in _registry():
            if (c["slug"], c["primary_series"]) not in have:
                problems.append(f"data/tidy/homicides_annual.csv has no rows of city '{c['slug']}' (series "
                                f"'{c['primary_series']}'): the tidy tables are older than data/cities.yml "
                                f"(fix: {fix})")
    return problems


def registry_newer_than_tables() -> str | None:
    """A note when data/cities.yml was edited after data/tidy was last written (a changed derive: block or series
    only reaches the tables through `make data`)."""
    tables = [p.stat().st_mtime_ns for p in (DATA / "tidy").glob("*.csv")]
    if tables and CITIES_FILE.is_file() and CITIES_FILE.stat().st_mtime_ns > min(tables):
        return ("note: data/cities.yml is newer than data/tidy/: if you changed a derive: block or a series, "
                "run `make data` first")
    return None


# --------------------------------------------------------------------------- notebooks
# Plain text safe to put in a Markdown heading (no markup, roles, math, HTML or line breaks): the book's one
# escaper, fmt.md, kept under its old name here.
markdown_escape = md


def _set_title(nb, name: str, template: Path) -> None:
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or \
            not first.source.splitlines()[0:1] == [f"# {TITLE_PLACEHOLDER}"]:
        raise RunError(f"{template.relative_to(ROOT) if template.is_relative_to(ROOT) else template}: the first cell "
                       f"must be markdown whose first line is '# {TITLE_PLACEHOLDER}' (the page title)")
    first.source = first.source.replace(TITLE_PLACEHOLDER, markdown_escape(name))


def _tag(cell, tag: str) -> None:
    tags = list(cell.metadata.get("tags", []))
    if tag not in tags:
        tags.append(tag)
    cell.metadata["tags"] = tags


def normalise(nb):
    """Drop everything that changes from run to run but not with the inputs; hide the parameter cells."""
    nb.metadata.pop("papermill", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):
        for key in ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
            _tag(cell, "remove-cell")
        elif "parameters" in tags:
            _tag(cell, "remove-cell")
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"cell-{i}"
        seen.add(cell["id"])
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    return nb


def _write_atomic(nb, path: Path) -> None:
    import nbformat

    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    nbformat.validate(nbformat.reads(text, as_version=4))
    atomic_write(path, text)


def _kernel_env() -> dict[str, str]:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    return env


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty)"


# --------------------------------------------------------------------------- in-process engine
# A Jupyter kernel costs about 1 s to start and every notebook then imports pandas, altair, scipy and statsmodels
# again (about 2.5 s): most of a chapter's time. The in-process engine runs the cells in an IPython shell inside a
# forked child of this process instead (papermill still parameterises the notebook and records its metadata, so
# the executed notebook is the one the kernel gives, byte for byte: tests/test_run_engine.py compares them). Where
# it could not give exactly the kernel's notebook (a cell fails, prints to stdout or stderr, updates a display,
# or the interpreter's string hashing is not the kernel's PYTHONHASHSEED=0) it declines and the notebook is run
# in a Jupyter kernel as before. CITYCASES_ENGINE=kernel forces the kernel.
# The worker (`serve`) imports the heavy libraries and loads the tidy tables once per runner invocation and forks
# one child per notebook, so each notebook pays only for its own computation.
INPROCESS = "citycases-inprocess"
_PRISTINE = False  # True in the worker: its citycases modules were imported but never run, children may share them
PRELOAD = ("pandas", "numpy", "altair", "scipy.stats", "statsmodels.api", "nbformat", "papermill",
           "papermill.engines", "IPython.core.interactiveshell", "traitlets.config",
           "citycases.display", "citycases.charts", "citycases.metrics", "citycases.text", "citycases.load",
           "citycases.claims", "citycases.evaluations")
_EXIT_DECLINED = 3


class _Declined(Exception):
    """The in-process engine cannot reproduce the kernel's notebook exactly (the kernel runs it instead)."""


def _json_clean(obj):
    def refuse(o):
        raise _Declined(f"output holds a {type(o).__name__}")
    return json.loads(json.dumps(obj, default=refuse))


def _shell():
    """A fresh IPython shell whose displays and results become notebook outputs (as ipykernel sends them)."""
    import nbformat
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        outputs: list = []

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            if transient or update:
                raise _Declined("display updated in place")
            self.outputs.append(nbformat.v4.new_output("display_data", data=_json_clean(data),
                                                       metadata=_json_clean(metadata or {})))

        def clear_output(self, wait=False):
            raise _Declined("clear_output")

    class Hook(DisplayHook):
        def start_displayhook(self):
            self._out = None

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self._out = (format_dict, md_dict or {})

        def finish_displayhook(self):
            if self._out and self._out[0]:
                self.shell.display_pub.outputs.append(nbformat.v4.new_output(
                    "execute_result", data=_json_clean(self._out[0]), metadata=_json_clean(self._out[1]),
                    execution_count=self.prompt_count))

    cfg = Config()
    cfg.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=cfg)
    shell.display_pub = Publisher(shell=shell, parent=shell)
    shell.displayhook = Hook(shell=shell, cache_size=shell.cache_size, parent=shell)
    sys.displayhook = shell.displayhook
    return shell


def _language_info() -> dict:
    """What ipykernel reports (nbclient copies it into the notebook's metadata)."""
    return {"codemirror_mode": {"name": "ipython", "version": sys.version_info[0]}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": f"ipython{sys.version_info[0]}", "version": sys.version.split()[0]}


def _register_engine() -> None:
    import io
    from papermill.engines import Engine, papermill_engines

    class InProcessEngine(Engine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            shell = _shell()
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue
                    cell.outputs = []
                    shell.display_pub.outputs = cell.outputs
                    count = shell.execution_count
                    out, err = sys.stdout, sys.stderr
                    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
                    try:
                        result = shell.run_cell(cell.source, store_history=True)
                        printed = sys.stdout.getvalue() + sys.stderr.getvalue()
                    finally:
                        sys.stdout, sys.stderr = out, err
                    if not result.success:
                        raise _Declined(f"cell {index} failed")
                    if printed:
                        raise _Declined(f"cell {index} wrote to stdout/stderr")
                    cell.execution_count = count
                finally:
                    nb_man.cell_complete(cell, index)
            nb_man.nb.metadata["language_info"] = _language_info()

    papermill_engines.register(INPROCESS, InProcessEngine)


def _inprocess_allowed() -> bool:
    return (os.environ.get("CITYCASES_ENGINE", "") != "kernel" and hasattr(os, "fork")
            and sys.flags.hash_randomization == 0)  # the kernel runs with PYTHONHASHSEED=0


def _child_death_signal() -> None:
    """Linux: this process is killed when its parent dies (Ctrl-C, kill): it never writes a notebook after."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _execute_forked(nb, out_path: Path, parameters: dict | None) -> bool:
    """Execute nb in-process in a forked child that writes out_path; False if it declined (nothing written)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = _EXIT_DECLINED
        try:
            _child_death_signal()
            import papermill as pm
            if str(ROOT) not in sys.path:
                sys.path.insert(0, str(ROOT))
            if not _PRISTINE:  # the notebook imports citycases afresh, as a kernel would
                for name in [m for m in sys.modules if m == "citycases" or m.startswith("citycases.")]:
                    if name != __name__:
                        del sys.modules[name]
            _register_engine()
            executed = pm.execute_notebook(nb, None, parameters=parameters or None, kernel_name="python3",
                                           engine_name=INPROCESS, progress_bar=False,
                                           request_save_on_cell_execute=False,
                                           cwd=str(out_path.parent if out_path.parent.exists() else ROOT))
            _write_atomic(normalise(executed), out_path)
            code = 0
        except KeyboardInterrupt:
            code = 130
        except BaseException as exc:  # noqa: BLE001 -- any failure: the kernel runs it and reports it
            print(f"in-process engine declined ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
                  "running a kernel", file=sys.stderr)
            code = _EXIT_DECLINED
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, _EXIT_DECLINED):
        raise RunError(f"notebook execution interrupted (exit status {code})")
    return code == 0


# --------------------------------------------------------------------------- worker (one per runner invocation)
_RC = b"\0rc="


def serve(sock_path: str) -> int:
    """The worker: import the heavy libraries and read the tidy tables once, then fork one child per request
    (a target name on a Unix socket); the child executes the target and streams its output back, then its exit
    code. Started and stopped by main(); dies with it."""
    global _PRISTINE
    import importlib
    import signal
    import socket

    _child_death_signal()
    os.environ.update(_kernel_env())
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(64)  # requests wait here while the libraries load
    print("ready", flush=True)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:  # parsed once here and shared by every child (a tidy table edited meanwhile is re-read: keyed by mtime)
        from . import load
        from .cities import load_cities
        from .sources import load_registry
        load_cities()  # validated against the schema, cached by path
        load_registry()  # every data/sources/*.yml (YAML parsing: about 0.2 s), cached by folder
        load.read_tables(tables=load.CITY_TABLES)
    except Exception:  # noqa: BLE001 -- a bad table is reported by the notebook that reads it
        pass
    _PRISTINE = True
    children: set[int] = set()
    while True:
        conn, _ = srv.accept()
        for pid in list(children):  # reap finished children
            if os.waitpid(pid, os.WNOHANG)[0]:
                children.discard(pid)
        target = conn.makefile("rb").readline().decode("utf-8").strip()
        pid = os.fork()
        if pid:
            children.add(pid)
            conn.close()
            continue
        srv.close()
        _child_death_signal()
        rc = 1
        try:
            os.dup2(conn.fileno(), 1)
            os.dup2(conn.fileno(), 2)
            rc = execute_target(target) if target else 2
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                conn.sendall(_RC + str(rc).encode() + b"\n")
            finally:
                os._exit(rc)


def _execute_via_worker(target: str) -> int | None:
    """Run target in the worker named by $CITYCASES_WORKER; None if there is no worker to reach."""
    import socket

    path = os.environ.get("CITYCASES_WORKER")
    if not path or not Path(path).exists():
        return None
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        return None
    with conn:
        conn.sendall(target.encode("utf-8") + b"\n")
        buf = b""
        while chunk := conn.recv(65536):
            buf += chunk
    text, _, rc = buf.partition(_RC)
    for line in text.decode("utf-8", "replace").splitlines():
        print(line, file=sys.stderr if line.startswith("error:") else sys.stdout, flush=True)
    if not rc.strip().isdigit():
        print(f"error: {target}: the notebook worker stopped before finishing", file=sys.stderr, flush=True)
        return 1
    return int(rc.strip())


class Worker:
    """Context manager: a worker for this runner invocation (CITYCASES_WORKER set for the tasks doit starts)."""

    def __enter__(self):
        import subprocess
        import tempfile

        self.proc = None
        if not _inprocess_allowed_env():
            return self
        self.dir = tempfile.mkdtemp(prefix="citycases-worker-")
        self.sock = os.path.join(self.dir, "sock")
        env = {**os.environ, **_kernel_env()}
        self.proc = subprocess.Popen([sys.executable, "-m", "citycases.run", "--serve", self.sock], cwd=str(ROOT),
                                     env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        if self.proc.stdout.readline().strip() != b"ready":  # failed to start: every task runs on its own
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        else:
            os.environ["CITYCASES_WORKER"] = self.sock
        return self

    def __exit__(self, *exc):
        import shutil

        os.environ.pop("CITYCASES_WORKER", None)
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
        if self.proc is not None or hasattr(self, "dir"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


def _inprocess_allowed_env() -> bool:
    return os.environ.get("CITYCASES_ENGINE", "") != "kernel" and hasattr(os, "fork")


def execute(label: str, template: Path, out_path: Path, parameters: dict | None = None,
            title: str | None = None, key: str | None = None) -> Path:
    """Execute template into out_path (atomically, normalised). Raises RunError naming label, cell and error."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if not template.is_file():
        raise RunError(f"{label}: template {template} does not exist")
    nb = nbformat.read(template, as_version=4)
    if title is not None:
        _set_title(nb, title, template)
    os.environ.update(_kernel_env())  # the kernel inherits this process's environment
    start = time.perf_counter()
    FAILED_DIR.mkdir(parents=True, exist_ok=True)
    failed_copy = FAILED_DIR / f"{key or out_path.stem}.ipynb"
    failed_copy.unlink(missing_ok=True)
    if _inprocess_allowed() and _execute_forked(nb, out_path, parameters):
        print(f"executed {label} -> {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path} "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        return out_path
    try:
        # papermill writes the notebook here (with the traceback) when a cell fails; removed on success.
        executed = pm.execute_notebook(nb, str(failed_copy), parameters=parameters or None, kernel_name="python3",
                                       progress_bar=False, request_save_on_cell_execute=False,
                                       cwd=str(out_path.parent if out_path.parent.exists() else ROOT),
                                       execution_timeout=CELL_TIMEOUT)
    except PapermillExecutionError as exc:
        # Cell numbers as the author sees them in the template (papermill inserts a parameters cell).
        idx = exc.cell_index
        if parameters:  # injected after the parameters cell (or first, without one)
            tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
            injected_at = tagged[0] + 1 if tagged else 0
            idx = idx - 1 if idx > injected_at else (-1 if idx == injected_at else idx)
        src = nb.cells[idx].source if 0 <= idx < len(nb.cells) else exc.source
        cell_id = nb.cells[idx].get("id", "?") if 0 <= idx < len(nb.cells) else "?"
        evalue = " ".join(str(exc.evalue).split())[:300]
        where = (f"cell {idx + 1} of {template.name} (id {cell_id}, In [{exc.exec_count}]: {_first_line(src)!r})"
                 if idx >= 0 else "the injected parameters cell")
        raise RunError(f"{label}: {where} raised {exc.ename}: {evalue}  "
                       f"[traceback: {failed_copy.relative_to(ROOT)}]") from None
    except Exception as exc:  # kernel died, timeout, bad parameters...
        raise RunError(f"{label}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None
    failed_copy.unlink(missing_ok=True)
    _write_atomic(normalise(executed), out_path)
    print(f"executed {label} -> {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path} "
          f"in {time.perf_counter() - start:.1f} s", flush=True)
    return out_path


def execute_city(slug: str, template: Path = CITY_TEMPLATE, out_dir: Path = CITY_OUT) -> Path:
    cities = {c["slug"]: c for c in _registry()}
    if slug not in cities:
        raise RunError(f"unknown city slug '{slug}' (known: {', '.join(cities)})")
    return execute(f"city '{slug}'", template, out_dir / f"{slug}.ipynb", {"city": slug},
                   title=cities[slug]["name"], key=slug)


def execute_comparison(template: Path = COMPARISON_TEMPLATE, out_path: Path = COMPARISON_OUT) -> Path:
    return execute("the comparison notebook", template, out_path, key=COMPARISON)


def execute_page(target: str) -> Path:
    template, out_path, label = PAGES[target]
    return execute(label, template, out_path, key=target)


def execute_target(target: str) -> int:
    """Run one notebook now (no dependency check); write the one-line error where the runner finds it.

    The kernel's own log (ipykernel start-up warnings...) goes to artifacts/run/<target>.kernel.log, not the
    terminal: the kernel inherits file descriptor 2, which is pointed at that file while the notebook runs."""
    ERRORS_DIR.mkdir(parents=True, exist_ok=True)
    err_file = ERRORS_DIR / f"{target}.error"
    err_file.unlink(missing_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(ERRORS_DIR / f"{target}.kernel.log", "wb") as log:
            os.dup2(log.fileno(), 2)
            try:
                if target == COMPARISON:
                    execute_comparison()
                elif target in PAGES:
                    execute_page(target)
                else:
                    execute_city(target)
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    except RunError as exc:
        err_file.write_text(str(exc) + "\n", encoding="utf-8")
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        os.close(saved)
    return 0


def prune_stale() -> list[Path]:
    """Executed city notebooks whose slug left the registry would otherwise stay in the book."""
    known = set(city_slugs())
    stale = [p for p in sorted(CITY_OUT.glob("*.ipynb")) if p.stem not in known]
    for p in stale:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)} (city no longer in {CITIES_FILE.name})")
    return stale


# --------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m citycases.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("slugs", nargs="*", help="cities to execute (default: every city and the comparison)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="notebooks executed in parallel (default 2)")
    ap.add_argument("--force", action="store_true", help="execute even if the inputs did not change")
    ap.add_argument("--no-comparison", action="store_true", help="skip the comparison and evaluations notebooks")
    ap.add_argument("--execute", metavar="TARGET", help="execute one city (slug), 'comparison' or 'evaluations' now, no doit")
    ap.add_argument("--serve", metavar="SOCKET", help=argparse.SUPPRESS)  # the worker (started by the runner)
    args = ap.parse_args(argv)
    if args.serve:
        return serve(args.serve)

    try:
        known = city_slugs()
    except Exception as exc:  # DataError from a broken registry: already a readable sentence
        print(f"error: {exc}", file=sys.stderr)
        return 2
    requested = ([args.execute] if args.execute else []) + args.slugs
    unknown = [s for s in requested if s not in known and s not in PAGES]
    if unknown:
        print(f"error: unknown city slug '{unknown[0]}' (known: {', '.join(known)})", file=sys.stderr)
        return 2
    if args.execute:
        rc = _execute_via_worker(args.execute)
        return execute_target(args.execute) if rc is None else rc
    stale = stale_tables()
    if stale:
        for problem in stale:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    note = registry_newer_than_tables()
    if note:
        print(note, file=sys.stderr)

    from doit.doit_cmd import DoitMain
    from doit.cmd_base import ModuleTaskLoader
    import importlib.util

    spec = importlib.util.spec_from_file_location("dodo", ROOT / "dodo.py")
    dodo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dodo)

    if args.slugs:
        tasks = [s if s in PAGES else f"city:{s}" for s in args.slugs]
    else:
        prune_stale()
        tasks = [f"city:{s}" for s in known] + ([] if args.no_comparison else [COMPARISON, EVALUATIONS, HOME])
    ERRORS_DIR.mkdir(parents=True, exist_ok=True)
    for t in tasks:
        (ERRORS_DIR / f"{t.split(':')[-1]}.error").unlink(missing_ok=True)
    loader = ModuleTaskLoader(dodo)
    doit_args = ["run", "--continue", "-n", str(max(1, args.jobs)), "-P", "thread"]
    if args.force:
        doit_args.append("--always-execute")
    start = time.perf_counter()
    with Worker():
        rc = DoitMain(loader).run(doit_args + tasks)
    errors = [f.read_text(encoding="utf-8").strip() for t in tasks
              if (f := ERRORS_DIR / f"{t.split(':')[-1]}.error").is_file()]
    if errors or rc:
        print(f"\n{len(errors)} notebook(s) failed; the others were kept:", file=sys.stderr)
        for e in errors:
            print(f"  error: {e}", file=sys.stderr)
        return rc or 1
    print(f"notebooks up to date ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
