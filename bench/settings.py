"""
Settings for the benchmark server: the project's own settings plus two bare routes.

Everything else (database, secret key, DEBUG, throttles) comes from the environment that
``bench/run.py`` sets, read by ``project.settings`` exactly as in production.
"""

import os
from pathlib import Path

from project.settings import *  # noqa: F403
from project.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"

# With DEBUG off the hashed static files need a manifest; collect them into a git-ignored
# folder of the benchmark's own so that the project's ``staticfiles/`` is left alone.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", BASE_DIR / "bench" / "results" / "static"))
