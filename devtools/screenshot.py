"""Take README screenshots of the built site: a digit drawn with the mouse, both engines compared.

    python -m devtools.screenshot [--out .github/screenshot.png] [--width 1280 --height 800] [--dark]

Uses the same headless Debian chromium as the tests and the benchmark.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from devtools import browser as chromium
from devtools.build_site import ROOT, build_site
from devtools.server import serve_in_background

# A "3" as pad-relative points: two bumps drawn in one stroke.
THREE = [(0.3, 0.22), (0.45, 0.15), (0.62, 0.18), (0.68, 0.3), (0.6, 0.42), (0.45, 0.47), (0.62, 0.52),
         (0.7, 0.65), (0.64, 0.8), (0.47, 0.85), (0.3, 0.78)]


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
        box = page.locator("[data-testid=pad]").bounding_box()
        page.mouse.move(box["x"] + THREE[0][0] * box["width"], box["y"] + THREE[0][1] * box["height"])
        page.mouse.down()
        for x, y in THREE[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=6)
        page.mouse.up()
        page.wait_for_selector("#compare[data-agree]", state="visible", timeout=30_000)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")
    return args.out


if __name__ == "__main__":
    main()
