import pytest

from notifications.events import handle_activity
from tasks.models import Activity


@pytest.fixture
def deliver():
    """Hand every Activity row not yet handled to the consumer, oldest first (as the bus does)."""

    def run():
        for activity in Activity.objects.order_by("id"):
            handle_activity(activity)

    return run
