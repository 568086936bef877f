"""A token proxy so the page can use IBM Cloud IAM API keys.

IAM's token endpoint (https://iam.cloud.ibm.com/identity/token) sends no CORS headers, so a page on
another origin cannot read its replies: the browser reports a network error. This proxy forwards the
API-key grant to IAM unchanged and adds CORS headers for the origins you name, nothing else. Run it on
your computer (the page's Content-Security-Policy allows http://127.0.0.1:* and http://localhost:*):

    python -m devtools.iam_token_proxy --origin https://you.github.io
    # then, in the page's sync settings: IAM API key, token URL http://127.0.0.1:8787/identity/token

It never logs request bodies (they hold the API key) and refuses other origins, so it is no open relay.
Standard library only.
"""
from __future__ import annotations

import argparse
import http.server
import socketserver
import urllib.error
import urllib.request

IAM_TOKEN_URL = "https://iam.cloud.ibm.com/identity/token"
PATH = "/identity/token"
MAX_BODY = 16 * 1024


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(
    port: int, origins: list[str], upstream: str = IAM_TOKEN_URL, host: str = "127.0.0.1"
) -> http.server.HTTPServer:
    """A proxy server on host:port (0: a free port) for `origins`; call serve_forever() on it."""
    allowed = set(origins)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the request line only, never bodies
            pass

        def _cors(self) -> bool:
            origin = self.headers.get("Origin")
            if origin not in allowed:
                return False
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")
            return True

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:
            self.send_response(204 if self.headers.get("Origin") in allowed else 403)
            if self._cors():
                self.send_header("Access-Control-Allow-Methods", "POST")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
                self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            if self.path != PATH:
                return self._reply(404, b'{"errorMessage": "only POST /identity/token is proxied"}')
            if self.headers.get("Origin") not in allowed:
                return self._reply(403, b'{"errorMessage": "origin not allowed: start the proxy with --origin for it"}')
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                return self._reply(400, b'{"errorMessage": "expected a form body with grant_type and apikey"}')
            body = self.rfile.read(length)
            req = urllib.request.Request(upstream, data=body, method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as res:
                    return self._reply(res.status, res.read())
            except urllib.error.HTTPError as err:
                return self._reply(err.code, err.read())
            except OSError as err:
                return self._reply(502, f'{{"errorMessage": "IAM unreachable: {type(err).__name__}"}}'.encode())

    return _Server((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origin", action="append", required=True,
                        help="the page's origin, e.g. https://you.github.io (repeatable)")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--upstream", default=IAM_TOKEN_URL, help="IAM token URL (default: %(default)s)")
    args = parser.parse_args(argv)
    server = make_server(args.port, args.origin, args.upstream)
    print(f"IAM token proxy for {', '.join(args.origin)}: http://127.0.0.1:{server.server_address[1]}{PATH}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
