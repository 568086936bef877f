"""One place for how this project launches Debian's headless Chromium (tests, bench, screenshots)."""
from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Playwright cannot download its own browsers here; Debian's chromium is used instead. The background-
# networking flags keep it from trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


def launch(playwright):
    """A headless Chromium browser from a running `sync_playwright()`."""
    if not chromium_installed():
        raise RuntimeError(f"{CHROMIUM} is missing: run `python3 build.py setup` (installs Debian's chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
