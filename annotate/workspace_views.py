"""The annotation workspace (one article, the annotator's own claims) and the queue.

Blind by design: every lookup goes through the user's own assignment or own claim, so an
article not assigned to the user, or another annotator's claim, answers 404. Writes go
through ``annotate.services``; a write answers with the fragments that changed (the panel,
plus out-of-band rows) and tells the page about it with ``HX-Trigger`` events.

Form errors answer 422 and a stale version 409, both with the form to swap in: the page
configures htmx to swap those statuses (``htmx-config`` in ``annotate/workspace.html``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from annotate import selectors, services
from annotate.forms import ClaimInput
from annotate.models import Assignment, AssignmentStatus, Claim, Target
from annotate.offsets import validate_span
from annotate.scheme import LABEL_FIELDS, field_spec
from annotate.views import HtmxHttpRequest
from corpus.markdown import render_markdown
from corpus.models import Article
from corpus.selectors import project_switcher

PAGE = "annotate/workspace.html"
UNPROCESSABLE = 422
CONFLICT = 409
TOAST = "claimdesk:toast"
SAVED = "claimdesk:saved"
SOURCE_OPTIONS_LIMIT = 10


# --- the scheme, as the templates need it ------------------------------------------------


def _choice_fields(scheme: dict[str, Any]) -> list[dict[str, Any]]:
    """The label fields to show, with their values and meanings, in the scheme's order."""
    fields = []
    for name in LABEL_FIELDS:
        spec = field_spec(scheme, name)
        if not spec or spec.get("hidden"):
            continue
        fields.append(
            {
                "name": name,
                "label": spec.get("label", name),
                "required": bool(spec.get("required")),
                "values": spec.get("values", []),
            }
        )
    return fields


def _label_maps(scheme: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {v["value"]: v.get("label", v["value"]) for v in spec.get("values", [])}
        for name, spec in scheme["fields"].items()
    }


def _decorate(claims: list[Claim], scheme: dict[str, Any]) -> list[Claim]:
    """Display labels for the claim list rows (plain attributes, no queries)."""
    labels = _label_maps(scheme)
    for claim in claims:
        claim.attribution_label = labels.get("attribution", {}).get(  # type: ignore[attr-defined]
            claim.attribution, claim.attribution
        )
        claim.type_label = labels.get("claim_type", {}).get(  # type: ignore[attr-defined]
            claim.claim_type, claim.claim_type
        )
        claim.stance_list = [  # type: ignore[attr-defined]
            (s.target.name, s.stance, labels.get("stance", {}).get(s.stance, s.stance))
            for s in claim.stances.all()
        ]
    return claims


# --- responses -----------------------------------------------------------------------------


def _fragments(
    request: HtmxHttpRequest, parts: list[tuple[str, dict[str, Any]]], status: int = 200
) -> HttpResponse:
    """One response of several partials of the page: the first is the swap target's
    content, the others carry ``hx-swap-oob`` (their context has ``oob``)."""
    html = "".join(
        render_to_string(f"{PAGE}#{name}", context, request=request) for name, context in parts
    )
    return HttpResponse(html, status=status)


def _toast(response: HttpResponse, message: str, undo: str = "") -> HttpResponse:
    trigger_client_event(response, TOAST, {"message": message, "undo": undo})
    return response


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def _list_context(assignment: Assignment, user: Any, **extra: Any) -> dict[str, Any]:
    article = assignment.article
    claims = _decorate(list(selectors.my_claims(article, user)), article.project.scheme)
    return {"article": article, "assignment": assignment, "claims": claims, **extra}


def _progress_context(assignment: Assignment, user: Any, **extra: Any) -> dict[str, Any]:
    count = Claim.objects.live().for_article(assignment.article).by(user).count()
    return {"article": assignment.article, "assignment": assignment, "claim_count": count, **extra}


# --- the claim form ------------------------------------------------------------------------


