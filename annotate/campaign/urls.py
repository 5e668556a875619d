"""The manager's project pages (included by annotate/urls.py)."""

from django.urls import path

from annotate.campaign import views

urlpatterns = [
    path("projects/<slug:slug>/settings/", views.project_settings, name="project-settings"),
    path("projects/<slug:slug>/settings/scheme/", views.project_scheme, name="project-scheme"),
    path("projects/<slug:slug>/settings/delete/", views.project_delete, name="project-delete"),
]
