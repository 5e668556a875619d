from django.urls import include, path

from annotate.analysis import views as analysis_views
from annotate.assignments import views as assignment_views
from annotate.campaign.urls import urlpatterns as campaign_urls
from annotate.claims import deleted_views
from annotate.clusters import views as cluster_views
from annotate.exchange import export_views, import_views
from annotate.reader.urls import urlpatterns as reader_urls
from annotate.review import views as review_views
from annotate.sources import upload_views as sources_upload_views
from annotate.sources import views
from annotate.suggest import recommender_views
from annotate.suggest import settings_views as suggest_settings_views
from annotate.suggest import views as suggest_views
from annotate.workspace import views as workspace_views

app_name = "annotate"
urlpatterns = [
    # The team: members, roles, invitations (annotate/team/).
    path("", include("annotate.team.urls")),
    path("projects/<slug:slug>/sources/", views.source_list, name="source-list"),
    path(
        "projects/<slug:slug>/sources/import/",
        sources_upload_views.source_import,
        name="source-import",
    ),
    path("sources/<id:pk>/", views.source_detail, name="source-detail"),
    path("sources/<id:pk>/merge/", views.source_merge_view, name="source-merge"),
    path("sources/<id:pk>/confirm/", views.source_confirm_view, name="source-confirm"),
    path("source-merges/<id:pk>/split/", views.source_split_view, name="source-split"),
    # Analysis: overview, stance map, claim search, source profiles (annotate/analysis/views.py).
    path("projects/<slug:slug>/analysis/", analysis_views.overview, name="analysis-overview"),
    path("projects/<slug:slug>/analysis/stances/", analysis_views.stance_map, name="stance-map"),
    path(
        "projects/<slug:slug>/analysis/stances.csv",
        analysis_views.stance_map_csv,
        name="stance-map-csv",
    ),
    path("projects/<slug:slug>/analysis/claims/", analysis_views.claim_search, name="claim-search"),
    path("sources/<id:pk>/profile/", analysis_views.source_profile, name="source-profile"),
    path("projects/<slug:slug>/analysis/network/", analysis_views.network, name="network"),
    path(
        "projects/<slug:slug>/analysis/network/export/",
        analysis_views.network_export,
        name="network-export",
    ),
    path(
        "projects/<slug:slug>/analysis/network/edge/",
        analysis_views.network_edge,
        name="network-edge",
    ),
    # Claim clusters (annotate/clusters/views.py).
    path("projects/<slug:slug>/clusters/", cluster_views.cluster_list, name="clusters"),
    path("projects/<slug:slug>/clusters/new/", cluster_views.cluster_create, name="cluster-create"),
    path(
        "projects/<slug:slug>/clusters/review/", cluster_views.cluster_review, name="cluster-review"
    ),
    path(
        "projects/<slug:slug>/clusters/adjudicate/",
        cluster_views.cluster_adjudicate,
        name="cluster-adjudicate",
    ),
    path(
        "projects/<slug:slug>/clusters/settings/",
        cluster_views.cluster_settings,
        name="cluster-settings",
    ),
    path("clusters/<id:pk>/", cluster_views.cluster_detail, name="cluster"),
    path("clusters/<id:pk>/edit/", cluster_views.cluster_update, name="cluster-update"),
    path("clusters/<id:pk>/delete/", cluster_views.cluster_delete, name="cluster-delete"),
    path(
        "clusters/<id:pk>/suggestions/",
        cluster_views.cluster_suggestions,
        name="cluster-suggestions",
    ),
    path("clusters/<id:pk>/members/", cluster_views.cluster_member_add, name="cluster-member-add"),
    path(
        "clusters/<id:pk>/members/remove/",
        cluster_views.cluster_member_remove,
        name="cluster-member-remove",
    ),
    path("clusters/<id:pk>/dismiss/", cluster_views.cluster_dismiss, name="cluster-dismiss"),
    # The annotator's queue and the workspace (annotate/workspace/views.py).
    path("queue/", workspace_views.queue, name="queue"),
    path("articles/<id:pk>/annotate/", workspace_views.workspace, name="workspace"),
    path("articles/<id:pk>/annotate/next/", workspace_views.next_article, name="next-article"),
    path("articles/<id:pk>/annotate/claims/new/", workspace_views.claim_new, name="claim-new"),
    path("articles/<id:pk>/annotate/claims/", workspace_views.claim_create, name="claim-create"),
    path("articles/<id:pk>/annotate/done/", workspace_views.assignment_done, name="done"),
    path("articles/<id:pk>/annotate/reopen/", workspace_views.assignment_reopen, name="reopen"),
    path(
        "articles/<id:pk>/annotate/sources/",
        workspace_views.source_search,
        name="workspace-source-search",
    ),
    path(
        "articles/<id:pk>/annotate/sources/confirm/",
        workspace_views.source_confirm,
        name="workspace-source-confirm",
    ),
    path(
        "articles/<id:pk>/annotate/sources/new/",
        workspace_views.source_create,
        name="workspace-source-create",
    ),
    path(
        "articles/<id:pk>/annotate/targets/new/",
        workspace_views.target_create,
        name="workspace-target-create",
    ),
    # The project's suggestion settings and runs (annotate/suggest/settings_views.py).
    path(
        "projects/<slug:slug>/suggestions/",
        suggest_settings_views.suggestion_settings,
        name="suggestion-settings",
    ),
    path(
        "projects/<slug:slug>/suggestions/job/",
        suggest_settings_views.suggestion_job,
        name="suggestion-job",
    ),
    # Suggested claims in the workspace (annotate/suggest/views.py).
    path(
        "articles/<id:pk>/annotate/suggestions/",
        suggest_views.suggestion_list,
        name="suggestion-list",
    ),
    path(
        "annotate/suggestions/<id:pk>/",
        suggest_views.suggestion_edit,
        name="suggestion-edit",
    ),
    path(
        "annotate/suggestions/<id:pk>/accept/",
        suggest_views.suggestion_accept,
        name="suggestion-accept",
    ),
    path(
        "annotate/suggestions/<id:pk>/dismiss/",
        suggest_views.suggestion_dismiss,
        name="suggestion-dismiss",
    ),
    path("annotate/claims/<id:pk>/", workspace_views.claim_edit, name="claim-edit"),
    path("annotate/claims/<id:pk>/update/", workspace_views.claim_update, name="claim-update"),
    path("annotate/claims/<id:pk>/delete/", workspace_views.claim_delete, name="claim-delete"),
    path("annotate/claims/<id:pk>/restore/", workspace_views.claim_restore, name="claim-restore"),
    # A manager's project settings, scheme editor and deletion (annotate/campaign/).
    *campaign_urls,
    # The reader with one layer's claims (annotate/reader/).
    *reader_urls,
    # Managers restore anyone's deleted claims of an article (annotate/claims/deleted_views.py).
    path("articles/<id:pk>/deleted-claims/", deleted_views.deleted_claims, name="deleted-claims"),
    path(
        "annotate/deleted-claims/<id:pk>/restore/",
        deleted_views.deleted_claim_restore,
        name="deleted-claim-restore",
    ),
    # Agreement, review and adjudication (annotate/review/views.py).
    path("projects/<slug:slug>/agreement/", review_views.agreement, name="agreement"),
    path(
        "projects/<slug:slug>/suggesters/",
        review_views.suggester_scores,
        name="suggester-scores",
    ),
    path(
        "projects/<slug:slug>/agreement/progress/",
        review_views.agreement_progress,
        name="agreement-progress",
    ),
    path("projects/<slug:slug>/review/", review_views.review_queue, name="review-queue"),
    path("articles/<id:pk>/review/", review_views.review_article, name="review"),
    path("articles/<id:pk>/review/accept/", review_views.review_accept, name="review-accept"),
    path("articles/<id:pk>/review/merge/", review_views.review_merge, name="review-merge"),
    path("articles/<id:pk>/review/reject/", review_views.review_reject, name="review-reject"),
    path(
        "articles/<id:pk>/review/accept-unanimous/",
        review_views.review_bulk_accept,
        name="review-bulk-accept",
    ),
    path("articles/<id:pk>/review/gold/new/", review_views.gold_add, name="gold-add"),
    path("review/gold/<id:pk>/", review_views.gold_edit, name="gold-edit"),
    # Managers' assignments (annotate/assignments/views.py).
    path("projects/<slug:slug>/assignments/", assignment_views.assignments, name="assignments"),
    path(
        "projects/<slug:slug>/assignments/bulk/",
        assignment_views.assignments_bulk,
        name="assignments-bulk",
    ),
    path(
        "projects/<slug:slug>/assignments/new/",
        assignment_views.assignment_add,
        name="assignment-add",
    ),
    path(
        "assignments/<id:pk>/remove/",
        assignment_views.assignment_remove,
        name="assignment-remove",
    ),
    # Exports (annotate/exchange/export_views.py).
    path("projects/<slug:slug>/export/", export_views.export_page, name="export"),
    path(
        "projects/<slug:slug>/export/download/",
        export_views.export_download,
        name="export-download",
    ),
    path("projects/<slug:slug>/export/jobs/<str:job>/", export_views.export_job, name="export-job"),
    path(
        "projects/<slug:slug>/export/jobs/<str:job>/file/",
        export_views.export_job_file,
        name="export-job-file",
    ),
    # Importing annotations as claims or suggestions (annotate/exchange/import_views.py).
    path("projects/<slug:slug>/import/", import_views.import_page, name="import"),
    # The learned recommender: its held-out score and the switch (recommender_views.py).
    path(
        "projects/<slug:slug>/recommender/", recommender_views.recommender_page, name="recommender"
    ),
    path(
        "projects/<slug:slug>/recommender/train/",
        recommender_views.recommender_train,
        name="recommender-train",
    ),
    path(
        "projects/<slug:slug>/recommender/<id:pk>/activate/",
        recommender_views.recommender_activate,
        name="recommender-activate",
    ),
    path(
        "projects/<slug:slug>/recommender/deactivate/",
        recommender_views.recommender_deactivate,
        name="recommender-deactivate",
    ),
]