def _form_context(
    article: Article,
    *,
    values: dict[str, Any],
    claim: Claim | None = None,
    errors: dict[str, list[str]] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    scheme = article.project.scheme
    errors = errors or {}
    byline = selectors.byline_source(article) if claim is None else None
    fields = _choice_fields(scheme)
    for item in fields:
        item["value"] = values.get(item["name"], "")
        item["errors"] = errors.get(item["name"], [])
    labels = {name: spec.get("label", name) for name, spec in scheme["fields"].items()}
    stances = values.get("stances", {})
    return {
        "article": article,
        "claim": claim,
        "values": values,
        "errors": errors,
        "error_list": [
            (labels.get(name, "" if name == "__all__" else name), message)
            for name, messages in errors.items()
            for message in messages
        ],
        "notice": notice,
        "choice_fields": fields,
        "stance_values": field_spec(scheme, "stance").get("values", []),
        "target_rows": [
            (target, stances.get(target.pk, ""))
            for target in Target.objects.filter(project=article.project)
        ],
        "show_mention": not field_spec(scheme, "source_mention").get("hidden"),
        "show_note": not field_spec(scheme, "note").get("hidden"),
        "byline_source": byline,
    }


def _mention_quote(article: Article, start: Any, end: Any) -> str:
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(article.text):
        return article.text[start:end]
    return ""


def _values_from_claim(claim: Claim) -> dict[str, Any]:
    return {
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "version": claim.version,
        "source": claim.source,
        "mention_start": claim.mention_start,
        "mention_end": claim.mention_end,
        "mention_quote": _mention_quote(claim.article, claim.mention_start, claim.mention_end),
        "stances": {s.target_id: s.stance for s in claim.stances.all()},
        "note": claim.note,
        **{name: getattr(claim, name) for name in LABEL_FIELDS},
    }


def _values_from_post(article: Article, data: Any) -> dict[str, Any]:
    """The posted values, as they were typed, to show the form again with its errors."""
    values: dict[str, Any] = {name: data.get(name, "") for name in LABEL_FIELDS}
    for name in ("start", "end", "version", "mention_start", "mention_end"):
        raw = data.get(name, "")
        values[name] = int(raw) if raw.strip().isdigit() else None
    values["quote"] = data.get("quote", "")
    values["note"] = data.get("note", "")
    values["mention_quote"] = _mention_quote(
        article, values["mention_start"], values["mention_end"]
    )
    source_id = data.get("source", "")
    values["source"] = (
        article.project.sources.filter(pk=source_id).first() if source_id.isdigit() else None
    )
    values["stances"] = {}
    for key in data:
        if key.startswith("stance-") and key.removeprefix("stance-").isdigit():
            values["stances"][int(key.removeprefix("stance-"))] = data.get(key, "")
    return values


def _form(
    request: HtmxHttpRequest, article: Article, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(request, f"{PAGE}#claim-form", _form_context(article, **kwargs), status=status)


# --- pages ---------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The articles assigned to me in each project, my status and claim count on each."""
    filters = selectors.QueueFilters.from_query(request.GET)
    context: dict[str, Any] = {
        "assignments": list(selectors.queue_of(request.user, filters)),
        "filters": filters,
        "statuses": AssignmentStatus.choices,
        "counts": selectors.queue_counts(request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/queue.html#queue-list", context)
    context["next"] = selectors.next_assignment(request.user)
    context["switcher"] = project_switcher(request.user)
    return render(request, "annotate/queue.html", context)


@require_GET
@login_required
def workspace(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One article with my claims: the text, the claim list and the claim panel."""
    assignment = selectors.assignment_for(request.user, pk)
    article = assignment.article
    project = article.project
    context = _list_context(assignment, request.user)
    context |= {
        "project": project,
        "claim_count": len(context["claims"]),
        "guidelines": render_markdown(project.guidelines),
        "stance_values": field_spec(project.scheme, "stance").get("values", []),
        "switcher": project_switcher(request.user),
    }
    if project.suggestions_enabled:
        context["suggestions_enabled"] = True
        context["suggestions"] = list(
            services.suggestions_open(article=article, annotator=request.user)
        )
    return render(request, PAGE, context)


@require_GET
@login_required
def next_article(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Go to my next unfinished article after this one, or to the queue if none is left."""
    assignment = selectors.assignment_for(request.user, pk)
    following = selectors.next_assignment(request.user, after=assignment.article)
    if following is None:
        return HttpResponseRedirect(reverse("annotate:queue"))
    return HttpResponseRedirect(reverse("annotate:workspace", args=[following.article_id]))


# --- claims --------------------------------------------------------------------------------


@require_GET
@login_required
def claim_new(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The form for a new claim over ``start``–``end`` (code points), whose ``quote`` the
    browser read from the page: a mismatch means the page and the text disagree."""
    article = selectors.assignment_for(request.user, pk).article
    try:
        start, end = int(request.GET.get("start", "")), int(request.GET.get("end", ""))
        span = validate_span(article.text, start, end, request.GET.get("quote"))
    except ValueError:
        return render(
            request,
            f"{PAGE}#panel-message",
            {"message": "The selection has no valid offsets."},
            status=UNPROCESSABLE,
        )
    except ValidationError as error:
        return render(
            request,
            f"{PAGE}#panel-message",
            {"message": " ".join(error.messages)},
            status=UNPROCESSABLE,
        )
    values = {"start": span.start, "end": span.end, "quote": span.quote, "stances": {}}
    return _form(request, article, values=values)


@require_POST
@login_required
def claim_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for(request.user, pk)
    article = assignment.article
    try:
        data = ClaimInput.from_post(request.POST, with_span=True, with_version=False)
        assert data.start is not None and data.end is not None
        claim = services.claim_create(
            article=article,
            annotator=request.user,
            start=data.start,
            end=data.end,
            quote=data.quote,
            source=data.source,
            mention=data.mention,
            stances=data.stance_inputs(),
            note=data.note,
            **data.labels,
        )
    except ValidationError as error:
        values = _values_from_post(article, request.POST)
        return _form(request, article, status=UNPROCESSABLE, values=values, errors=_errors(error))
    assignment.refresh_from_db(fields=["status"])
    response = _fragments(
        request,
        [
            ("panel-empty", {"article": article}),
            ("claim-list", _list_context(assignment, request.user, oob=True)),
            ("progress", _progress_context(assignment, request.user, oob=True)),
        ],
    )
    trigger_client_event(response, SAVED, {"id": claim.pk, "created": True})
    return _toast(response, "Claim saved.")


@require_GET
@login_required
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = selectors.my_claim(request.user, pk)
    return _form(request, claim.article, values=_values_from_claim(claim), claim=claim)


@require_POST
@login_required
def claim_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Save an edit made on ``version``; if the claim moved on since, nothing is written
    and the form comes back (409) with the current state."""
    claim = selectors.my_claim(request.user, pk)
    article = claim.article
    try:
        data = ClaimInput.from_post(request.POST, with_span=False, with_version=True)
        claim = services.claim_update(
            claim=claim,
            actor=request.user,
            version=data.version,
            source=data.source,
            mention=data.mention,
            stances=data.stance_inputs(),
            note=data.note,
            **data.labels,
        )
    except services.StaleVersion:
        current = selectors.my_claim(request.user, pk)
        return _form(
            request,
            article,
            status=CONFLICT,
            values=_values_from_claim(current),
            claim=current,
            notice="This claim was changed elsewhere (another tab or window). Below is its "
            "current state; nothing of your edit was saved — apply it again if still needed.",
        )
    except ValidationError as error:
        values = _values_from_post(article, request.POST)
        return _form(
            request,
            article,
            status=UNPROCESSABLE,
            values=values,
            claim=claim,
            errors=_errors(error),
        )
    claim = selectors.my_claim(request.user, pk)
    row = {"claim": _decorate([claim], article.project.scheme)[0], "article": article}
    response = _fragments(
        request, [("panel-empty", {"article": article}), ("claim-row", {**row, "row_oob": True})]
    )
    trigger_client_event(response, SAVED, {"id": claim.pk, "created": False})
    return _toast(response, "Claim updated.")


@require_POST
@login_required
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete softly; the toast offers Undo (``claim_restore``)."""
    claim = selectors.my_claim(request.user, pk)
    version = request.POST.get("version", "")
    try:
        services.claim_delete(
            claim=claim, actor=request.user, version=int(version) if version.isdigit() else None
        )
    except services.StaleVersion:
        current = selectors.my_claim(request.user, pk)
        return _form(
            request,
            claim.article,
            status=CONFLICT,
            values=_values_from_claim(current),
            claim=current,
            notice="This claim was changed elsewhere, so it was not deleted. Here is its "
            "current state.",
        )
    assignment = selectors.assignment_for(request.user, claim.article_id)
    response = _fragments(
        request,
        [
            ("panel-empty", {"article": claim.article}),
            ("claim-row-deleted", {"claim": claim}),
            ("progress", _progress_context(assignment, request.user, oob=True)),
        ],
    )
    return _toast(
        response, "Claim deleted.", undo=reverse("annotate:claim-restore", args=[claim.pk])
    )


@require_POST
@login_required
def claim_restore(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Undo a delete: the claim list comes back with the claim in it."""
    claim = selectors.my_claim(request.user, pk, live=False)
    services.claim_restore(claim=claim, actor=request.user)
    assignment = selectors.assignment_for(request.user, claim.article_id)
    response = _fragments(
        request,
        [
            ("claim-list", _list_context(assignment, request.user)),
            ("progress", _progress_context(assignment, request.user, oob=True)),
        ],
    )
    trigger_client_event(response, SAVED, {"id": claim.pk, "created": False})
    return _toast(response, "Claim restored.")


# --- progress ------------------------------------------------------------------------------


@require_POST
@login_required
def assignment_done(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for(request.user, pk)
    assignment = services.assignment_mark_done(assignment=assignment, actor=request.user)
    assignment.article = selectors.assignment_for(request.user, pk).article
    response = render(request, f"{PAGE}#progress", _progress_context(assignment, request.user))
    return _toast(response, "Article marked as done.")


@require_POST
@login_required
def assignment_reopen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for(request.user, pk)
    assignment = services.assignment_reopen(assignment=assignment, actor=request.user)
    assignment.article = selectors.assignment_for(request.user, pk).article
    response = render(request, f"{PAGE}#progress", _progress_context(assignment, request.user))
    return _toast(response, "Article reopened.")


# --- the source registry and targets, from the form -------------------------------------


@require_GET
@login_required
def source_search(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Autocomplete options over the registry (name and aliases, diacritic-insensitive)."""
    article = selectors.assignment_for(request.user, pk).article
    query = request.GET.get("q", "").strip()[:200]
    return render(
        request,
        f"{PAGE}#source-options",
        {
            "article": article,
            "query": query,
            "options": selectors.source_options(article.project, query, SOURCE_OPTIONS_LIMIT),
        },
    )


@require_POST
@login_required
def source_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a source to the registry from the form and select it."""
    article = selectors.assignment_for(request.user, pk).article
    name = request.POST.get("name", "")
    try:
        source = services.source_create(
            project=article.project, name=name, kind=request.POST.get("kind") or "person"
        )
    except ValidationError as error:
        return render(
            request,
            f"{PAGE}#source-picker",
            {
                "article": article,
                "values": {"source": None},
                "source_query": name,
                "source_error": " ".join(error.messages),
            },
            status=UNPROCESSABLE,
        )
    response = render(
        request, f"{PAGE}#source-picker", {"article": article, "values": {"source": source}}
    )
    return _toast(response, f"“{source.name}” added to the registry.")


@require_POST
@login_required
def target_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a stance target to the project; the stance table comes back with the stances
    already chosen in the form kept (they are posted along)."""
    article = selectors.assignment_for(request.user, pk).article
    values = _values_from_post(article, request.POST)
    try:
        target = services.target_create(
            project=article.project, name=request.POST.get("target_name", "")
        )
    except ValidationError as error:
        context = _form_context(article, values=values)
        context["target_error"] = " ".join(error.messages)
        return render(request, f"{PAGE}#stance-table", context, status=UNPROCESSABLE)
    context = _form_context(article, values=values)
    context["new_target"] = target
    return render(request, f"{PAGE}#stance-table", context)
