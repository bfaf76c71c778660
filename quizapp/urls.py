from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from cards.views import student

urlpatterns = [
    path("", student.home, name="home"),
    path("healthz/", student.healthz, name="healthz"),
    path("accounts/signup/", student.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cards.api.urls")),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="api_docs"),
    path("", include("cards.urls")),
]
# Uploaded images: Django serves them only with DEBUG (static() is empty otherwise); in
# production the web server or the bucket does (README "Images").
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
