# citycases: one command to build, one to test.
#   make book    fresh clone -> .venv, npm ci, vendored chart scripts, data check, notebooks (papermill via doit),
#                strict Jupyter Book build -> _build/html/index.html; each step runs only when its inputs changed
#   make test    everything `make book` does, then all tests (unit+data, build, nbval, browser+axe)
# CI (.ci/run) runs exactly `make test`. Reports land in artifacts/.

SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := book
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= 2
SITE := _build/html
ART := artifacts
VENDOR := book/_static/vega
VEGA_SCRIPTS := $(VENDOR)/vega.min.js $(VENDOR)/vega-lite.min.js $(VENDOR)/vega-embed.min.js

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# `$(STAMP) run NAME -- CMD` runs CMD only when NAME's inputs (files by content, the modules it imports, settings)
# changed since CMD last succeeded: a second `make book` redoes nothing (citycases/stamps.py lists each step's inputs).
STAMP := $(PY) -m citycases.stamps

# The site is built from scratch in a staging folder and moved to $(SITE) only when the build succeeded without
# a warning: a failed build never leaves a half-written site. Clean (about 5 s) whenever an input of the site
# changed (book/, _config.yml, _toc.yml, CONTRIBUTING.md, the Sphinx extension, the environment), not at all
# otherwise: an incremental Sphinx build writes slightly different pages (cache-busting ?v= ids on some assets)
# from a clean one, and the site must be the same whoever builds it (tests/test_site.py compares a second clean
# build byte for byte).
STAGING := _build/.staging
JB_BUILD := $(VENV)/bin/jupyter-book build . --config _config.yml --toc _toc.yml --builder html -n -W --keep-going \
            --path-output $(STAGING)

.PHONY: book venv node static downloads data pages pages-check new-city data-check toc toc-check notebooks site site-build site-build-locked html serve \
        chromium test test-unit test-build test-nbval test-browser bench bench-scale lock linkcheck clean help

help:
	@sed -n '2,6p' Makefile

# ---------------------------------------------------------------- environment
venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	@if [ ! -x $(PY) ]; then \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	    || { echo "error: Python 3.11+ needed (set PYTHON=python3.11)" >&2; exit 1; }; \
	  echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	@touch $@

node: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Vega, Vega-Lite and vega-embed are served from the site's own _static (no CDN, works from file://).
static: $(VEGA_SCRIPTS)

$(VENDOR)/%.min.js: node_modules/.package-lock.json
	@mkdir -p $(VENDOR)
	@src=$$(ls node_modules/$*/build/$*.min.js) && cp $$src $@ && echo "vendored $@"

# ---------------------------------------------------------------- data
data: venv
	$(PY) -m citycases.derive
	$(PY) -m citycases.pages
	@$(STAMP) check data-check >/dev/null || $(STAMP) record data-check  # the tables now are the derivation

# Pages generated from the registries (book/data.md, book/sources.md): `make book` fails if they are stale.
pages: venv
	$(PY) -m citycases.pages

pages-check: venv
	@$(STAMP) run pages-check -- $(PY) -m citycases.pages --check

# Scaffold a new city: make new-city SLUG=bogota NAME="Bogotá" COUNTRY=COL [STEP=colombia_police]
new-city: venv
	@test -n "$(SLUG)" -a -n "$(NAME)" -a -n "$(COUNTRY)" \
	  || { echo 'usage: make new-city SLUG=bogota NAME="Bogotá" COUNTRY=COL [STEP=colombia_police]' >&2; exit 1; }
	$(PY) -m citycases.scaffold --slug "$(SLUG)" --name "$(NAME)" --country "$(COUNTRY)" $(if $(STEP),--step "$(STEP)")

# The data check (citycases/derive/_check.py): the committed tables in data/tidy are valid (file, line, field, fix),
# then, where the raw sources are present, equal to a fresh derivation (raw files checksum-verified); where the
# default ../shared/sources is absent (e.g. GitHub runners) the re-derivation is skipped with a note, but a
# CITYCASES_SOURCES naming a missing folder is an error. Runs again only when a file under data/, a raw file,
# a derivation step (or a module it imports) or the sources folder changed.
data-check: venv
	@$(STAMP) run data-check -- $(PY) -m citycases.derive --check

# ---------------------------------------------------------------- book
toc: venv
	@$(STAMP) run toc -- $(PY) -m citycases.toc --write

toc-check: venv
	@$(STAMP) run toc-check -- $(PY) -m citycases.toc --check

notebooks: venv
	@mkdir -p $(ART) && flock $(ART)/.notebooks.lock $(PY) -m citycases.run --jobs $(JOBS)

