from django.urls import path

from annotate import views

app_name = "annotate"
urlpatterns = [
    path("projects/<slug:slug>/sources/", views.source_list, name="source-list"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
]
