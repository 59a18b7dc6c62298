# The talk's build. `make` builds everything, `make test` checks everything; `make help` lists the rest.
# Real file dependencies: a second `make` with nothing changed does nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MARP := node_modules/.bin/marp
CHROMIUM := $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)

DECKS := $(sort $(wildcard slides/[0-9][0-9]-*.md))
NOTEBOOKS := $(DECKS:slides/%.md=notebooks/%.ipynb)
EXERCISES := $(patsubst exercises/source/%.md,exercises/%.ipynb,$(sort $(wildcard exercises/source/*.md)))
PACKAGE := $(shell find src -name '*.py' -not -path '*/__pycache__/*')
PICTURES := $(wildcard tools/pictures/*.py)
LOOK := slides/theme/autodiff.css .marprc.yml
TALK := build/talk.md

VENV_OK := $(VENV)/.installed
NODE_OK := node_modules/.installed
IMAGES_OK := build/images.stamp
TIMING_OK := build/timing.stamp

.DEFAULT_GOAL := all
.PHONY: all setup notebooks images talk pdf timing test serve snippets sync lab bench clean help

all: notebooks images talk timing ## venv, npm, notebooks, images, the talk (HTML, PDF when Chromium is present), README's timing

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:[^#]*## /\t/' | expand -t 12

setup: $(VENV_OK) $(NODE_OK) ## .venv with the package (editable, dev extras) and node_modules

$(VENV_OK): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -e ".[dev]"
	touch $@

$(NODE_OK): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

notebooks: $(NOTEBOOKS) $(EXERCISES) ## regenerate notebooks/ from slides/, exercises/ from exercises/source/ (one direction)

notebooks/%.ipynb: slides/%.md tools/notebooks.py tools/deck.py jupytext.toml | $(VENV_OK)
	$(PY) tools/notebooks.py build $<

exercises/%.ipynb: exercises/source/%.md tools/notebooks.py tools/deck.py jupytext.toml | $(VENV_OK)
	$(PY) tools/notebooks.py build $<

images: $(IMAGES_OK) ## run tools/pictures/*.py and the logos into images/

$(IMAGES_OK): $(PICTURES) $(PACKAGE) bench/results.json tools/images.py $(NODE_OK) | $(VENV_OK)
	$(PY) tools/images.py images
	@mkdir -p $(@D) && touch $@

talk: build/talk.html $(if $(CHROMIUM),build/talk.pdf) ## build/talk.html, the presented talk (press p: presenter view), and its PDF

$(TALK): $(DECKS) tools/talk.py tools/deck.py | $(VENV_OK)
	$(PY) tools/talk.py $@

build/talk.html: $(TALK) $(LOOK) | $(IMAGES_OK) $(NODE_OK)
	$(MARP) $< -o $@

pdf: build/talk.pdf ## build/talk.pdf, the fallback for a borrowed laptop (needs Debian's chromium)

build/talk.pdf: $(TALK) $(LOOK) $(IMAGES_OK) | $(NODE_OK)
	$(if $(CHROMIUM),,$(error no Chromium: apt-get install chromium))
	$(MARP) --pdf --browser-path $(CHROMIUM) $< -o $@

timing: $(TIMING_OK) ## rewrite README's timing table from the presented slides (tools/timing.py)

$(TIMING_OK): $(DECKS) tools/timing.py tools/talk.py tools/deck.py tools/readme.py | $(VENV_OK)
	$(PY) tools/timing.py
	@mkdir -p $(@D) && touch $@

test: $(VENV_OK) $(NODE_OK) ## check what is committed: pytest over tests/ and nbval over notebooks/
	$(PY) -m pytest  # testpaths tests/ notebooks/, nbval options: pyproject.toml

serve: $(VENV_OK) $(NODE_OK) $(IMAGES_OK) ## the talk on http://127.0.0.1:8000/, rebuilt and reloaded on every save (PORT=...)
	$(PY) tools/serve.py $(PORT)

snippets: $(VENV_OK) ## rewrite slide code fences from the package source, then the notebooks
	$(PY) tools/snippets.py
	$(MAKE) --no-print-directory notebooks

sync: $(VENV_OK) ## after editing a notebook in Jupyter: bring the edit back into its slides
	$(PY) tools/notebooks.py sync

lab: $(VENV_OK) ## JupyterLab on 127.0.0.1, open at exercises/ (notebooks/ is next to it); installs the `lab` extra once
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install -e ".[dev,lab]"
	$(VENV)/bin/jupyter-lab --ip=127.0.0.1 --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/exercises \
		$(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(VENV_OK) ## run bench/bench.py (peers: pip install -e ".[bench]"), then the README's table and the charts
	$(PY) bench/bench.py
	$(PY) tools/bench_table.py
	$(MAKE) --no-print-directory images

clean: ## remove build/ (the venv and node_modules stay)
	rm -rf build
