"""A real headless Chromium (Debian's /usr/bin/chromium + /usr/bin/chromedriver) driven by selenium.

Nothing is downloaded: selenium is pointed at the installed browser and driver (Selenium Manager is
never asked), and Chromium runs with its background networking off and a fresh profile.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("STORYBEAM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("STORYBEAM_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1800"]


def require_browser() -> None:
    """Skip where Chromium is not installed (make install puts it there); on CI a missing browser fails."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        message = f"not installed: {', '.join(missing)} (make install runs apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium(profile_dir: Path) -> Iterator["object"]:
    require_browser()
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile_dir}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
