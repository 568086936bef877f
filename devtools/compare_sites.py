"""Compare two built sites' Python engine on a busy machine: interleave their measurements so both see the
same background load (on a shared 2-core machine, figures taken minutes apart are not comparable).

    python -m devtools.compare_sites before=/path/to/old/site after=site [--loads 10] [--rounds 12]

For each site: Python ready (navigation start -> ready, median of `loads` cold loads, alternating sites),
then, with both pages open and ready, per-digit forward passes in the worker and full recognitions of a
252x252 drawing from the page, alternating between the sites for `rounds` rounds. Both sites must have
the page's test hooks (window.__digits: timings, bench, recognizeGray).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
from pathlib import Path

from devtools import browser as chromium
from devtools.bench import _mnist_digit
from devtools.server import serve_in_background

_RECOGNIZE = """async ([g, w, n]) => {
    const times = [];
    for (let i = 0; i < n; i++) times.push((await window.__digits.recognizeGray('python', g, w, w)).ms);
    return times;
}"""


def _alternating(items: list, i: int) -> list:
    return items if i % 2 == 0 else items[::-1]


def compare(sites: dict[str, Path], loads: int, rounds: int) -> dict:
    from playwright.sync_api import sync_playwright
    digit, drawing, side = _mnist_digit()
    out = {name: {"ready_ms": [], "digit_ms": [], "full_ms": []} for name in sites}
    load_avg = []
    with sync_playwright() as p, contextlib.ExitStack() as stack:
        browser = chromium.launch(p)
        urls = [(name, stack.enter_context(serve_in_background(path))) for name, path in sites.items()]
        for i in range(loads):
            for name, url in _alternating(urls, i):
                load_avg.append(os.getloadavg()[0])
                context = browser.new_context()
                page = context.new_page()
                page.goto(url + "?nosw")
                page.wait_for_selector("html[data-python=ready]", state="attached", timeout=120_000)
                out[name]["ready_ms"].append(page.evaluate("window.__digits.timings.pythonReady"))
                context.close()
        pages = []
        for name, url in urls:
            page = browser.new_context().new_page()
            page.goto(url + "?nosw")
            page.wait_for_selector("html[data-python=ready]", state="attached", timeout=120_000)
            page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, 3])  # warm-up
            page.evaluate(_RECOGNIZE, [drawing, side, 2])
            pages.append((name, page))
        for i in range(rounds):
            for name, page in _alternating(pages, i):
                load_avg.append(os.getloadavg()[0])
                out[name]["digit_ms"] += page.evaluate("([x, n]) => window.__digits.bench('python', x, n)", [digit, 5])
                out[name]["full_ms"] += page.evaluate(_RECOGNIZE, [drawing, side, 3])
        browser.close()
    return {"sites": out, "load_average_1min": [min(load_avg), statistics.median(load_avg), max(load_avg)]}


def report(result: dict) -> str:
    lines = []
    for name, r in result["sites"].items():
        ready, digit, full = (statistics.median(r[k]) for k in ("ready_ms", "digit_ms", "full_ms"))
        lines.append(
            f"{name}: Python ready {ready:.0f} ms (median of {len(r['ready_ms'])} cold loads); "
            f"per digit in the worker {digit:.1f} ms ({len(r['digit_ms'])} runs); "
            f"full recognition {full:.1f} ms ({len(r['full_ms'])} runs)"
        )
    lo, mid, hi = result["load_average_1min"]
    lines.append(f"1-minute load average during the runs: {lo:.1f} to {hi:.1f} (median {mid:.1f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m devtools.compare_sites", description=__doc__.splitlines()[0])
    ap.add_argument("sites", nargs=2, metavar="NAME=SITE_DIR")
    ap.add_argument("--loads", type=int, default=10, help="cold loads per site for the ready time")
    ap.add_argument("--rounds", type=int, default=12, help="alternating latency rounds")
    args = ap.parse_args(argv)
    sites = {}
    for spec in args.sites:
        name, _, path = spec.partition("=")
        if not path or not (Path(path) / "index.html").is_file():
            ap.error(f"{spec!r}: expected NAME=SITE_DIR, a built site (python build.py site --out DIR)")
        sites[name] = Path(path)
    print(report(compare(sites, args.loads, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
