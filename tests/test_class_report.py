"""The class report (report.html and its CSV data), from made-up outcomes of a class: failures
grouped by named mistake, messages grouped with their numbers blanked, the students who need
attention, a page that is self-contained and the same every time; and, in headless Chromium,
offline, the page loads with its figures and no error (a screenshot is saved)."""
from __future__ import annotations

import csv
import filecmp
import html
import re

import pytest

from autograder.batch import StudentOutcome, course_columns
from autograder.class_report import write_class_report
from autograder.grade import ExerciseResult, NotebookResult
from dlcourse.checks import get_exercise
from tests.conftest import SOLUTIONS

COLUMNS = course_columns(SOLUTIONS.resolve())
FIRST = COLUMNS[0]                       # 1.1
MISTAKE = sorted(get_exercise(FIRST.grade_id).mistakes)[0]
MISTAKE_TEXT = get_exercise(FIRST.grade_id).mistakes[MISTAKE]


def result(column, status, messages=(), mistakes=()):
    points = column.points if status == "correct" else 0.0
    return ExerciseResult(column.grade_id, column.title, column.points, points, status,
                          list(messages), list(mistakes), column.number)


def outcome(student, first, status="completed", reason=""):
    """A student with everything right except exercise 1.1, which is ``first``."""
    exercises = [first] + [result(c, "correct") for c in COLUMNS[1:]]
    chapters = {}
    for e in exercises:
        chapters.setdefault(e.grade_id[:4], []).append(e)
    return StudentOutcome(student, status, [NotebookResult(f"{ch}.ipynb", ch, es)
                                            for ch, es in chapters.items()], reason)


def named(student):
    return outcome(student, result(FIRST, "incorrect",
                                   [f"This looks like a known mistake: {MISTAKE_TEXT}",
                                    f"fails the hidden test \"dense hidden inputs\": max abs "
                                    f"difference {len(student) * 0.37:.2f}"], [MISTAKE]))


def unnamed(student, difference):
    return outcome(student, result(FIRST, "incorrect", [
        f"fails the hidden test \"dense hidden inputs\": max abs difference {difference} at "
        f"index (3, 1)"]))


CLASS = [
    outcome("ana", result(FIRST, "correct")),
    named("ben"), named("cai"), named("dora"),
    unnamed("eli", 0.25), unnamed("fe", 1.5e-3),
    outcome("gil", result(FIRST, "not attempted", ["not attempted: the cell still raises "
                                                   "NotImplementedError"])),
    outcome("hal", result(FIRST, "timeout", ["time limit of 30 s exceeded (an infinite loop, "
                                             "or very slow code?)"]), status="timeout"),
    StudentOutcome("ivy", "invalid", [], "ivy.ipynb: not a valid notebook (broken JSON at line 1, "
                                         "column 3)"),
    StudentOutcome("jo", "crashed", [], "the grader failed: the grading worker did not start"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    write_class_report(CLASS, COLUMNS, out)
    return out


def rows(path):
    return list(csv.DictReader(path.open()))


def test_failures_grouped_by_named_mistake_then_by_message(report):
    reasons = [r for r in rows(report / "report_reasons.csv") if r["grade_id"] == FIRST.grade_id]
    top = reasons[0]
    assert (top["kind"], top["key"], top["students"], top["who"]) == ("mistake", MISTAKE, "3",
                                                                      "ben cai dora")
    assert top["reason"] == MISTAKE_TEXT
    messages = [r for r in reasons if r["kind"] == "message"]
    assert len(messages) == 1 and messages[0]["students"] == "2"  # numbers blanked: one group
    assert "#" in messages[0]["reason"] and "0.25" not in messages[0]["reason"]
    statuses = {r["key"]: r["who"] for r in reasons if r["kind"] == "status"}
    assert statuses == {"not attempted": "gil", "timeout": "hal"}
    page = (report / "report.html").read_text()
    assert MISTAKE in page and html.escape(MISTAKE_TEXT) in page


def test_pass_rates_and_scores(report):
    exercises = {r["grade_id"]: r for r in rows(report / "report_exercises.csv")}
    first = exercises[FIRST.grade_id]
    assert first["exercise"] == "1.1" and first["students"] == "8"
    assert first["pass_rate"] == "0.125" and first["correct"] == "1"
    assert all(r["pass_rate"] == "1.000" for g, r in exercises.items() if g != FIRST.grade_id)
    scores = rows(report / "report_scores.csv")
    assert sum(int(r["students"]) for r in scores) == 8  # ivy and jo were not graded
    assert [r["exercise"] for r in exercises.values()][:3] == ["1.1", "1.2", "1.3"]


def test_students_who_need_attention(report):
    attention = {r["student"]: r for r in rows(report / "report_attention.csv")}
    assert set(attention) == {"hal", "ivy", "jo"}
    assert attention["hal"]["exercises"] == "1.1 timeout"
    assert "broken JSON" in attention["ivy"]["reason"]


def test_page_is_self_contained_and_reproducible(report, tmp_path):
    page = (report / "report.html").read_text()
    assert "<script" not in page and "@import" not in page and "url(" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    links = re.findall(r'href="([^"]*)"', page)
    assert links and all(not re.match(r"[a-z]+:", link) for link in links)  # local files only
    write_class_report(CLASS, COLUMNS, tmp_path)
    names = sorted(p.name for p in report.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(report, tmp_path, names, shallow=False)
    assert not mismatch and not errors


@pytest.mark.browser
def test_report_in_a_real_browser_offline(report):
    from tests.browser_support import SCREENSHOTS, chromium, chromium_missing, console_errors, wait_for

    why = chromium_missing()
    if why:
        pytest.fail(why)
    with chromium() as driver:
        driver.get((report / "report.html").as_uri())
        wait_for(lambda: driver.execute_script("return document.readyState") == "complete", 60)
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
        assert len(images) == 2 and all(done and width > 300 for done, width, _ in images), images
        assert not console_errors(driver)
        headings = driver.execute_script(
            "return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        assert headings == ["Scores", "Students who need attention", "Exercises",
                            "Most frequent reasons for losing an exercise"]
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(height + 50, 4000))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / "class-report.png"))
