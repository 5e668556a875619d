from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz
from corpus.auth_views import ThrottledLoginView

urlpatterns = [
    path(
        "",
        login_not_required(RedirectView.as_view(pattern_name="corpus:project-list")),
        name="home",
    ),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("corpus.urls")),
    path("", include("annotate.urls")),
]
