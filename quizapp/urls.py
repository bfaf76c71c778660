from django.contrib import admin
from django.urls import include, path

from cards.views import student

urlpatterns = [
    path("", student.home, name="home"),
    path("healthz/", student.healthz, name="healthz"),
    path("accounts/signup/", student.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("cards.urls")),
]
