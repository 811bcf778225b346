"""The copier template (copier.yml): a generated project keeps exactly the chosen examples.

The template source is this checkout's files as git sees them (tracked, plus untracked
ones that are not ignored), copied to a temp folder: what is about to be committed is
what gets tested, and nothing ignored (.venv, node_modules, data) can leak in by accident.
copier runs pinned through uv (`uv tool run`), as docs/template.md tells users to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".tools" / "bin" / "uv"
COPIER = "copier==9.19.1"
EXAMPLES = {"todo", "counter", "monitor", "reverse", "events", "analytics"}
KEPT = {"todo", "counter"}
# Nothing a working checkout accumulates may reach a new project.
NEVER_COPIED = {
    ".git",
    ".venv",
    ".tools",
    "node_modules",
    "dist",
    ".astro",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "copier.yml",
    "test_template.py",
}


def copier(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    return subprocess.run(
        [str(UV), "tool", "run", "--from", COPIER, "copier", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    source = tmp_path_factory.mktemp("template")
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_file():  # a tracked file deleted in the working tree is skipped
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    return source


@pytest.fixture(scope="module")
def project(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("generated") / "acme"
    result = copier(
        "copy",
        "--trust",
        "--defaults",
        "--data",
        f"keep_examples={json.dumps(sorted(KEPT))}",
        "--data",
        "project_name=Acme Tasks",
        "--data",
        "package_description=Tasks for Acme",
        str(template),
        str(destination),
    )
    assert result.returncode == 0, result.stderr
    return destination


def test_kept_examples_are_present_and_the_others_are_gone(project: Path) -> None:
    for folder in (project / "src" / "ironstar" / "features", project / "tests" / "features"):
        present = {p.name for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"}
        assert present == KEPT, folder


def test_nothing_from_the_working_checkout_is_copied(project: Path) -> None:
    leaked = [
        str(path.relative_to(project)) for path in project.rglob("*") if path.name in NEVER_COPIED
    ]
    assert leaked == []
    assert not (project / "data").exists()


def test_the_app_discovers_exactly_the_kept_features(project: Path) -> None:
    src = project / "src"
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(src)!r})\n"
        "import ironstar\n"
        "from ironstar.feature import discover_features\n"
        "print(json.dumps([ironstar.__file__, [f.name for f in discover_features()]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=project
    ).stdout
    module_file, names = json.loads(out)
    assert Path(module_file).is_relative_to(src)  # the generated tree, not this checkout
    assert set(names) == KEPT


def test_answers_and_names_are_recorded(project: Path) -> None:
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "project_name: Acme Tasks" in answers
    assert "- counter\n- todo\n" in answers or "- todo\n- counter\n" in answers
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Acme Tasks\n\n**Tasks for Acme**\n")
    assert 'description = "Tasks for Acme"' in (project / "pyproject.toml").read_text()
    assert 'name = "ironstar"' in (project / "pyproject.toml").read_text()


def test_todo_cannot_be_switched_off(template: Path, tmp_path: Path) -> None:
    result = copier(
        "copy",
        "--trust",
        "--defaults",
        "--data",
        'keep_examples=["counter", "events"]',
        str(template),
        str(tmp_path / "no-todo"),
    )
    assert result.returncode != 0
    assert "Keep todo" in result.stderr
    assert not (tmp_path / "no-todo" / "src").exists()


def test_every_example_is_a_choice() -> None:
    features = ROOT / "src" / "ironstar" / "features"
    assert {p.name for p in features.iterdir() if (p / "__init__.py").exists()} == EXAMPLES
    config = (ROOT / "copier.yml").read_text(encoding="utf-8")
    for name in EXAMPLES - {"todo"}:
        assert f"src/ironstar/features/{name}{{% endif %}}" in config
        assert f"tests/features/{name}{{% endif %}}" in config