# Per-city CSV downloads linked from the pages (book/_static/data/<slug>/) and the explorer page's data
# (book/_static/data/explorer-data.js): generated from data/, not committed.
DOWNLOADS := book/_static/data/.exported
downloads: $(DOWNLOADS)

$(DOWNLOADS): $(VENV)/.installed data/cities.yml $(wildcard data/tidy/*.csv data/events/*.csv data/sources/*.yml) \
              $(wildcard citycases/*.py)
	$(PY) -m citycases.load export >/dev/null
	$(PY) -m citycases.explorer >/dev/null
	@mkdir -p $(@D) && touch $@

site html: venv static toc-check pages-check downloads
	@if $(STAMP) check site; then echo "site: $(SITE) is up to date"; \
	else $(MAKE) --no-print-directory site-build && $(STAMP) record site; fi

# Only the Jupyter Book build and the swap (no prerequisites; tests/test_reliability.py runs it in a copy).
# Two builds at once (two terminals, an editor's build-on-save) take turns: the lock keeps them from sharing the
# staging folder, so neither can leave the site missing or half-written.
site-build:
	@mkdir -p $(ART) && flock $(ART)/.site.lock $(MAKE) --no-print-directory site-build-locked

site-build-locked:
	@mkdir -p $(ART) && rm -rf $(STAGING)
	NO_COLOR=1 $(JB_BUILD) 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' | tee $(ART)/sphinx-build.log \
	  || { echo "error: the site build failed (see $(ART)/sphinx-build.log); $(SITE) was left as it was" >&2; exit 1; }
	@! grep -E "WARNING|ERROR|CRITICAL" $(ART)/sphinx-build.log >/dev/null \
	  || { echo "error: the build logged warnings (see $(ART)/sphinx-build.log); $(SITE) was left as it was" >&2; \
	       exit 1; }
	@$(PY) -m citycases.swap $(STAGING)/_build/html $(SITE) && rm -rf $(STAGING)
	@echo "site updated: $(SITE)"

book: venv node static data-check toc notebooks
	@$(MAKE) --no-print-directory site
	@echo "Site: $(CURDIR)/$(SITE)/index.html  (open it from disk, or: make serve)"

serve:
	$(PY) -m http.server --bind 127.0.0.1 --directory $(SITE) 8000

# ---------------------------------------------------------------- tests
# pytest exit code 5 means "no tests collected": an error here, never a silent pass.
define pytest
	@mkdir -p $(ART); rc=0; $(PY) -m pytest $(1) --junitxml=$(ART)/junit-$(2).xml || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests ($(2))" >&2; exit 1; fi; exit $$rc
endef

# The browser tests need Debian's chromium: installed here when ${CHROMIUM:-/usr/bin/chromium} is missing (as root,
# or through sudo), so `make test` alone works on a fresh machine.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -qq \
	    && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null \
	    || { echo "error: could not install chromium (fix: apt-get install chromium, or set CHROMIUM=/path)" >&2; \
	         exit 1; }; \
	  [ -x "$(CHROMIUM)" ] || { echo "error: chromium installed but $(CHROMIUM) is missing (fix: set CHROMIUM=/path)" >&2; exit 1; }; \
	fi

# Every group runs even if an earlier one failed; the exit status is non-zero if any failed.
test: chromium book
	@failed=""; for t in unit build nbval browser; do \
	  $(MAKE) --no-print-directory test-$$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED test groups:$$failed (reports in $(ART)/)" >&2; exit 1; fi; \
	echo "all test groups passed"

test-unit: venv
	$(call pytest,tests -m "not build and not browser",unit)

test-build: venv
	$(call pytest,tests -m build,build)

test-nbval: venv
	$(call pytest,--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider book/cities book/comparison.ipynb book/evaluations.ipynb book/intro.ipynb,nbval)

test-browser: venv node
	$(call pytest,tests -m browser,browser)

# ---------------------------------------------------------------- other
bench: venv node
	$(PY) bench/build.py

# Clean build with 6, 24 and 96 cities (real Colombian municipalities added to a scratch copy's registry, never
# committed): seconds per extra city, largest page, site size. Needs the raw sources (CITYCASES_SOURCES).
bench-scale: venv node
	$(PY) bench/scale.py

# Regenerate the lock after changing requirements.txt (in a working .venv).
lock: venv
	{ echo "# Full lock of the working environment (pip freeze), used as constraints by \`make venv\`."; \
	  echo "# Regenerate after changing requirements.txt: make lock"; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

# External URLs of data/sources/*.yml (network; not part of make test; CI runs it on a schedule).
linkcheck: venv
	$(PY) .github/linkcheck.py

clean:
	rm -rf _build .doit.db $(ART) $(VENDOR)/*.min.js $(DOWNLOADS)
