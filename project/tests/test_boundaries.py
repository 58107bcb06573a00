"""
Apps depend one way (DESIGN §1): ``project.api`` and ``project.exceptions`` import no app,
and ``accounts`` imports no other app. Checked on the source, so a lazy import counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "tasks", "notifications", "integrations"}
#: The two API modules of ``tasks`` that accounts still reaches until they sit in project.api.
NOT_YET_MOVED = {"tasks.api.throttling", "tasks.api.idempotency"}


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


@pytest.mark.parametrize("module", ["api.py", "authentication.py"])
def test_accounts_api_imports_no_other_app(module):
    names = imported_modules(ROOT / "accounts" / module) - NOT_YET_MOVED
    assert {name for name in names if top(name) in APPS - {"accounts"}} == set()


def test_the_error_handler_knows_the_domain_refusals_without_importing_tasks():
    from project.exceptions import Conflict, StaleVersion
    from tasks import services

    assert services.Conflict is Conflict
    assert services.StaleVersion is StaleVersion
