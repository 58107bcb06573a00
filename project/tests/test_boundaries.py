"""
Apps depend one way (DESIGN §1): ``project.api`` and ``project.exceptions`` import no app,
and ``accounts`` imports no other app. Checked on the source, so a lazy import counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "tasks", "notifications", "integrations"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "project" / "api").glob("*.py")), ROOT / "project" / "exceptions.py"],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_shared_api_plumbing_imports_no_app(path):
    assert {name for name in imported_modules(path) if top(name) in APPS} == set()


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "accounts").rglob("*.py") if "tests" not in p.parts),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_accounts_imports_no_other_app(path):
    names = imported_modules(path)
    assert {name for name in names if top(name) in APPS - {"accounts"}} == set()


def test_the_error_handler_knows_the_domain_refusals_without_importing_tasks():
    from project.exceptions import Conflict, StaleVersion
    from tasks import services

    assert services.Conflict is Conflict
    assert services.StaleVersion is StaleVersion


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "tasks").rglob("*.py") if "tests" not in p.parts),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_tasks_knows_nothing_of_the_event_bus(path):
    """The bus listens to tasks (project.jobs connects it), never the other way (DESIGN §8)."""
    bus = {"project.events", "project.jobs", "project.scheduler"}
    names = imported_modules(path)
    assert {name for name in names if any(name.startswith(b) for b in bus)} == set()
