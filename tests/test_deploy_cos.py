"""`build.py deploy cos` against a real S3-compatible server (moto, on 127.0.0.1): what lands in the bucket,
what a second deployment sends, prune, dry run, public read, and the messages for bad credentials and
unreachable endpoints. Nothing here talks to IBM or AWS."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from devtools.build_site import build_site, vendor_dirs
from devtools.cos_credentials import Credentials
from devtools.deploy_cos import DeployError, Progress, deploy
from devtools.deploy_plan import IMMUTABLE, REVALIDATE, cache_control
from devtools.server import content_type
from tests.helpers import ROOT
from tests.s3_server import DUMMY_KEYS

HMAC = Credentials("test keys", access_key_id=DUMMY_KEYS["aws_access_key_id"],
                   secret_access_key=DUMMY_KEYS["aws_secret_access_key"])
DIRS = vendor_dirs()
WASM = f"{DIRS['pyodide']}/pyodide.asm.wasm"  # a runtime in a version-named folder: cached as immutable
CORE = f"{DIRS['pyscript']}/core.js"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("deploy") / "site")


@pytest.fixture
def site(built_site, tmp_path) -> Path:
    """A copy of the built site that the test may change."""
    return Path(shutil.copytree(built_site, tmp_path / "site"))


@pytest.fixture
def bucket(s3_server, cos_env):
    name = s3_server.new_bucket()
    yield name
    s3_server.remove_bucket(name)


def run(site, bucket, server, creds=HMAC, **kw):
    """deploy() with everything it prints in one stream (so the order of uploads and deletions shows)."""
    log = io.StringIO()
    plan = deploy(site, bucket, server.url, creds=creds, out=log, err=log, **kw)
    return plan, log.getvalue()


def uploaded(log: str) -> list[str]:
    """Keys in the order the progress bar reported them."""
    return [line.rsplit("  ", 1)[1] for line in log.splitlines() if line.startswith("[") and "files" in line]


def site_keys(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def test_deploy_puts_every_file_with_its_bytes_content_type_and_cache_control(site, bucket, s3_server):
    plan, log = run(site, bucket, s3_server)
    keys = site_keys(site)
    assert {u.file.key for u in plan.uploads} == keys and set(s3_server.objects(bucket)) == keys
    assert uploaded(log)[-2:] == ["index.html", "sw.js"]
    client = s3_server.client()
    for key in keys:
        obj = client.get_object(Bucket=bucket, Key=key)
        assert obj["Body"].read() == (site / key).read_bytes(), key
        assert obj["ContentType"] == content_type(key), key
        assert obj["CacheControl"] == cache_control(key), key
    head = lambda key: client.head_object(Bucket=bucket, Key=key)  # noqa: E731
    # The types a browser refuses to run modules or stream WebAssembly without:
    assert head(WASM)["ContentType"] == "application/wasm"
    assert head(f"{DIRS['pyodide']}/pyodide.mjs")["ContentType"] == "text/javascript"
    assert head("manifest.webmanifest")["ContentType"] == "application/manifest+json"
    assert head("pyscript.json")["ContentType"] == "application/json"
    assert head(WASM)["CacheControl"] == head(CORE)["CacheControl"] == IMMUTABLE
    for key in ("index.html", "sw.js", "config.json", "pyscript.json", "manifest.webmanifest", "engine.py",
                "pymodel/weights/digits.npz", "js/main.js"):
        assert head(key)["CacheControl"] == REVALIDATE, key


def test_deploy_again_uploads_nothing_then_only_the_changed_file(site, bucket, s3_server):
    run(site, bucket, s3_server)
    before = s3_server.objects(bucket)
    plan, log = run(site, bucket, s3_server)
    assert plan.uploads == [] and uploaded(log) == []
    assert len(plan.unchanged) == len(site_keys(site)) and s3_server.objects(bucket) == before

    pad = site / "js" / "pad.js"
    pad.write_text(pad.read_text() + "\n// edited\n")
    plan, log = run(site, bucket, s3_server)
    assert [(u.file.key, u.reason) for u in plan.uploads] == [("js/pad.js", "changed")]
    assert uploaded(log) == ["js/pad.js"]
    after = s3_server.objects(bucket)
    assert {k for k in after if after[k] != before[k]} == {"js/pad.js"}
    assert s3_server.client().get_object(Bucket=bucket, Key="js/pad.js")["Body"].read() == pad.read_bytes()


def test_deploy_sends_index_html_and_sw_js_last_then_prunes(site, bucket, s3_server):
    run(site, bucket, s3_server)
    s3_server.client().put_object(Bucket=bucket, Key="js/old-module.js", Body=b"old")
    for rel in ("sw.js", "index.html", "js/main.js", "css/app.css"):
        (site / rel).write_text((site / rel).read_text() + "\n/* v2 */\n")
    plan, log = run(site, bucket, s3_server, prune=True)
    assert uploaded(log) == ["css/app.css", "js/main.js", "index.html", "sw.js"]
    assert log.index("sw.js") < log.index("deleted js/old-module.js")
    assert "js/old-module.js" not in s3_server.objects(bucket)


def test_deploy_interrupted_keeps_the_previous_index_and_service_worker(site, bucket, s3_server, monkeypatch):
    run(site, bucket, s3_server)
    old = {rel: (site / rel).read_bytes() for rel in ("index.html", "sw.js")}
    s3_server.client().put_object(Bucket=bucket, Key="stale.js", Body=b"still used by the old page")
    for rel in ("sw.js", "index.html", "js/main.js", "js/pad.js"):
        (site / rel).write_text((site / rel).read_text() + "\n/* v2 */\n")

    def stop_after_first(self, key):
        raise KeyboardInterrupt  # as if Ctrl+C (or a lost connection) struck after the first upload

    monkeypatch.setattr(Progress, "file_done", stop_after_first)
    with pytest.raises(KeyboardInterrupt):
        run(site, bucket, s3_server, prune=True)
    client = s3_server.client()
    assert client.get_object(Bucket=bucket, Key="js/main.js")["Body"].read() == (site / "js/main.js").read_bytes()
    for rel, data in old.items():
        assert client.get_object(Bucket=bucket, Key=rel)["Body"].read() == data, f"{rel} was replaced too early"
    assert "stale.js" in s3_server.objects(bucket)
    monkeypatch.undo()
    plan, log = run(site, bucket, s3_server, prune=True)  # the next run finishes the job
    assert uploaded(log) == ["js/pad.js", "index.html", "sw.js"] and plan.deletes == ["stale.js"]


def test_deploy_prune_removes_stale_objects_only_when_asked_and_only_under_the_prefix(site, bucket, s3_server):
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="other-app/index.html", Body=b"not ours")
    run(site, bucket, s3_server, prefix="digits")
    client.put_object(Bucket=bucket, Key="digits/vendor/old-runtime.js", Body=b"stale")
    plan, log = run(site, bucket, s3_server, prefix="digits")
    assert plan.stale == ["digits/vendor/old-runtime.js"] and "--prune deletes it" in log
    assert "digits/vendor/old-runtime.js" in s3_server.objects(bucket)
    plan, log = run(site, bucket, s3_server, prefix="digits", prune=True)
    remaining = s3_server.objects(bucket)
    assert plan.deletes == ["digits/vendor/old-runtime.js"] and "digits/vendor/old-runtime.js" not in remaining
    assert "other-app/index.html" in remaining
    assert {k for k in remaining if k.startswith("digits/")} == {f"digits/{k}" for k in site_keys(site)}


def test_deploy_dry_run_prints_the_plan_and_changes_nothing(site, bucket, s3_server):
    run(site, bucket, s3_server)
    s3_server.client().put_object(Bucket=bucket, Key="stale.txt", Body=b"x")
    (site / "js" / "pad.js").write_text("// changed\n")
    before = s3_server.objects(bucket)
    plan, log = run(site, bucket, s3_server, dry_run=True, prune=True, website=True, public_read=True)
    assert s3_server.objects(bucket) == before
    assert "dry run" in log and "upload  js/pad.js  (changed" in log and "delete  stale.txt" in log
    assert "would turn on static website hosting" in log and "would make all" in log
    assert uploaded(log) == []
    with pytest.raises(Exception, match="NoSuchWebsiteConfiguration"):
        s3_server.client().get_bucket_website(Bucket=bucket)


def test_deploy_fixes_the_headers_of_objects_another_tool_uploaded(site, bucket, s3_server):
    # What a manual `aws s3 sync` can leave: right bytes, generic type, no checksum metadata.
    client = s3_server.client()
    wrong = "js/main.js"
    client.put_object(Bucket=bucket, Key=wrong, Body=(site / wrong).read_bytes(),
                      ContentType="application/octet-stream")
    plan, _ = run(site, bucket, s3_server)
    assert next(u.reason for u in plan.uploads if u.file.key == wrong) == "headers"
    assert client.head_object(Bucket=bucket, Key=wrong)["ContentType"] == "text/javascript"


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_deploy_public_read_and_website_hosting_on_request(site, bucket, s3_server):
    run(site, bucket, s3_server)
    page = f"{s3_server.url}/{bucket}/index.html"
    assert anonymous_get(page) == 403  # private unless asked
    plan, log = run(site, bucket, s3_server, public_read=True, website=True)
    assert plan.uploads == []  # nothing changed: the existing objects were made readable in place
    for key in ("index.html", WASM, "js/main.js"):
        assert anonymous_get(f"{s3_server.url}/{bucket}/{key}") == 200, key
    website = s3_server.client().get_bucket_website(Bucket=bucket)
    assert website["IndexDocument"] == {"Suffix": "index.html"} and website["ErrorDocument"] == {"Key": "index.html"}
    assert "static website hosting is on" in log


# ---- the command line: credentials and endpoints ----

def cli(site, bucket, endpoint, env, *extra):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "deploy", "cos", "--site", str(site),
                           "--bucket", bucket, "--endpoint", endpoint, *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_deploy_cli_with_hmac_keys_from_the_environment(site, bucket, s3_server, cos_env):
    env = {**cos_env, "COS_HMAC_ACCESS_KEY_ID": "cli-key", "COS_HMAC_SECRET_ACCESS_KEY": "cli-secret-value"}
    result = cli(site, bucket, s3_server.url, env)
    assert result.returncode == 0, result.stderr
    assert set(s3_server.objects(bucket)) == site_keys(site)
    assert "cli-secret-value" not in result.stdout + result.stderr
    assert "index.html" in result.stderr and "files" in result.stderr  # the progress bar
    again = cli(site, bucket, s3_server.url, env)
    assert again.returncode == 0 and "done: 0 uploaded" in again.stdout


def test_deploy_cli_rejected_credentials_get_one_clear_message(site, bucket, s3_server, cos_env):
    key_id, secret = s3_server.create_user("deployer")
    with s3_server.enforce_auth():
        wrong_secret = cli(site, bucket, s3_server.url,
                           {**cos_env, "COS_HMAC_ACCESS_KEY_ID": key_id,
                            "COS_HMAC_SECRET_ACCESS_KEY": "wrong-" + secret})
        unknown_key = cli(site, bucket, s3_server.url,
                          {**cos_env, "COS_HMAC_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000",
                           "COS_HMAC_SECRET_ACCESS_KEY": secret})
        good = cli(site, bucket, s3_server.url,
                   {**cos_env, "COS_HMAC_ACCESS_KEY_ID": key_id, "COS_HMAC_SECRET_ACCESS_KEY": secret})
    for result, code in ((wrong_secret, "SignatureDoesNotMatch"), (unknown_key, "InvalidAccessKeyId")):
        assert result.returncode == 1
        assert result.stderr.startswith("deploy: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "rejected the credentials" in result.stderr and code in result.stderr
        assert "COS_HMAC_ACCESS_KEY_ID" in result.stderr and "COS_HMAC_SECRET_ACCESS_KEY" in result.stderr
        assert secret not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    assert good.returncode == 0, good.stderr  # the same server accepts the real key: it does check
    assert secret not in good.stdout + good.stderr


def test_deploy_cli_without_credentials_names_what_to_set(site, cos_env):
    result = cli(site, "any-bucket", "http://127.0.0.1:9", cos_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for name in ("COS_HMAC_ACCESS_KEY_ID", "COS_HMAC_SECRET_ACCESS_KEY", "COS_API_KEY", "~/.bluemix/cos_credentials"):
        assert name in result.stderr


def test_deploy_cli_unreachable_endpoint(site, cos_env):
    import socket
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = {**cos_env, "COS_HMAC_ACCESS_KEY_ID": "k", "COS_HMAC_SECRET_ACCESS_KEY": "unreachable-secret"}
    start = time.monotonic()
    result = cli(site, "any-bucket", endpoint, env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot reach {endpoint}" in result.stderr and "--endpoint" in result.stderr
    assert "unreachable-secret" not in result.stderr
    assert time.monotonic() - start < 60


def test_deploy_missing_bucket_message(site, s3_server, cos_env):
    with pytest.raises(DeployError, match="bucket 'no-such-bucket' does not exist"):
        run(site, "no-such-bucket", s3_server)


# ---- IAM API key: a token from an IAM token endpoint (a stand-in on 127.0.0.1), then bearer requests ----

class _TokenEndpoint(BaseHTTPRequestHandler):
    good_key = "iam-api-key-value"
    seen: list = []

    def do_POST(self):  # noqa: N802
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.seen.append(form)
        if form.get("apikey") == [self.good_key] or form.get("grant_type") == ["refresh_token"]:
            now = int(time.time())
            body = {"access_token": "bearer-token", "refresh_token": "refresh", "token_type": "Bearer",
                    "expires_in": 3600, "expiration": now + 3600}
            status = 200
        else:
            body, status = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}, 400
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def token_url():
    _TokenEndpoint.seen = []
    server = HTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/identity/token"
    server.shutdown()
    server.server_close()


def test_deploy_with_an_iam_api_key(site, bucket, s3_server, token_url):
    creds = Credentials("test IAM key", api_key=_TokenEndpoint.good_key, service_instance_id="crn:v1:test",
                        auth_endpoint=token_url)
    plan, log = run(site, bucket, s3_server, creds=creds)
    assert set(s3_server.objects(bucket)) == site_keys(site)
    assert _TokenEndpoint.seen and _TokenEndpoint.seen[0]["grant_type"] == ["urn:ibm:params:oauth:grant-type:apikey"]
    assert _TokenEndpoint.good_key not in log


def test_deploy_with_a_wrong_iam_api_key(site, bucket, s3_server, token_url):
    creds = Credentials("environment (COS_API_KEY)", api_key="wrong-api-key-value", auth_endpoint=token_url)
    with pytest.raises(DeployError, match=r"IAM did not accept the API key from environment \(COS_API_KEY\)") as info:
        run(site, bucket, s3_server, creds=creds, attempts=1)
    assert "wrong-api-key-value" not in str(info.value)


def test_deploy_over_https_as_to_ibm_cos(site, s3_tls_server, cos_env, monkeypatch):
    # Over TLS the SDK streams uploads with trailing checksums (aws-chunked), unlike over plain HTTP.
    monkeypatch.setenv("AWS_CA_BUNDLE", str(s3_tls_server.ca_bundle))
    bucket = s3_tls_server.new_bucket()
    plan, log = run(site, bucket, s3_tls_server)
    assert set(s3_tls_server.objects(bucket)) == site_keys(site) and uploaded(log)[-2:] == ["index.html", "sw.js"]
    client = s3_tls_server.client()
    for key in (WASM, "index.html", "pymodel/weights/digits.npz"):
        obj = client.get_object(Bucket=bucket, Key=key)
        assert obj["Body"].read() == (site / key).read_bytes(), key
        assert obj["ContentType"] == content_type(key) and obj["CacheControl"] == cache_control(key)
    again, _ = run(site, bucket, s3_tls_server)
    assert again.uploads == []
