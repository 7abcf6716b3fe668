"""The masters and student notebooks follow the conventions the pipeline relies on."""
from __future__ import annotations

import re

import pytest

from autograder.notebooks import load_master
from dlcourse.checks import exercises_of
from tests.conftest import CHAPTERS, ROOT, master_paths, read_nb

CHAPTER_NAMES = ["01_basics", "02_backprop", "03_optimizers", "04_cnn", "05_rnn", "06_generative"]
SETUP_LINES = ["from dlcourse import get_device, set_seed, use_available_cpus",
               "from dlcourse.checks import check", "device = get_device()",
               "num_threads = use_available_cpus()"]


def _code(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("master", master_paths(), ids=lambda p: p.stem)
class TestMaster:
    def test_named_and_tagged_as_a_course_chapter(self, master):
        nb = read_nb(master)
        assert master.stem in CHAPTER_NAMES
        assert nb["metadata"]["dlcourse"]["chapter"] == f"ch{master.name[:2]}"
        assert nb["metadata"]["kernelspec"]["name"] == "python3"

    def test_committed_without_outputs(self, master):
        for path in (master, CHAPTERS / master.name):
            for cell in _code(read_nb(path)):
                assert not cell.get("outputs") and cell.get("execution_count") is None, path

    def test_opens_with_the_standard_setup_cell(self, master):
        setup = [c for c in _code(read_nb(master)) if "setup" in c["metadata"].get("tags", [])]
        assert setup, "no cell tagged `setup`"
        for line in SETUP_LINES:
            assert line in _src(setup[0]), f"set-up cell lacks `{line}`"

    def test_every_registered_exercise_has_solution_and_check_cell(self, master):
        nb = read_nb(master)
        chapter = f"ch{master.name[:2]}"
        registered = {e.grade_id: e for e in exercises_of(chapter)}
        spec = load_master(master)
        assert set(spec.exercises) == set(registered), "notebook and dlcourse.checks disagree"
        for gid, ex in registered.items():
            cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in _code(nb)}
            solution, check = cells[gid], cells[f"{gid}_check"]
            assert "### BEGIN SOLUTION" in _src(solution) and "### END SOLUTION" in _src(solution)
            assert "skip-execution" in solution["metadata"]["tags"]
            assert "skip-execution" in check["metadata"]["tags"]
            assert check["metadata"]["nbgrader"]["locked"] is True
            assert check["metadata"]["nbgrader"]["points"] > 0
            assert re.match(rf'^check\("{gid}", [A-Za-z_][\w, ]*\)\s*$', _src(check)), _src(check)
            names = (ex.target,) if isinstance(ex.target, str) else ex.target
            for name in names:
                assert re.search(rf"^(def|class) {name}\b", _src(solution), re.M), \
                    f"{gid}: the solution cell does not define `{name}`"

    def test_hidden_tests_cover_every_exercise(self, master):
        chapter = f"ch{master.name[:2]}"
        source = (ROOT / "autograder" / "hidden_tests" / f"test_{chapter}.py").read_text()
        for gid in load_master(master).exercises:
            assert f'@exercise("{gid}")' in source, f"no hidden test for {gid}"


def test_toc_lists_exactly_the_existing_chapters_in_order():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = [c["file"] for c in toc["chapters"] if c["file"].startswith("chapters/")]
    existing = [f"chapters/{p.stem}" for p in master_paths()]
    assert listed == existing
