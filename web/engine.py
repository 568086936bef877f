"""The page's Python engine: pymodel running in a PyScript worker.

index.html starts it with `<script type="py" worker name="engine" src="./engine.py" config="./pyscript.json">`.
pyscript.json (written by devtools/build_site.py) names the local Pyodide, copies pymodel and its weights
into the worker's file system and, when the wheel is vendored, loads NumPy. The page's JavaScript
(js/python-engine.js) waits for the worker and calls the functions in `__export__` through
`xworker.sync.<name>(...)`; each call returns a Promise of what the function returns.

This is an ordinary module: CPython imports it too (tests/test_engine.py), where the one browser-only part,
the progress note to the page, is skipped.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

STATUSES = ("ok", "unsure", "not_a_digit", "empty")


def _tell_page(stage: str) -> None:
    """A progress note for the page's Python chip (js/python-engine.js); nothing outside the browser."""
    if sys.platform != "emscripten":
        return
    import js  # Pyodide's bridge to the worker's JavaScript globals

    js.postMessage(js.JSON.parse(json.dumps({"digits": "progress", "stage": stage})))


def _floats(values: Iterable[float]) -> list[float]:
    """A JavaScript typed array arrives as a proxy: copy it into a Python list of floats."""
    to_py = getattr(values, "to_py", None)
    return list(to_py() if to_py is not None else values)


def _status(prediction) -> str:
    """The interface's status; older pymodel versions only have `empty` and `unsure`."""
    status = getattr(prediction, "status", None)
    if status in STATUSES:
        return status
    if prediction.empty:
        return "empty"
    return "unsure" if prediction.unsure else "ok"


def _result(prediction) -> dict:
    """One digit's answer as plain data for JavaScript: lists, not tuples or arrays."""
    out = prediction.as_dict()
    out["status"] = _status(prediction)
    out["reason"] = getattr(prediction, "reason", "")  # older pymodel versions have none
    box = out.get("box", getattr(prediction, "box", None))
    out["box"] = list(box) if box is not None else None
    out["probs"] = [float(p) for p in out["probs"]]
    out["image28"] = [float(v) for v in prediction.image28] if prediction.image28 is not None else None
    return out


class Engine:
    """pymodel's recognizer, loaded once. Errors while loading are kept as a message, not raised, so the page
    can show them (a corrupt weights file must not take the page down)."""

    def __init__(self, weights_dir: str | Path | None = None, kernels: str = "auto"):
        self.error: str | None = None
        self.numpy_unavailable: str | None = None  # why NumPy cannot be imported; the page decides if that matters
        self.model = None
        self.weights_dir = weights_dir
        try:
            from pymodel import DEFAULT_DIR, load_model
            self.weights_dir = Path(weights_dir) if weights_dir is not None else DEFAULT_DIR
            self.model = load_model(self.weights_dir, backend=kernels)
        except Exception as exc:  # any failure, even a missing module, becomes the engine's readable error
            self.error = self._readable(exc)
            return
        try:
            import numpy  # noqa: F401
        except ImportError as exc:
            self.numpy_unavailable = str(exc)

    def _readable(self, exc: Exception) -> str:
        # Paths inside the worker's file system mean nothing to the reader: keep just the file names.
        text = str(exc)
        if self.weights_dir is not None:
            text = text.replace(f"{Path(self.weights_dir)}/", "")
        return text or type(exc).__name__

    def info(self) -> dict:
        return {
            "python": sys.version.split()[0],
            "kernels": self.model.backend if self.model else None,
            "numpy_unavailable": self.numpy_unavailable,
            "error": self.error,
        }

    def use_kernels(self, kernels: str) -> dict:
        """Switch to "numpy" or "python" kernels (the benchmark forces pure Python where NumPy is present)."""
        if self.model is not None and kernels != self.model.backend:
            from pymodel import Model
            self.model = Model(self.model.weights, kernels, self.model.rows)
        return self.info()

    def _model(self):
        if self.model is None:
            raise RuntimeError(f"the Python engine did not start: {self.error}")
        return self.model

    def recognize(self, gray: Iterable[float], width: int, height: int) -> dict:
        """Preprocess and classify grey pixels (row-major, 0 black .. 1 white): the interface's result fields,
        plus py_ms, the time spent in Python (the page measures the round trip around it)."""
        t0 = time.perf_counter()
        out = _result(self._model().recognize_gray(_floats(gray), int(width), int(height)))
        out["py_ms"] = (time.perf_counter() - t0) * 1000.0
        return out

    def read(self, gray: Iterable[float], width: int, height: int, drawn: bool = False) -> dict:
        """Read the number (or the one digit) in grey pixels: {"number", "digits", "py_ms"}, each digit with the
        interface's result fields, left to right; no digits for an empty image. pymodel scores every candidate
        digit of a number in one batched forward pass. drawn: a drawing on the pad, whose borders cut nothing."""
        t0 = time.perf_counter()
        reading = self._model().read(_floats(gray), int(width), int(height), bool(drawn))
        return {"number": reading.number, "digits": [_result(p) for p in reading.digits],
                "py_ms": (time.perf_counter() - t0) * 1000.0}

    def predict28(self, image28: Iterable[float]) -> list[float]:
        """Probabilities for one preprocessed 28x28 input (784 floats, light ink on black)."""
        return self._model().predict28(_floats(image28))

    def bench(self, image28: Iterable[float], n: int) -> list[float]:
        """Milliseconds per forward pass, timed here in Python (no messaging), n times on one input."""
        model, x = self._model(), _floats(image28)
        times = []
        for _ in range(int(n)):
            t0 = time.perf_counter()
            model.predict28(x)
            times.append((time.perf_counter() - t0) * 1000.0)
        return times


_tell_page("loading pymodel and checking the weights")
ENGINE = Engine()


# What the page can call (PyScript exposes these names on xworker.sync).
def info() -> dict:
    return ENGINE.info()


def use_kernels(kernels: str) -> dict:
    return ENGINE.use_kernels(kernels)


def recognize(gray: Iterable[float], width: int, height: int) -> dict:
    return ENGINE.recognize(gray, width, height)


def read(gray: Iterable[float], width: int, height: int, drawn: bool = False) -> dict:
    return ENGINE.read(gray, width, height, drawn)


def predict28(image28: Iterable[float]) -> list[float]:
    return ENGINE.predict28(image28)


def bench(image28: Iterable[float], n: int) -> list[float]:
    return ENGINE.bench(image28, n)


__export__ = ["info", "use_kernels", "recognize", "read", "predict28", "bench"]
