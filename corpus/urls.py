from django.urls import path

from corpus import account_views, views

app_name = "corpus"
urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/articles/", views.article_list, name="article-list"),
    path("articles/<id:pk>/", views.article_detail, name="article-detail"),
    # The user's own page (corpus/account_views.py).
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.account_password, name="account-password"),
    path("account/tokens/", account_views.account_token_create, name="account-token-create"),
    path(
        "account/tokens/<id:pk>/revoke/",
        account_views.account_token_revoke,
        name="account-token-revoke",
    ),
]
