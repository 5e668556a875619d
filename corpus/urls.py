from django.urls import path

from corpus import account_views, import_views, views

app_name = "corpus"
urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/articles/", views.article_list, name="article-list"),
    # Adding articles: upload, by URL, paste (corpus/import_views.py).
    path("projects/<slug:slug>/articles/add/", import_views.article_add, name="article-add"),
    path(
        "projects/<slug:slug>/articles/add/files/",
        import_views.article_upload,
        name="article-upload",
    ),
    path(
        "projects/<slug:slug>/articles/add/urls/",
        import_views.article_from_urls,
        name="article-from-urls",
    ),
    path(
        "projects/<slug:slug>/articles/add/text/",
        import_views.article_paste,
        name="article-paste",
    ),
    path(
        "projects/<slug:slug>/articles/add/jobs/<str:job>/",
        import_views.article_import_job,
        name="article-import-job",
    ),
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
