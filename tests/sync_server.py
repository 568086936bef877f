"""Real CouchDB-protocol servers for the sync tests, and the faults they need.

CouchServer   tests/js/couch_server.cjs (express-pouchdb over LevelDB, npm devDependencies) on 127.0.0.1,
              data in a temporary folder so a restart keeps everything, with an admin user.
FaultProxy    an HTTP proxy in front of it that can go down (connections refused, open ones cut),
              answer 429 a number of times, or demand IAM bearer tokens.
FakeIam       a stand-in for IBM Cloud IAM's token endpoint (POST /identity/token, API-key grant).

Fixtures that use them live in tests/conftest.py.
"""
from __future__ import annotations

import base64
import http.client
import http.server
import json
import secrets
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import ROOT

SERVER_SCRIPT = ROOT / "tests" / "js" / "couch_server.cjs"
ADMIN = ("admin", "admin-pw")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class CouchServer:
    """A CouchDB-protocol server; `url` is its root (no trailing slash). start/stop/restart keep the port."""

    def __init__(self, data_dir: Path, cors_origins: tuple[str, ...] = ()):
        self.data_dir = Path(data_dir)
        self.cors_origins = cors_origins
        self.port = 0
        self._proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CouchServer:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed")
        cmd = [node, str(SERVER_SCRIPT), "--dir", str(self.data_dir), "--port", str(self.port)]
        for origin in self.cors_origins:
            cmd += ["--cors-origin", origin]
        self._log = open(self.data_dir.parent / f"{self.data_dir.name}-server.log", "a")
        self._proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self._proc.stdout.readline()  # {"port": N} once listening
        if not line:
            raise RuntimeError(f"couch_server.cjs exited ({self._proc.wait()}); see {self._log.name}")
        self.port = json.loads(line)["port"]
        if not self._has_admin():
            self.request("PUT", f"/_config/admins/{ADMIN[0]}", json.dumps(ADMIN[1]), auth=False)
        return self

    def _has_admin(self) -> bool:
        return self.request("GET", "/_session", auth=True)[1].get("userCtx", {}).get("name") == ADMIN[0]

    def stop(self) -> None:
        """Stop like a shut-down server: open connections are cut."""
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=15)
        if self._proc and self._proc.stdout:
            self._proc.stdout.close()
        if self._log:
            self._log.close()
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # ---- HTTP helpers (as the admin unless auth=False or other credentials are given) ----

    def request(self, method: str, path: str, body: Any = None, auth: bool | tuple[str, str] = True) -> tuple[int, Any]:
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        raw = data.encode() if isinstance(data, str) else data
        req = urllib.request.Request(self.url + path, method=method, data=raw)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        if auth:
            req.add_header("Authorization", _basic(*(ADMIN if auth is True else auth)))
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def create_db(self, name: str, members: list[str] | None = None) -> str:
        """Create database `name` (readable only by `members` when given); returns its URL."""
        status, body = self.request("PUT", f"/{name}")
        assert status in (201, 412), (status, body)
        # express-pouchdb records new databases in its list asynchronously; a server stopped before that
        # would forget the database on restart.
        wait_until(lambda: name in self.request("GET", "/_all_dbs")[1], timeout=10, what=f"{name} in _all_dbs")
        if members is not None:
            security = {"admins": {"names": [], "roles": []}, "members": {"names": members, "roles": []}}
            assert self.request("PUT", f"/{name}/_security", security)[0] == 200
        return f"{self.url}/{name}"

    def create_user(self, name: str, password: str) -> None:
        doc = {"name": name, "password": password, "roles": [], "type": "user"}
        assert self.request("PUT", f"/_users/org.couchdb.user:{name}", doc)[0] == 201

    def docs(self, db: str) -> dict[str, dict]:
        """Every live document of `db` (winning revisions), by id."""
        status, body = self.request("GET", f"/{db}/_all_docs?include_docs=true")
        assert status == 200, (status, body)
        return {row["id"]: row["doc"] for row in body["rows"] if not row["id"].startswith("_design/")}

    def get(self, db: str, doc_id: str, **params: str) -> dict:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        status, body = self.request("GET", f"/{db}/{urllib.parse.quote(doc_id, safe='')}{query}")
        assert status == 200, (status, body)
        return body

    def put(self, db: str, doc: dict) -> str:
        status, body = self.request("PUT", f"/{db}/{urllib.parse.quote(doc['_id'], safe='')}", doc)
        assert status == 201, (status, body)
        return body["rev"]


