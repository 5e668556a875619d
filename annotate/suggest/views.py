"""Suggestions in the workspace: the list, accept (one key), edit-then-accept, dismiss.

Only for an annotator assigned to the article, in a project with suggestions turned on,
and only suggestions the annotator hasn't answered: anything else answers 404. Accepting
goes through ``services.suggestion_accept`` (a claim of the annotator's own); when the
claim isn't complete for the scheme (a required stance, say), the claim form comes back
prefilled (422) and saving it accepts the suggestion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from annotate.assignments import selectors as assignment_selectors
from annotate.claims.forms import ClaimInput
from annotate.models import Source, Suggestion
from annotate.suggest import services as suggestion_services
from annotate.suggest.services import proposed_labels
from annotate.workspace.context import last_labels, open_suggestions, saved_event
from annotate.workspace.views import (
    PAGE,
    SAVED,
    UNPROCESSABLE,
    _errors,
    _form_context,
    _list_context,
    _mention_quote,
    _progress_context,
    _values_from_post,
)
from common.htmx import fragments, toast
from common.http import HtmxHttpRequest
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def suggestion_context(article: Article, user: User, **extra: Any) -> dict[str, Any]:
    """The open suggestions of the user on the article (none when turned off)."""
    enabled = article.project.suggestions_enabled
    suggestions = open_suggestions(article, user) if enabled else []
    return {
        "article": article,
        "suggestions_enabled": enabled,
        "suggestions": suggestions,
        "last": last_labels(user, article.project) if enabled else {},
        **extra,
    }


def _suggestion_for(user: User, pk: int) -> Suggestion:
    """An open suggestion of an article assigned to the user, suggestions on; else 404."""
    suggestion = (
        Suggestion.objects.select_related("article__project", "source")
        .filter(
            pk=pk,
            article__assignments__annotator_id=user.pk,
            article__project__suggestions_enabled=True,
        )
        .exclude(responses__annotator_id=user.pk)
        .first()
    )
    if suggestion is None:
        raise Http404("No such suggestion.")
    return suggestion


def _values(suggestion: Suggestion, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The claim form's values: the suggestion's span, source, mention, attribution and
    the labels it proposes (an imported pre-annotation's stances, ratings, type, note),
    what it leaves empty taken from ``defaults`` (the labels of my last claim) as
    accepting with one key does."""
    article = suggestion.article
    proposed = proposed_labels(suggestion)
    stances = proposed.pop("stances")
    proposed["attribution"] = suggestion.attribution
    filled = suggestion_services.with_defaults(proposed, stances, defaults or {})
    return {
        **filled,
        "start": suggestion.start,
        "end": suggestion.end,
        "quote": suggestion.quote,
        "source": suggestion.source,
        "mention_start": suggestion.mention_start,
        "mention_end": suggestion.mention_end,
        "mention_quote": _mention_quote(article, suggestion.mention_start, suggestion.mention_end),
        "stances": {s.target: s.stance for s in filled["stances"]},
        "chain": _chain_values(suggestion),
    }


def _chain_values(suggestion: Suggestion) -> list[dict[str, Any]]:
    """The proposed chain as the form's chain rows (its carriers of the registry)."""
    chain = suggestion_services.proposed_chain(suggestion)
    if not chain:
        return []
    sources = Source.objects.in_project(suggestion.article.project).filter(
        pk__in=[link.source for link in chain]
    )
    found = {s.pk: s for s in sources}
    return [
        {
            "source": found[link.source],
            "mention_start": link.mention[0] if link.mention else None,
            "mention_end": link.mention[1] if link.mention else None,
            "reliability": "",
        }
        for link in chain
        if link.source in found
    ]


def _suggestion_form(
    request: HtmxHttpRequest,
    suggestion: Suggestion,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _form_context(suggestion.article, values=values, errors=errors)
    context["suggestion"] = suggestion
    if suggestion.new_source_name and not values.get("source"):
        context["source_query"] = suggestion.new_source_name
    return render(request, f"{PAGE}#claim-form", context, status=status)


@require_GET
@login_required
def suggestion_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = assignment_selectors.assignment_for(request.user, pk).article
    if not article.project.suggestions_enabled:
        raise Http404("Suggestions are turned off for this project.")
    return render(request, f"{PAGE}#suggestion-list", suggestion_context(article, request.user))


@require_GET
@login_required
def suggestion_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The claim form prefilled from the suggestion; saving it accepts the suggestion."""
    suggestion = _suggestion_for(request.user, pk)
    defaults = last_labels(request.user, suggestion.article.project)["labels"]
    return _suggestion_form(request, suggestion, values=_values(suggestion, defaults))


@require_POST
@login_required
def suggestion_accept(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Accept as it is (nothing posted but the CSRF token: what the suggestion leaves
    empty comes from my last claim, so a complete one takes one key), or as the claim
    form posted."""
    suggestion = _suggestion_for(request.user, pk)
    article = suggestion.article
    from_form = "start" in request.POST
    defaults = {} if from_form else last_labels(request.user, article.project)["labels"]
    try:
        overrides = None
        if from_form:
            data = ClaimInput.from_post(request.POST, with_span=True, with_version=False)
            overrides = data.changes(span=True)
        claim = suggestion_services.suggestion_accept(
            suggestion=suggestion, annotator=request.user, overrides=overrides, defaults=defaults
        )
    except ValidationError as error:
        values = (
            _values_from_post(article, request.POST, viewer=request.user)
            if from_form
            else _values(suggestion, defaults)
        )
        if from_form and values["source"] is None:
            values["source"] = suggestion.source
        return _suggestion_form(
            request, suggestion, values=values, errors=_errors(error), status=UNPROCESSABLE
        )
    assignment = assignment_selectors.assignment_for(request.user, article.pk)
    response = fragments(
        request,
        PAGE,
        [
            ("panel-empty", {"article": article}),
            ("claim-list", _list_context(assignment, request.user, oob=True)),
            ("suggestion-list", suggestion_context(article, request.user, oob=True)),
            ("progress", _progress_context(assignment, request.user, oob=True)),
        ],
    )
    trigger_client_event(response, SAVED, saved_event(claim, created=True))
    return toast(response, "Suggestion accepted: it is now your claim.")


@require_POST
@login_required
def suggestion_dismiss(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    suggestion = _suggestion_for(request.user, pk)
    try:
        suggestion_services.suggestion_dismiss(suggestion=suggestion, annotator=request.user)
    except ValidationError as error:  # answered meanwhile, in another tab
        raise Http404(" ".join(error.messages)) from error
    response = render(
        request,
        f"{PAGE}#suggestion-list",
        suggestion_context(suggestion.article, request.user),
    )
    return toast(response, "Suggestion dismissed.")
