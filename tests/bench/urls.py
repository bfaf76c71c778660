"""URLs for `make bench` only: the site, plus the framework-limit reference view."""

from django.urls import include, path

from tests.bench.views import reference

urlpatterns = [
    path("bench/reference/<int:pk>/", reference, name="bench_reference"),
    path("", include("quizapp.urls")),
]
