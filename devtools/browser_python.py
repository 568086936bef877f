"""Which pymodel modules the browser needs: exactly those web/engine.py can import, and nothing that cannot
import there.

The rule, applied at build time: start at engine.py, follow every `import` of a pymodel module (including
imports inside functions, such as the kernels chosen at run time), and ship that closure. A module in the
closure that imports something Pyodide does not have (Pillow, TensorFlow, ...) stops the build with a
message naming the module and the import. So pymodel/cli.py, imageio.py (Pillow) and idx.py stay on the
command line, and a module added to pymodel ships only once engine.py reaches it.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "pymodel"
# Importable in the page's worker besides the standard library: NumPy (loaded from the vendored wheel when
# it is there; pymodel only imports it where it checked it is available) and the browser bridges.
BROWSER_PROVIDED = frozenset({"numpy", "js", "pyodide", "pyscript", "polyscript"})


class BrowserImportError(RuntimeError):
    """A module the page would load imports something that does not exist in the browser."""


def _imports(path: Path) -> list[tuple[str, int, list[str]]]:
    """(module, level, imported names) for every import statement anywhere in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level, [alias.name for alias in node.names]))
    return found


def _module_file(package_dir: Path, dotted: str) -> Path | None:
    """pymodel.x -> pymodel/x.py; pymodel -> pymodel/__init__.py; None when it is not a module file."""
    parts = dotted.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def browser_modules(entry: Path, package_dir: Path) -> list[Path]:
    """The pymodel source files `entry` needs, sorted; raises BrowserImportError on a non-browser import."""
    package_dir = Path(package_dir)
    wanted: set[Path] = set()
    todo = [Path(entry)]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        inside = path.parent.resolve() == package_dir.resolve() or package_dir.resolve() in path.resolve().parents
        if inside:
            wanted.add(path)
            wanted.add(package_dir / "__init__.py")  # importing pymodel.x runs pymodel/__init__.py first
            todo.append(package_dir / "__init__.py")
        for module, level, names in _imports(path):
            if level:  # relative import inside pymodel
                module = ".".join([PACKAGE, *([module] if module else [])])
            top = module.split(".")[0]
            if top != PACKAGE:
                if top not in sys.stdlib_module_names and top not in BROWSER_PROVIDED:
                    where = path.relative_to(package_dir.parent) if inside else path.name
                    raise BrowserImportError(
                        f"{where} imports {module!r}, which the browser's Python does not have: keep it out of "
                        f"the modules engine.py uses, or import it only where it is needed on the command line"
                    )
                continue
            targets = [module] + [f"{module}.{name}" for name in names]
            for dotted in targets:
                file = _module_file(package_dir, dotted)
                if file is not None:
                    todo.append(file)
    return sorted(wanted)
