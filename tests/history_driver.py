"""Drive web/js/history/* in Node from Python tests (see tests/js/history_driver.mjs for the protocol)."""
from __future__ import annotations

import itertools
import json
import queue
import shutil
import subprocess
import tempfile
import threading
from typing import Any

from tests.helpers import ROOT

DRIVER = ROOT / "tests" / "js" / "history_driver.mjs"


class NodeError(Exception):
    """JavaScript threw: `name`, `message` and, for the history's typed errors, `kind`/`reason`/`field`."""

    def __init__(self, error: dict):
        self.name = error.get("name")
        self.kind = error.get("kind")
        self.reason = error.get("reason")
        self.field = error.get("field")
        self.status = error.get("status")
        self.js_message = error.get("message") or ""
        super().__init__(f"{self.name}: {self.js_message}\n{error.get('stack') or ''}")


class NodeDriver:
    """One Node process holding the history modules; `run(code, **args)` runs an async JS function body."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed")
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self._proc = subprocess.Popen(
            [node, str(DRIVER)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._ids = itertools.count(1)
        self._await(0, timeout=60)

    def _read(self) -> None:
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-3000:]

    def _await(self, msg_id: int, timeout: float) -> Any:
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                tail = self._stderr_tail()
                raise TimeoutError(f"node driver gave no answer in {timeout} s; stderr:\n{tail}") from None
            if line is None:
                raise RuntimeError(f"node driver exited ({self._proc.wait()}); stderr:\n{self._stderr_tail()}")
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue  # not a protocol line (the driver sends console output to stderr; be lenient anyway)
            if msg["id"] != msg_id:
                continue
            if msg["ok"]:
                return msg["result"]
            raise NodeError(msg["error"])

    def run(self, code: str, timeout: float = 60, **args: Any) -> Any:
        msg_id = next(self._ids)
        try:
            self._proc.stdin.write(json.dumps({"id": msg_id, "code": code, "args": args}) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"node driver exited ({self._proc.wait()}); stderr:\n{self._stderr_tail()}") from None
        return self._await(msg_id, timeout)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._stderr.close()
