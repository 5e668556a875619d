from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import include, path, register_converter
from django.urls.converters import get_converters
from django.views.generic import RedirectView

from common.params import IdConverter, InvalidNumber
from config.health import healthz
from corpus.auth_views import ThrottledLoginView

# ``<id:pk>``: ``<int:pk>`` within the database's integer (a larger id is a 404, not a 500).
# Registered before the apps' URL modules are included below.
if "id" not in get_converters():
    register_converter(IdConverter, "id")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page; it says what was wrong when we wrote the message (a number we do not
    take), nothing else (other messages may come from Django's internals)."""
    message = str(exception) if isinstance(exception, InvalidNumber) else ""
    return render(request, "400.html", {"message": message}, status=400)


handler400 = bad_request


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, styled by the app's CSS but depending on nothing that may have failed:
    no request context (context processors may query the database), no database."""
    try:
        css_url = static("claimdesk/app.css")
    except ValueError:  # a manifest without the file: the unhashed name still serves
        css_url = f"{settings.STATIC_URL}claimdesk/app.css"
    html = loader.get_template("500.html").render({"css_url": css_url})
    return HttpResponseServerError(html)


handler500 = server_error

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
