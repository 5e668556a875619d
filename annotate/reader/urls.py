from django.urls import path

from annotate.reader import views

urlpatterns = [
    path("articles/<id:pk>/claims/", views.article_claims, name="article-claims"),
]
