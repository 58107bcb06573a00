import pytest

from project.tests.servers import collect_static


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Static files collected once for every real server the tests start."""
    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root
