"""The site deployed by `build.py deploy cos` to a real S3-compatible server (moto on 127.0.0.1), opened in
Chromium straight from the bucket with a path-style URL (http://127.0.0.1:PORT/BUCKET/index.html): both
engines answer, and every request stays on the server's origin."""
from __future__ import annotations

import io
import urllib.request
from urllib.parse import urlsplit

import pytest

from devtools.cos_credentials import Credentials
from devtools.deploy_cos import deploy
from tests.browser.pages import DIGIT_STROKES, PageHandle
from tests.s3_server import DUMMY_KEYS


@pytest.fixture(scope="module")
def deployed_url(s3_server, site_dir):
    bucket = s3_server.new_bucket()
    creds = Credentials("test keys", access_key_id=DUMMY_KEYS["aws_access_key_id"],
                        secret_access_key=DUMMY_KEYS["aws_secret_access_key"])
    deploy(site_dir, bucket, s3_server.url, creds=creds, public_read=True, out=io.StringIO(), err=io.StringIO())
    yield f"{s3_server.url}/{bucket}/index.html"
    s3_server.remove_bucket(bucket)


@pytest.fixture(scope="module")
def deployed_page(chromium_browser, deployed_url):
    h = PageHandle(chromium_browser, deployed_url)
    h.open()  # TF.js and the Python engine both ready
    yield h
    h.close()


def test_deploy_site_from_the_bucket_answers_with_both_engines(deployed_page, deployed_url):
    with urllib.request.urlopen(deployed_url) as r:  # anonymous: readable because of --public-read
        assert r.headers["Content-Type"] == "text/html"
    h = deployed_page
    h.set_engine("tfjs")
    h.draw_mouse(DIGIT_STROKES["7"])
    assert h.result("tfjs")["digit"] == "7"
    h.set_engine("python")  # the same drawing, read again by the Python engine in its worker
    assert h.result("python")["digit"] == "7"
    origin = urlsplit(deployed_url)[:2]
    assert any(u.endswith("pyodide.asm.wasm") for u in h.requests)  # the worker's requests are recorded too
    foreign = [u for u in h.requests if urlsplit(u)[:2] != origin and not u.startswith(("blob:", "data:"))]
    assert foreign == []
    assert not h.errors, h.errors


def test_deploy_site_service_worker_caches_the_page_for_the_folder_url(deployed_page):
    page = deployed_page.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(300):  # the precache fills in the background once the worker is installed
        if page.evaluate("caches.match('index.html').then(r => !!r)"):
            break
        page.wait_for_timeout(100)
    folder = page.evaluate("caches.match('./').then(async r => r && [r.headers.get('content-type'), await r.text()])")
    index = page.evaluate("caches.match('index.html').then(r => r.text())")
    assert folder is not None and folder[0] == "text/html" and folder[1] == index


def test_deploy_site_reloads_offline_from_the_bucket(deployed_page):
    h, page = deployed_page, deployed_page.page
    for _ in range(300):
        if page.evaluate("!!navigator.serviceWorker.controller && caches.match('index.html').then(r => !!r)"):
            break
        page.wait_for_timeout(100)
    h.context.set_offline(True)
    try:
        page.reload()
        page.wait_for_selector("html[data-tfjs=ready]", state="attached", timeout=10_000)
    finally:
        h.context.set_offline(False)
