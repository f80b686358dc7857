"""The app in a real browser: ``streamlit run`` + headless Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from affectvlm import EMOTIONS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium; installed with apt-get when missing and we are root, else skip."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} missing and it cannot be installed here (not root?)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tiny_run, tmp_path):
    from affectvlm.commands.serve import app_command, app_env

    port = _free_port()
    cmd = app_command(port=port, address="127.0.0.1", headless=True)
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 (closed in teardown)
    proc = subprocess.Popen(
        cmd, env=app_env(tiny_run, 200, "cpu"), stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:  # the server answers its health check once it listens
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {(tmp_path / 'streamlit.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("streamlit did not start within 90 s")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_app_renders_the_prediction_in_a_real_browser(chromium, app_url, tmp_path):
    from playwright import sync_api  # a dev dependency: missing is a failure, not a skip

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            page.goto(app_url)
            page.get_by_text("Prediction:").wait_for(timeout=120_000)
            page.get_by_text("Per-view probabilities").wait_for(timeout=30_000)
            page.locator("[data-testid='stImage'] img").nth(2).wait_for(timeout=30_000)
            ranked = page.locator("table").get_by_text("a person smiling nervously")
            ranked.wait_for(timeout=30_000)  # the prompt ranking is the last thing drawn
            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot), full_page=True)
            text = page.inner_text("body")
            prompts = page.locator("textarea").input_value()
            images = page.locator("[data-testid='stImage'] img").count()
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"
    target = os.environ.get("AFFECTVLM_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)
    assert "AffectVLM" in text and "Prediction:" in text
    headline = next(line for line in text.splitlines() if line.startswith("Prediction:"))
    assert any(name in headline for name in EMOTIONS)
    assert "frontal" in text and "Per-view probabilities" in text
    assert "a person smiling nervously" in prompts and text.count("a person smiling nervously") == 1
    assert images == 3
