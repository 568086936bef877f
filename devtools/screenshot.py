"""Take README screenshots of the built site: a number drawn with the mouse, both engines compared.

    python -m devtools.screenshot [--out .github/screenshot.png] [--width 1280 --height 800] [--dark]

Uses the same headless Debian chromium as the tests and the benchmark.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from devtools import browser as chromium
from devtools.build_site import ROOT, build_site
from devtools.server import serve_in_background

NUMBER = (2, 0, 2, 6)  # written across the landscape pad, one unit box per digit (pymodel.bench.STROKES)


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(prog="python -m devtools.screenshot", description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "site")
    ap.add_argument("--out", type=Path, default=ROOT / ".github" / "screenshot.png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=800)
    ap.add_argument("--dark", action="store_true")
    args = ap.parse_args(argv)
    if not (args.site / "index.html").is_file():
        build_site(args.site)
    from playwright.sync_api import sync_playwright
    with serve_in_background(args.site) as base, sync_playwright() as p:
        url = base + "?nosw"
        browser = chromium.launch(p)
        ctx = browser.new_context(viewport={"width": args.width, "height": args.height},
                                  color_scheme="dark" if args.dark else "light")
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_selector("html:not([data-python=loading])", state="attached", timeout=120_000)
        page.select_option("[data-testid=engine]", "compare")
        from pymodel.bench import STROKES
        box = page.locator("[data-testid=pad]").bounding_box()
        for k, digit in enumerate(NUMBER):
            left, top, w, h = 0.1 + 0.21 * k, 0.22, 0.15, 0.56
            for stroke in STROKES[digit]:
                pts = [(box["x"] + (left + x * w) * box["width"], box["y"] + (top + y * h) * box["height"])
                       for x, y in stroke]
                page.mouse.move(*pts[0])
                page.mouse.down()
                for x, y in pts[1:]:
                    page.mouse.move(x, y, steps=6)
                page.mouse.up()
        number = "".join(map(str, NUMBER))
        page.wait_for_selector(f"html[data-number='{number}']", state="attached", timeout=30_000)
        # The comparison of the last stroke's reading, not of a stroke before it (Python answers later).
        page.wait_for_function("(n) => (document.querySelector('#compare[data-agree]') || {}).innerText"
                               "?.split(n).length > 2", arg=number, timeout=30_000)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")
    return args.out


if __name__ == "__main__":
    main()
