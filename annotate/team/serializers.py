"""Shapes of the team API: members, invitations and accepting one. Fields and types
only; the rules are ``corpus.services``, ``corpus.invitations`` and ``annotate.team.services``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common import limits
from corpus.models import Invitation, Membership, Role
from corpus.serializers import IdField, StrictSerializer, TextField

ROLE_HELP = "manager, curator or annotator."


class MemberSerializer(serializers.ModelSerializer[Membership]):
    id = serializers.IntegerField(
        source="user_id", read_only=True, help_text="The user's id (assignments take it)."
    )
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    joined = serializers.DateTimeField(source="created", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "joined"]
        read_only_fields = fields


class MemberAddSerializer(StrictSerializer):
    username = TextField(
        required=False, max_length=limits.USERNAME.size, help_text="An existing user's name."
    )
    email = TextField(
        required=False, max_length=limits.EMAIL.size, help_text="An existing user's address."
    )
    user = IdField(required=False, help_text="An existing user's id.")
    role = serializers.ChoiceField(
        choices=Role.choices, default=Role.ANNOTATOR, help_text=ROLE_HELP
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("username", "email", "user") if k in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                "Name the user by exactly one of username, email or user."
            )
        return attrs


class MemberChangeSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    inviter = serializers.CharField(
        source="inviter.username", read_only=True, allow_null=True, default=None
    )
    state = serializers.SerializerMethodField(help_text="pending or expired.")

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "inviter", "created", "expires", "state"]
        read_only_fields = fields

    def get_state(self, invitation: Invitation) -> str:
        from corpus.invitations import invitation_state

        return invitation_state(invitation)


class InvitationCreatedSerializer(InvitationSerializer):
    link = serializers.SerializerMethodField(
        help_text="The link to open, shown this once (only a hash of its token is stored)."
    )
    emailed = serializers.SerializerMethodField(
        help_text="Whether the link was e-mailed (an e-mail backend is configured)."
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "link", "emailed"]
        read_only_fields = fields

    def get_link(self, invitation: Invitation) -> str:
        return str(self.context["link"])

    def get_emailed(self, invitation: Invitation) -> bool:
        return bool(self.context["emailed"])


class InvitationCreateSerializer(StrictSerializer):
    email = TextField(max_length=limits.EMAIL.size)
    role = serializers.ChoiceField(
        choices=Role.choices, default=Role.ANNOTATOR, help_text=ROLE_HELP
    )


class InvitationAcceptSerializer(StrictSerializer):
    token = TextField(max_length=100, help_text="The last part of the invitation link.")
    username = TextField(
        required=False,
        max_length=limits.USERNAME.size,
        help_text="Without a login: the new account's username.",
    )
    password = TextField(
        required=False,
        multiline=True,
        trim_whitespace=False,
        max_length=4096,
        help_text="Without a login: the new account's password.",
        style={"input_type": "password"},
    )


class InvitationAcceptedSerializer(serializers.Serializer):
    project = serializers.CharField(help_text="The project's slug.")
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
