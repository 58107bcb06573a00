"""``OPTIONS`` answers only about what the caller may see, like ``GET`` on the same URL."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class ScopedMetadata(SimpleMetadata):
    """
    DRF's metadata answers ``OPTIONS`` without looking the object up, so a URL naming someone
    else's task answered 200 while ``GET`` answered 404. Here the object (or, for a nested
    list such as a task's comments, its parent) is looked up through the view's scoped
    queryset first, so an unseen one is a 404 whichever method asks.
    """

    def determine_metadata(self, request, view) -> dict:
        # Duck-typed: importing GenericAPIView here would be circular (APIView reads this
        # class while DRF's views module loads).
        if hasattr(view, "get_object") and hasattr(view, "lookup_field") and view.kwargs:
            lookup = view.lookup_url_kwarg or view.lookup_field
            if lookup in view.kwargs:
                view.get_object()
            else:
                view.get_queryset()
        return super().determine_metadata(request, view)
