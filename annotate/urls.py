from django.urls import path

from annotate import views, workspace_views

app_name = "annotate"
urlpatterns = [
    path("projects/<slug:slug>/sources/", views.source_list, name="source-list"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("sources/<int:pk>/merge/", views.source_merge_view, name="source-merge"),
    # The annotator's queue and the workspace (annotate/workspace_views.py).
    path("queue/", workspace_views.queue, name="queue"),
    path("articles/<int:pk>/annotate/", workspace_views.workspace, name="workspace"),
    path("articles/<int:pk>/annotate/next/", workspace_views.next_article, name="next-article"),
    path("articles/<int:pk>/annotate/claims/new/", workspace_views.claim_new, name="claim-new"),
    path("articles/<int:pk>/annotate/claims/", workspace_views.claim_create, name="claim-create"),
    path("articles/<int:pk>/annotate/done/", workspace_views.assignment_done, name="done"),
    path("articles/<int:pk>/annotate/reopen/", workspace_views.assignment_reopen, name="reopen"),
    path(
        "articles/<int:pk>/annotate/sources/",
        workspace_views.source_search,
        name="workspace-source-search",
    ),
    path(
        "articles/<int:pk>/annotate/sources/new/",
        workspace_views.source_create,
        name="workspace-source-create",
    ),
    path(
        "articles/<int:pk>/annotate/targets/new/",
        workspace_views.target_create,
        name="workspace-target-create",
    ),
    path("annotate/claims/<int:pk>/", workspace_views.claim_edit, name="claim-edit"),
    path("annotate/claims/<int:pk>/update/", workspace_views.claim_update, name="claim-update"),
    path("annotate/claims/<int:pk>/delete/", workspace_views.claim_delete, name="claim-delete"),
    path("annotate/claims/<int:pk>/restore/", workspace_views.claim_restore, name="claim-restore"),
]
