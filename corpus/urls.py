from django.urls import path

from corpus import views

app_name = "corpus"
urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/articles/", views.article_list, name="article-list"),
    path("articles/<id:pk>/", views.article_detail, name="article-detail"),
]
