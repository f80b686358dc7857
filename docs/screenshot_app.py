"""Screenshot the Streamlit app for the README, served on 127.0.0.1 with a trained model.

    .venv/bin/python docs/screenshot_app.py demo_out/final/model docs/images/app.png

Starts ``affectvlm app --headless`` on a free local port, drives Debian's Chromium with
Playwright (no browser download), waits until the prediction and the prompt ranking are drawn,
and saves a full-page PNG.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def main(checkpoint: str, out: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "affectvlm", "app", "--checkpoint", checkpoint,
           "--port", str(port), "--address", "127.0.0.1", "--headless"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1750})
            page.goto(url)
            page.get_by_text("Prediction:").wait_for(timeout=120_000)
            page.locator("table").get_by_text("a person smiling nervously").wait_for(timeout=60_000)
            page.wait_for_timeout(3000)  # let the last elements settle
            page.screenshot(path=out, full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    print(f"wrote {Path(out)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
