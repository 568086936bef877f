"""Serve a built site on 127.0.0.1: in the foreground (`build.py serve`) or in the background (tests,
bench, screenshots). One table of content types, shared with deployment."""
from __future__ import annotations

import contextlib
import functools
import http.server
import mimetypes
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

# Module scripts and WebAssembly streaming are refused under a wrong type, so every host must send these.
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".zip": "application/zip",
    ".npz": "application/octet-stream",
    ".whl": "application/zip",
    ".py": "text/x-python",
    ".toml": "application/toml",
    ".bin": "application/octet-stream",
    ".css": "text/css",
    ".html": "text/html",
}


def content_type(path: str | Path) -> str:
    """The Content-Type every host must send for this file: MIME_TYPES first, then Python's table."""
    suffix = Path(path).suffix.lower()
    return MIME_TYPES.get(suffix) or mimetypes.guess_type(Path(path).name)[0] or "application/octet-stream"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path) -> str:
        return content_type(path)

    def end_headers(self) -> None:
        # Revalidate every time so a rebuilt site is picked up; the service worker provides offline copies.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - keep test and bench output readable
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(port: int, directory: Path) -> http.server.HTTPServer:
    """A server bound to 127.0.0.1:port (0 picks a free port: see `server.server_address`)."""
    handler = functools.partial(_Handler, directory=str(directory))
    return _Server(("127.0.0.1", port), handler)


@contextlib.contextmanager
def serve_in_background(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve `directory` from a daemon thread; yields the base URL (ending in /) and stops on exit."""
    server = make_server(port, directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def serve(port: int, directory: Path) -> None:
    """Serve until interrupted."""
    server = make_server(port, directory)
    print(f"Serving {directory} at http://127.0.0.1:{server.server_address[1]}/  (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
