"""Helpers of the website and JupyterLab tests: a local web server for ``_build/html``, headless
Chromium (Debian's ``/usr/bin/chromium`` driven by Selenium through ``/usr/bin/chromedriver``,
never a downloaded browser), a JupyterLab server with a token, and a kernel client that talks to
the server's REST and websocket API as JupyterLab does.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
INSTRUCTOR_HTML = ROOT / "_build" / "instructor" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage", "--disable-default-apps", "--disable-extensions",
    "--window-size=1280,1600",
    # The site must work offline: no host but this machine resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


def toc_chapters() -> list[str]:
    """The chapter documents listed in ``_toc.yml`` (``chapters/01_basics``, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = []
    def walk(entries):
        for entry in entries or []:
            if "file" in entry and str(entry["file"]).startswith("chapters/"):
                found.append(str(entry["file"]).removesuffix(".ipynb"))
            walk(entry.get("sections"))
            for part in entry.get("parts", []) or []:
                walk(part.get("chapters"))
    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return found


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


# --- a static web server ---

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_directory(directory: Path):
    """Serve ``directory`` on ``http://127.0.0.1:PORT`` from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- headless Chromium ---

def chromium_missing() -> str | None:
    """Why Chromium cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path and os.path.isfile(path) and os.access(path, os.X_OK)):
            return (f"{path} is missing: install Debian's chromium and chromium-driver "
                    "(.ci/run does: apt-get install -y chromium chromium-driver)")
    return None


@contextlib.contextmanager
def chromium():
    """A Selenium driver for headless Chromium with a new empty profile; console logs kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list[str]:
    """Console errors, uncaught exceptions and failed loads since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate()`` until it returns something truthy; return it (or the last value)."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


# --- JupyterLab and a kernel through its API ---

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """``jupyter lab`` on localhost with a token, serving ``root_dir``; stopped by ``stop()``.

    ``settings`` are user settings of JupyterLab plugins, e.g.
    ``{"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}``, written to a
    fresh settings folder so that nothing of the user's own settings is read or changed.
    """

    def __init__(self, root_dir: Path, settings: dict | None = None):
        self.token = uuid.uuid4().hex
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="jupyterlab-", suffix=".log", delete=False)
        jupyter = str(Path(sys.executable).parent / "jupyter")
        settings_dir = Path(tempfile.mkdtemp(prefix="jupyterlab-settings-"))
        for plugin, values in (settings or {}).items():
            package, _, name = plugin.partition(":")
            (settings_dir / package).mkdir(parents=True, exist_ok=True)
            (settings_dir / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               "JUPYTER_RUNTIME_DIR": tempfile.mkdtemp(prefix="jupyter-runtime-"),
               "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
               # a fresh workspace: no notebook of an earlier session is reopened beside ours
               "JUPYTERLAB_WORKSPACES_DIR": tempfile.mkdtemp(prefix="jupyterlab-workspaces-")}
        self.proc = subprocess.Popen(
            [jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root_dir}",
             "--ServerApp.port_retries=0", "--ServerApp.allow_root=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=root_dir, start_new_session=True)
        ok = wait_for(self._ready, timeout=90, interval=0.5)
        if not ok:
            self.stop()
            raise RuntimeError(f"JupyterLab did not start:\n{Path(self.log.name).read_text()[-3000:]}")

    def _ready(self):
        if self.proc.poll() is not None:
            return True  # exited: reported by the request below
        try:
            return self.request("GET", "/api/status") is not None
        except OSError:
            return False

    def request(self, method: str, path: str, body=None, raw: bool = False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            content = resp.read()
            return content.decode() if raw else (json.loads(content) if content else {})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ServerKernel:
    """A kernel of a notebook session opened through the server, driven over its websocket."""

    def __init__(self, lab: JupyterLab, notebook_path: str):
        import websocket

        self.lab = lab
        self.session = lab.request("POST", "/api/sessions", {
            "path": notebook_path, "name": Path(notebook_path).name, "type": "notebook",
            "kernel": {"name": "python3"}})
        self.kernel_id = self.session["kernel"]["id"]
        self.client_session = uuid.uuid4().hex
        ws_url = (lab.url.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
                  f"?session_id={self.client_session}")
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {lab.token}"],
                                              timeout=600)

    def execute(self, code: str, timeout: float = 600) -> dict:
        """Run ``code``; return {"status", "text" (stdout, stderr, results, errors)}."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": self.client_session, "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        text, status, idle = [], None, False
        deadline = time.monotonic() + timeout
        while not (idle and status):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply within {timeout} s to:\n{code[:300]}")
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                text.append("\n".join(content.get("traceback", [])) or content.get("evalue", ""))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                status = content["status"]
        return {"status": status, "text": "".join(text)}

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(Exception):
            self.lab.request("DELETE", f"/api/sessions/{self.session['id']}")


# --- the instructor edition, built once per test run ---

def ensure_instructor_build() -> Path:
    """Run ``book/build_instructor.py`` once per test run; return ``_build/instructor/html``.

    The pytest-xdist workers of one run share the build: the first builds it under a lock and
    stamps it with the run's id, the others wait for it.
    """
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid {os.getpid()}")
    stamp = INSTRUCTOR_HTML.parent / ".built-by-run"
    (ROOT / "_build").mkdir(exist_ok=True)
    with open(ROOT / "_build" / ".instructor-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.is_file() and stamp.read_text() == run_id):
            stamp.unlink(missing_ok=True)
            env = {**os.environ,
                   "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
            proc = subprocess.run([sys.executable, str(ROOT / "book" / "build_instructor.py")],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000)
            if proc.returncode != 0:
                raise AssertionError("make book-instructor failed:\n" + proc.stdout[-3000:]
                                     + proc.stderr[-3000:])
            stamp.write_text(run_id)
    return INSTRUCTOR_HTML
