"""Run a GitHub Actions workflow's own `run:` steps on this machine, and make fake student
repositories, for the tests of grading/*.yml.

A step runs as GitHub runs it (bash -eo pipefail, or python for `shell: python`) in a workspace
folder, with the workflow's, job's and step's `env:`. Every `${{ ... }}` in them must be given a
value by the test, so a test stops the moment the workflow uses an expression it did not foresee.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from tests.conftest import ROOT

EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def load_workflow(name: str) -> dict:
    flow = yaml.safe_load((ROOT / "grading" / name).read_text())
    flow["on"] = flow.pop(True, flow.get("on"))  # YAML 1.1 reads the key `on` as True
    return flow


def step(flow: dict, job: str, step_id: str) -> dict:
    return next(s for s in flow["jobs"][job]["steps"] if s.get("id") == step_id)


def expand(text: str, values: dict[str, str]) -> str:
    def one(match):
        if match.group(0) not in values:
            raise AssertionError(f"the test gives no value for {match.group(0)}")
        return values[match.group(0)]
    return EXPRESSION.sub(one, str(text))


def run_step(flow: dict, job: str, step_id: str, workspace: Path, values: dict[str, str],
             timeout: float = 1800, pythonpath: Path = ROOT) -> subprocess.CompletedProcess:
    """Run one `run:` step of ``job`` in ``workspace``; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are
    files in workspace/.github-files; ``pythonpath`` comes first on PYTHONPATH (the checkout whose
    packages the step imports). Returns the finished process (check its returncode)."""
    s = step(flow, job, step_id)
    assert "${{" not in s["run"], f"{step_id}: expressions belong in env:, not in the script"
    files = workspace / ".github-files"
    files.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STUDENT_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
               PYTHONPATH=f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep),
               GITHUB_OUTPUT=str(files / f"output-{job}-{step_id}"),
               GITHUB_STEP_SUMMARY=str(files / f"summary-{job}-{step_id}.md"),
               GITHUB_WORKSPACE=str(workspace))
    for scope in (flow.get("env", {}), flow["jobs"][job].get("env", {}), s.get("env", {})):
        env.update({k: expand(v, values) for k, v in scope.items()})
    if s.get("shell") == "python":
        cmd = [sys.executable, "-c", s["run"]]
    else:
        assert s.get("shell", "bash") == "bash", f"{step_id}: shell {s.get('shell')} not supported here"
        cmd = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]]
    return subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=timeout)


def outputs(workspace: Path, job: str, step_id: str) -> dict[str, str]:
    """The name=value lines a step wrote to GITHUB_OUTPUT."""
    path = workspace / ".github-files" / f"output-{job}-{step_id}"
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def course_workspace(folder: Path) -> Path:
    """A folder that looks like a checkout of the course (links to this repository's files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("grading", "autograder", "dlcourse", "solutions", "requirements.txt",
                 "pyproject.toml"):
        (folder / name).symlink_to(ROOT / name)
    return folder


# --- fake student repositories ---

def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Student", "GIT_AUTHOR_EMAIL": "student@example.org",
           "GIT_COMMITTER_NAME": "Student", "GIT_COMMITTER_EMAIL": "student@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    return path


def commit(repo: Path, files: dict[str, bytes | str | None], when: datetime,
           message: str = "work") -> str:
    """Write (or, for None, delete) ``files`` and commit them at ``when``; returns the SHA."""
    for name, content in files.items():
        path = repo / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("symlink:"):
            path.symlink_to(content.removeprefix("symlink:"))
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def a_deadline() -> datetime:
    """A deadline in the past (the collection uses the earlier of deadline and now), to the second."""
    return (datetime.now(timezone.utc) - timedelta(days=10)).replace(microsecond=0)
