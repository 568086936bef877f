"""The GitHub Pages workflow: actionlint finds nothing, and it builds the site with the same command as a
developer does (`python build.py`), so the published site is the tested one."""
from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def actionlint() -> str:
    """The actionlint binary installed by the test extra (python3 build.py setup)."""
    for candidate in (Path(sysconfig.get_path("scripts")) / "actionlint", shutil.which("actionlint")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.fail("actionlint is not installed: run `python3 build.py setup` (the test extra installs it)")


def test_pages_deploy_workflow_passes_actionlint():
    result = subprocess.run([actionlint(), "-no-color", str(WORKFLOW.relative_to(ROOT))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_pages_deploy_actionlint_catches_a_broken_workflow(tmp_path):
    # The same check on a copy with one mistake: a wrong input name and an undefined step output.
    broken = WORKFLOW.read_text().replace("path: site", "pathh: site").replace(
        "steps.deployment.outputs.page_url", "steps.deploy.outputs.page_url")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "pages.yml").write_text(broken)
    result = subprocess.run([actionlint(), "-no-color", ".github/workflows/pages.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert '"pathh" is not defined' in result.stdout
    assert "steps.deploy" in result.stdout


def test_pages_deploy_workflow_builds_like_a_developer():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the `on:` key as True
    steps = workflow["jobs"]["build"]["steps"]
    runs = [s["run"].strip() for s in steps if "run" in s]
    assert "python build.py" in runs, runs
    # No second build recipe that could drift from build.py (npm ci / pip install / build_site by hand).
    recipe = ("npm ", "pip ", "build")
    assert not any(cmd for cmd in runs if cmd != "python build.py" and any(word in cmd for word in recipe))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
