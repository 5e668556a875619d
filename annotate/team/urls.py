"""The team's pages, included by ``annotate.urls`` (names in the ``annotate`` namespace)."""

from django.urls import path

from annotate.team import views

urlpatterns = [
    path("projects/<slug:slug>/team/", views.team, name="team"),
    path("projects/<slug:slug>/team/add/", views.team_add, name="team-add"),
    path("projects/<slug:slug>/team/invite/", views.team_invite, name="team-invite"),
    path("projects/<slug:slug>/team/<id:pk>/role/", views.member_role, name="member-role"),
    path("projects/<slug:slug>/team/<id:pk>/remove/", views.member_remove, name="member-remove"),
    path(
        "projects/<slug:slug>/invitations/<id:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
