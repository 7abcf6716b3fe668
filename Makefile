# The commands a person types. Every target sets up .venv first when needed.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# nbgrader and jupyter-book call other tools (alembic, jupyter) by name.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export MPLBACKEND := Agg

.PHONY: help book release test test-fast lab grade clean

help:
	@echo "make book      build the website into _build/html"
	@echo "make test      run every check (book, notebooks, library, grader)"
	@echo "make lab       start JupyterLab on the course"
	@echo "make release   regenerate chapters/ from solutions/ with nbgrader"
	@echo "make grade SUBMISSION=path   grade a notebook or a folder of notebooks"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PY) -m pip install --quiet -r requirements.txt 2>&1 | grep -v "is ignored" || true
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import torch, dlcourse, autograder, nbgrader, jupyter_book, mnist1d, sklearn"
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

release: $(STAMP)
	$(PY) tools/release.py

test: $(STAMP) book
	$(PY) tools/release.py --check
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
	    -p tests.plugins.notebook_timing solutions/
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. chapters/

grade: $(STAMP)
	$(PY) -m autograder $(SUBMISSION)

clean:
	rm -rf _build

# --- the instructor edition and the browser tests (issue 8) ---
.PHONY: book-instructor test-browser

book-instructor: $(STAMP)
	$(PY) book/build_instructor.py

test-browser: $(STAMP) book
	$(PY) -m pytest -m browser tests/test_browser.py
