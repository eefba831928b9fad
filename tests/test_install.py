"""The base install (``pip install -e .``, the README quick start) must be enough for the main job: the analysis
path may import only the packages listed in ``[project] dependencies``, not those of the extras."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
#: import name of a distribution whose import name is not its normalised distribution name
IMPORT_NAMES = {"scikit-learn": "sklearn"}


def _extras_only() -> list[str]:
    """Import names of the packages that only the extras (train, test, voice) install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def dist(requirement: str) -> str:
        return re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower()

    base = {dist(r) for r in project["dependencies"]}
    extra = {dist(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    return sorted(IMPORT_NAMES.get(d, d.replace("-", "_")) for d in extra - base)


def test_analyze_needs_only_the_base_dependencies(tmp_path):
    # Regression: repvision.tracking imports scipy, which only the train and test extras installed, so the README
    # quick start (a base install) failed with ModuleNotFoundError before analysing anything.
    blocked = _extras_only()
    assert "torch" in blocked and "sklearn" in blocked
    out = tmp_path / "r.json"
    code = f"""
import importlib.abc, sys
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError("not in the base install: " + name)
sys.meta_path.insert(0, Blocked())
from repvision.cli import app
sys.argv = ["repvision", "analyze", {str(DATA / "calimiro_squat_19.mp4")!r}, "--json", {str(out)!r}]
app()
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert out.is_file()