# ---------- a proxy that injects faults ----------

class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
               "host", "content-length"}


class FaultProxy:
    """Forwards to `upstream` (a CouchServer). Faults:
    - down()/up(): refuse connections and cut open ones, as an unreachable server would;
    - throttle(n): answer the next n requests with 429, as Cloudant's free plan does;
    - require_iam(iam): accept only bearer tokens `iam` issued and still valid, forwarding as the admin.
    """

    def __init__(self, upstream: CouchServer):
        self.upstream = upstream
        self.port = 0
        self.throttled = 0  # 429s sent so far
        self.rejected_tokens = 0  # requests refused for a missing, unknown or expired bearer token
        self.requests = 0
        self._to_throttle = 0
        self._iam: FakeIam | None = None
        self._lock = threading.Lock()
        self._server: _ThreadingServer | None = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def throttle(self, n: int) -> None:
        with self._lock:
            self._to_throttle = n

    def require_iam(self, iam: FakeIam) -> None:
        self._iam = iam

    def up(self) -> FaultProxy:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                proxy._connections.add(self.connection)

            def finish(self) -> None:
                proxy._connections.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    proxy.requests += 1
                    throttle = proxy._to_throttle > 0
                    if throttle:
                        proxy._to_throttle -= 1
                        proxy.throttled += 1
                if throttle:
                    return self._reply(429, {"error": "too_many_requests",
                                             "reason": "You've exceeded your rate limit allowance."})
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                if proxy._iam is not None and self.command != "OPTIONS":  # CORS preflights carry no credentials
                    auth = self.headers.get("Authorization", "")
                    if not (auth.startswith("Bearer ") and proxy._iam.valid(auth[7:])):
                        with proxy._lock:
                            proxy.rejected_tokens += 1
                        return self._reply(401, {"error": "unauthorized",
                                                 "reason": "missing, unknown or expired IAM token"})
                    headers["Authorization"] = _basic(*ADMIN)
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream.port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    res = conn.getresponse()
                    data = res.read()
                except (OSError, http.client.HTTPException):
                    return self._reply(502, {"error": "bad_gateway", "reason": "upstream unreachable"})
                finally:
                    conn.close()
                self.send_response(res.status)
                for k, v in res.getheaders():
                    if k.lower() not in HOP_HEADERS:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _forward

        self._server = _ThreadingServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.down()


# ---------- IBM Cloud IAM, as far as the token exchange goes ----------

class FakeIam:
    """POST /identity/token with grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=KEY returns
    {access_token, expires_in, ...} like IAM; tokens expire after `lifetime_s`."""

    GRANT = "urn:ibm:params:oauth:grant-type:apikey"

    def __init__(self, api_key: str, lifetime_s: int = 3600, cors_origins: tuple[str, ...] = ()):
        self.api_key = api_key
        self.lifetime_s = lifetime_s
        self.cors_origins = cors_origins
        self.issued: dict[str, float] = {}  # token -> expiry (time.monotonic())
        self.exchanges = 0
        self._server: _ThreadingServer | None = None

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/identity/token"

    def valid(self, token: str) -> bool:
        expiry = self.issued.get(token)
        return expiry is not None and time.monotonic() < expiry

    def start(self) -> FakeIam:
        iam = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _reply(self, status: int, body: dict | None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                origin = self.headers.get("Origin")
                if origin and origin in iam.cors_origins:
                    self.send_header("Access-Control-Allow-Origin", origin)
                    self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
                    self.send_header("Access-Control-Allow-Methods", "POST")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self) -> None:
                self._reply(204, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                if form.get("grant_type") != [FakeIam.GRANT] or form.get("apikey") != [iam.api_key]:
                    return self._reply(400, {"errorCode": "BXNIM0415E",
                                             "errorMessage": "Provided API key could not be found."})
                token = secrets.token_hex(16)
                iam.issued[token] = time.monotonic() + iam.lifetime_s
                iam.exchanges += 1
                self._reply(200, {
                    "access_token": token, "refresh_token": "not-used", "token_type": "Bearer",
                    "expires_in": iam.lifetime_s, "expiration": int(time.time()) + iam.lifetime_s,
                })

        self._server = _ThreadingServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def wait_until(predicate, timeout: float = 20, what: str = "condition", interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; return that, or fail after `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
