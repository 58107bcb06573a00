"""
Test scaffolding: the project's settings plus ``jobs_probe``, an app whose consumer, periodic
function and slow job record what they did, so that tests can watch workers and schedulers
running as separate processes (project/jobs/tests/test_processes.py).
"""

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "project.tests.jobs_probe"]
