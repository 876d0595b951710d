"""`grade serve` as a real server process on a free loopback port, grading HW1 in the real
sandbox: results identical to the CLI's, `kill -9` mid-grading loses nothing, `grade
submit` prints what `grade PATH` prints and exits the same, and a real browser uploads a
zip and sees the feedback (headless Chromium driven over its DevTools pipe)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"
SHOTS = REPO / "artifacts" / "screenshots"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "GRADER_CACHE_DIR": "off"}


def grade(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], check=False, cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def zip_folder(folder: Path, dest: Path, *, replace: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                rel = p.relative_to(folder).as_posix()
                zf.writestr(f"{folder.name}/{rel}", (replace or {}).get(rel, p.read_bytes()))
    return dest


class Server:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.log = self.out.parent / f"server-{self.port}.log"
        with open(self.log, "w", encoding="utf-8") as log:  # a file, not a pipe nobody reads: it never fills up
            self.proc = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--assignment", "hw1", "--out",
                                          str(self.out), "--port", str(self.port), "--jobs", "2"],
                                         cwd=REPO, env=ENV, stdout=log, stderr=subprocess.STDOUT, text=True)
        end = time.monotonic() + 300
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("the server did not come up in 300 s")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def issue_tokens(out: Path, people: list[str]) -> dict[str, str]:
    roster = out.parent / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{p},{p.title()}\n" for p in people), encoding="utf-8")
    done = grade("serve", "tokens", "--assignment", "hw1", "--out", str(out), "--roster", str(roster),
                 "--instructor", "ta")
    assert done.returncode == 0, done.stderr
    rows = [line.split(",") for line in done.stdout.splitlines()[1:]]
    return {who: token for who, _, token in rows}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str], Path]]:
    tmp = tmp_path_factory.mktemp("served")
    out = tmp / "results"
    tokens = issue_tokens(out, ["alice", "bob"])
    assert grade("serve", "release", "--assignment", "hw1", "--out", str(out)).returncode == 0
    server = Server(out)
    server.start()
    try:
        yield server, tokens, tmp
    finally:
        server.stop()


def post(server: Server, token: str, path: Path) -> str:
    r = httpx.post(f"{server.url}/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                   files={"files": (path.name, path.read_bytes(), "application/zip")}, timeout=60)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def wait_done(server: Server, token: str, job: str, *, timeout: float = 300) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = httpx.get(f"{server.url}/api/v1/submissions/{job}", params={"wait": 20},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
        status: dict[str, Any] = r.json()
        if status["state"] in ("done", "failed"):
            return status
    raise AssertionError(f"{job} not graded in {timeout} s")


def result_bytes(server: Server, token: str, job: str) -> bytes:
    r = httpx.get(f"{server.url}/api/v1/submissions/{job}/result", headers={"Authorization": f"Bearer {token}"},
                  timeout=30)
    assert r.status_code == 200, r.text
    return r.content


def test_kill_9_mid_grading_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results"
    tokens = issue_tokens(out, ["alice", "bob", "carol"])
    assert grade("serve", "release", "--assignment", "hw1", "--out", str(out)).returncode == 0
    # a submission whose Lab 1 sleeps in every call: grading it takes seconds, long enough to kill
    slow_lab1 = (EXAMPLE / "lab1.py").read_text(encoding="utf-8").replace(
        "def lms(", "import time as _t\n_t.sleep(3)\n\ndef lms(", 1).encode()
    archives = {"alice": zip_folder(EXAMPLE, tmp_path / "slow.zip", replace={"lab1.py": slow_lab1}),
                "bob": zip_folder(EXAMPLE, tmp_path / "example.zip"),
                "carol": zip_folder(EXAMPLE, tmp_path / "again.zip")}
    server = Server(out)
    server.start()
    try:
        jobs = {who: post(server, tokens[who], archives[who]) for who in archives}
        end = time.monotonic() + 120
        while time.monotonic() < end:  # kill once the slow one is being graded
            st = httpx.get(f"{server.url}/api/v1/submissions/{jobs['alice']}",
                           headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=10).json()
            if st["state"] == "running":
                break
            assert st["state"] == "queued", st
            time.sleep(0.05)
        assert st["state"] == "running", st
        server.kill9()
    finally:
        server.stop()
    again = Server(out)
    again.start()
    try:
        for who, job in jobs.items():
            assert wait_done(again, tokens[who], job)["state"] == "done"
            got = result_bytes(again, tokens[who], job)
            cli = tmp_path / f"{who}.json"
            done = grade(str(archives[who]), "--json", str(cli), "--quiet")
            assert done.returncode == 0, done.stderr
            assert got == cli.read_bytes(), who
        listed = httpx.get(f"{again.url}/api/v1/submissions", headers={"Authorization": f"Bearer {tokens['ta']}"},
                           timeout=30).json()
        assert sorted(j["id"] for j in listed) == sorted(jobs.values())  # none lost, none twice
        with sqlite3.connect(out / "service.sqlite") as db:
            attempts = dict(db.execute("SELECT id, attempts FROM jobs").fetchall())
        assert attempts[jobs["alice"]] == 2  # killed while graded, graded again once
    finally:
        again.stop()


def test_grade_submit_prints_and_exits_like_grade(served: tuple[Server, dict[str, str], Path]) -> None:
    server, tokens, tmp = served
    for extra, code in (([], 0), (["--fail-under", "95"], 3)):
        local = grade(str(EXAMPLE), *extra)
        remote = grade("submit", str(EXAMPLE), "--server", server.url, "--token", tokens["alice"], *extra)
        assert (remote.returncode, local.returncode) == (code, code), remote.stderr
        assert remote.stdout == local.stdout
    junk = tmp / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    local = grade(str(junk))
    remote = grade("submit", str(junk), "--server", server.url, "--token", tokens["alice"])
    assert local.returncode == remote.returncode == 2
    assert "not a valid zip" in remote.stderr and "not a valid zip" in local.stderr
    bad = grade("submit", str(EXAMPLE), "--server", server.url, "--token", "wrong")
    assert bad.returncode == 2 and "token" in bad.stderr


# --------------------------------------------------------------------------- the browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _high(fd: int) -> int:
    """The fd moved to 10 or above: `3<&X 4>&Y` must not overwrite X or Y (bash: dash takes one-digit fds only)"""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class DevTools:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out):
    no websocket library needed."""

    def __init__(self, chromium: str, profile: str) -> None:
        to_r, self._to_w = (_high(fd) for fd in os.pipe())
        self._from_r, from_w = (_high(fd) for fd in os.pipe())
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--remote-debugging-pipe", "--window-size=1280,1600",
                 f"--user-data-dir={profile}", "about:blank"]
        with open(Path(profile) / "stderr.log", "wb") as log:
            self.proc = subprocess.Popen(["bash", "-c", f'exec "$0" "$@" 3<&{to_r} 4>&{from_w}', chromium, *flags],
                                         pass_fds=(to_r, from_w), stdout=subprocess.DEVNULL, stderr=log,
                                         env={**os.environ, "HOME": profile})
        os.close(to_r)
        os.close(from_w)
        self.profile = profile
        self._buf = b""
        self._id = 0
        self.session: str | None = None

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            while b"\0" not in self._buf:
                chunk = os.read(self._from_r, 1 << 16)
                assert chunk, "Chromium closed the pipe: " + self.log()
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return dict(reply.get("result", {}))
        raise AssertionError(f"{method}: no reply")

    def log(self) -> str:
        path = Path(self.profile) / "stderr.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", url=url)["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def js(self, expr: str) -> Any:
        return self.call("Runtime.evaluate", expression=expr, returnByValue=True)["result"].get("value")

    def until(self, expr: str, timeout: float = 120) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.js(f"document.readyState === 'complete' && ({expr})")
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"not true within {timeout} s: {expr}\n{self.js('document.body && document.body.innerText')}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
        os.close(self._to_w)
        os.close(self._from_r)


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (setup.sh installs it when run as root)")
def test_browser_uploads_a_zip_and_sees_the_feedback(served: tuple[Server, dict[str, str], Path]) -> None:
    server, tokens, tmp = served
    archive = zip_folder(EXAMPLE, tmp / "example.zip")
    chromium = _chromium()
    assert chromium is not None
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        dt = DevTools(chromium, profile)
        try:
            dt.open(server.url + "/")
            dt.until("!!document.getElementById('token')")
            # a person types the token and presses the button; the page itself runs no script
            dt.js(f"document.getElementById('token').value = {json.dumps(tokens['bob'])};"
                  "document.getElementById('login').click()")
            dt.until("!!document.getElementById('files')")
            root = dt.call("DOM.getDocument")["root"]["nodeId"]
            node = dt.call("DOM.querySelector", nodeId=root, selector="#files")["nodeId"]
            dt.call("DOM.setFileInputFiles", files=[str(archive)], nodeId=node)
            dt.js("document.getElementById('submit').click()")
            total = dt.until("document.getElementById('total') && document.getElementById('total').textContent", 300)
            assert total == "total: 88 / 100"
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot = dt.call("Page.captureScreenshot")["data"]
            (SHOTS / "service-submission.png").write_bytes(base64.b64decode(shot))
            dt.js("document.getElementById('feedback').click()")
            text = dt.until("location.pathname.endsWith('/feedback') && document.body.innerText")
            assert "What each check found" in text and "88" in text
            assert dt.js("document.scripts.length") == 0
            (SHOTS / "service-feedback.png").write_bytes(base64.b64decode(dt.call("Page.captureScreenshot")["data"]))
        finally:
            dt.close()


def test_grade_submit_needs_no_torch() -> None:
    """A student's CI submits without torch (nor the server's FastAPI) being imported."""
    code = ("import sys\nfrom grader.cli import main\ntry:\n    main(['submit', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'fastapi', 'uvicorn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=ENV, capture_output=True, text=True, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
