"""Browser tests: the built site served on 127.0.0.1, driven by Debian's chromium through Playwright.

One site build and one browser per session; each test module opens the pages it needs (loading the Python
engine costs seconds, so modules share a page where the tests do not disturb each other). Helpers that the
tests import live in tests/browser/pages.py.

DIGITS_TEST_PYMODEL_DIR / DIGITS_TEST_TFJS_MODEL_DIR point the build at other model artifacts (used while
the real ones were being trained); by default the shipped pymodel/ and web/model/ are used.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from devtools import browser
from devtools.build_site import build_site
from devtools.server import serve_in_background
from tests.browser.pages import PageHandle


def _artifact_dirs() -> dict:
    kw = {}
    if os.environ.get("DIGITS_TEST_PYMODEL_DIR"):
        kw["pymodel_dir"] = Path(os.environ["DIGITS_TEST_PYMODEL_DIR"])
    if os.environ.get("DIGITS_TEST_TFJS_MODEL_DIR"):
        kw["tfjs_model_dir"] = Path(os.environ["DIGITS_TEST_TFJS_MODEL_DIR"])
    return kw


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("site") / "site", **_artifact_dirs())


@pytest.fixture(scope="session")
def site_url(site_dir):
    with serve_in_background(site_dir) as url:
        yield url


@pytest.fixture
def serve():
    """serve(directory) -> base URL of that folder on 127.0.0.1, stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda directory: stack.enter_context(serve_in_background(directory))


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright
    if not browser.chromium_installed():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = browser.launch(p)
        yield b
        b.close()


@pytest.fixture
def open_page(chromium_browser, site_url):
    """Factory fixture: open_page(query="", python=True, **context_args) -> PageHandle (closed after the test)."""
    handles = []

    def _open(query: str = "", python: bool = True, url: str | None = None, **context_args) -> PageHandle:
        h = PageHandle(chromium_browser, url or site_url, **context_args)
        handles.append(h)
        return h.open(query, python)

    yield _open
    for h in handles:
        h.close()


@pytest.fixture(scope="session")
def mnist(mnist_test):
    images, labels = mnist_test
    return images, labels


