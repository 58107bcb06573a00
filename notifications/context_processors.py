import functools

from django.http import HttpRequest

from notifications.models import Notification


def inbox(request: HttpRequest) -> dict:
    """
    The unread count of the top bar's inbox link: one query, and only on pages that draw it
    (the template calls the function; the result is kept for the rest of the render).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def unread_count() -> int:
        return Notification.objects.visible_to(user).unread().count()

    return {"unread_notification_count": unread_count}
