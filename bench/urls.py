"""The project's URLs plus the two bare routes; only the benchmark server loads this."""

from django.urls import path

from bench import views
from project import urls as project_urls

urlpatterns = [
    path("bench/bare/", views.bare, name="bench-bare"),
    path("bench/bare-json/", views.bare_json, name="bench-bare-json"),
    *project_urls.urlpatterns,
]

# Keep the project's error pages, if it defines its own handlers.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(project_urls, _name):
        globals()[_name] = getattr(project_urls, _name)
