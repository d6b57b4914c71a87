"""Browser tests of the sandbox page: Debian's chromium driven by Playwright, against the real
`dondoc run` (no token) in a subprocess on free ports.

What they need is installed here, by the test command itself: chromium with apt-get when it is
missing and apt-get can be used (root), the `playwright` Python package with pip. Playwright's own
browser download (`playwright install`) is never used. When either cannot be had, the tests are
skipped with the reason. Screenshots of each step go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("DONDOC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# chromium, and fonts so that the screenshots show Vietnamese and emoji as people see them
APT_PACKAGES = ("chromium", "fonts-dejavu-core", "fonts-noto-color-emoji")
APT_TIMEOUT = 900
PIP_TIMEOUT = 600
SERVER_START = 60.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: the sandbox page in a real headless chromium (tests/browser)"
    )


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, timeout=APT_TIMEOUT, env=env
    )


def _install_chromium() -> str | None:
    """Install chromium with apt-get if it is missing; the reason it cannot be had, else None."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and apt-get is not available to install chromium"
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing and installing it with apt-get needs root"
    try:
        done = _apt("install", "-y", "--no-install-recommends", *APT_PACKAGES)
        if done.returncode != 0:  # a fresh machine has no package lists yet
            _apt("update")
            done = _apt("install", "-y", "--no-install-recommends", *APT_PACKAGES)
        if done.returncode != 0:  # the fonts are a nicety: chromium alone
            done = _apt("install", "-y", "--no-install-recommends", "chromium")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"apt-get install chromium failed: {exc}"
    if done.returncode != 0 or not CHROMIUM.exists():
        return f"apt-get install chromium failed: {_tail(done.stderr or done.stdout)}"
    return None


def _install_playwright() -> str | None:
    """pip-install the playwright package if it is missing (never its browser download)."""
    with contextlib.suppress(ImportError):
        importlib.import_module("playwright.sync_api")
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "playwright"],
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pip install playwright failed: {exc}"
    if done.returncode != 0:
        return f"pip install playwright failed: {_tail(done.stderr or done.stdout)}"
    importlib.invalidate_caches()
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError as exc:
        return f"playwright installed but cannot be imported: {exc}"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium (Debian's), through Playwright; the tests skip when it cannot run.
    Module-scoped: sync Playwright holds an event loop in this thread while it runs, which the
    asyncio tests collected after these must not find."""
    reason = _install_chromium() or _install_playwright()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
            )
        except Error as exc:
            pytest.skip(f"chromium does not start: {_tail(str(exc))}")
        try:
            yield chromium
        finally:
            chromium.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    """`dondoc run` without a token, in a subprocess: the page at `url`."""

    url: str
    process: subprocess.Popen[str]
    log: Path

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = httpx.request(method, self.url + path, timeout=30, **kwargs)
        resp.raise_for_status()
        return resp.json()


def _dondoc_env(data_dir: Path, api_port: int, web_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_DATA_DIR=str(data_dir),
        DONDOC_SANDBOX_HOST="127.0.0.1",
        DONDOC_SANDBOX_API_PORT=str(api_port),
        DONDOC_SANDBOX_WEB_PORT=str(web_port),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The product's run command with no token, as a newcomer runs it (its own data dir)."""
    home = tmp_path_factory.mktemp("sandbox")
    web_port = _free_port()
    env = _dondoc_env(home / "data", _free_port(), web_port)
    log = home / "dondoc-run.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    box = Sandbox(f"http://127.0.0.1:{web_port}", process, log)
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if process.poll() is not None:
                pytest.fail(f"dondoc run ended early:\n{log.read_text(encoding='utf-8')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(box.url + "/api/state", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the sandbox page did not answer:\n{log.read_text(encoding='utf-8')}")
            time.sleep(0.2)
        yield box
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Saves a screenshot per step: tests/artifacts/<test>/<NN-step>.png."""
    folder: Path = ARTIFACTS / str(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0

    def shot(page: Any, step: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    yield shot
