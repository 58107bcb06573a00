"""
The hand-written stylesheets and scripts stay well-formed: a lost brace silently nests every
rule after it.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "static"
OWN = [
    path
    for path in STATIC.rglob("*")
    if path.suffix in {".css", ".js"} and "vendor" not in path.parts
]


def without_strings_and_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", '""', text)


@pytest.mark.parametrize("path", OWN, ids=lambda path: str(path.relative_to(STATIC)))
def test_braces_balance(path):
    text = without_strings_and_comments(path.read_text())
    depth = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{path.name}:{line_number}: a closing brace without its opening one"
    assert depth == 0, f"{path.name}: {depth} block(s) never closed"


@pytest.mark.parametrize("path", OWN, ids=lambda path: str(path.relative_to(STATIC)))
def test_no_merge_conflict_markers(path):
    assert not re.search(r"^(<<<<<<<|>>>>>>>|=======$)", path.read_text(), flags=re.M)
