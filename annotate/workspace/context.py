"""The context the workspace's templates render: the scheme's fields, the claim list's rows,
the progress and the claim form (also used by the suggestion and review screens).

The claim list is the hot part (300 rows on a long article, on every page load): its rows
are plain dicts built from ``values()`` rows, with every label, truncation and summary
computed here, so that the template only prints strings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.text import Truncator

from annotate.chains.checks import reliability_order
from annotate.chains.links import chain_reliability
from annotate.claims import selectors as claim_selectors
from annotate.claims.forms import CHAIN_FIELDS
from annotate.models import Assignment, ChainLink, Claim, SourceStatus, Suggestion, Target
from annotate.scheme import LABEL_FIELDS, field_spec
from annotate.sources import selectors as source_selectors
from annotate.suggest import services as suggestion_services
from annotate.suggest.services import proposed_labels
from common.params import MAX_INT32, id_or_none, int_or_none
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User

QUOTE_CHARS = 160
TARGET_CHARS = 30
# Reversed with this id, then ``{id}`` stands for it: workspace.js fills in each claim's.
_URL_ID = 2_147_483_647


# --- the scheme, as the templates need it ------------------------------------------------


def choice_fields(scheme: dict[str, Any]) -> list[dict[str, Any]]:
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


def label_maps(scheme: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {v["value"]: v.get("label", v["value"]) for v in spec.get("values", [])}
        for name, spec in scheme["fields"].items()
    }


def error_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


# --- the claim list ------------------------------------------------------------------------


def _truncate(text: str, length: int) -> str:
    # What ``truncatechars`` does, without its cost for the (usual) text that fits.
    return text if len(text) <= length else Truncator(text).chars(length)


def claim_row(
    values: dict[str, Any],
    stances: list[tuple[str, str]],
    labels: dict[str, dict[str, str]],
    chain: list[tuple[str, str]] | None = None,
    order: list[str] | None = None,
) -> dict[str, Any]:
    """One row of the claim list, every string ready to print. ``values`` holds the
    claim's ``id start end version quote attribution claim_type source_reliability
    information_credibility``, its source's name as ``source__name`` and status as
    ``source__status`` (a proposed source is marked, as in the picker); ``stances`` its
    (target name, stance) pairs; ``chain`` its carriers' (name, reliability) in order,
    ``order`` the scheme's reliability scale (for the chain's weakest link)."""
    stance_labels = labels.get("stance", {})
    source_name = values["source__name"] or "No source"
    attribution = values["attribution"]
    attribution_label = labels.get("attribution", {}).get(attribution, attribution)
    stance_list = [
        {
            "name": name,
            "short_name": _truncate(name, TARGET_CHARS),
            "value": stance,
            "label": stance_labels.get(stance, stance),
        }
        for name, stance in stances
    ]
    summary = [source_name]
    if attribution:
        summary.append(attribution_label)
    summary += [f"{s['label']}: {s['name']}" for s in stance_list]
    claim_type = values["claim_type"]
    reliability = values["source_reliability"]
    credibility = values["information_credibility"]
    return {
        "pk": values["id"],
        "start": str(values["start"]),
        "end": str(values["end"]),
        "version": str(values["version"]),
        "quote": _truncate(values["quote"], QUOTE_CHARS),
        "source_name": source_name,
        "source_proposed": values.get("source__status") == SourceStatus.PROPOSED,
        "attribution": attribution,
        "attribution_label": attribution_label,
        "type_label": labels.get("claim_type", {}).get(claim_type, claim_type)
        if claim_type
        else "",
        "stance_list": stance_list,
        "rating": f"{reliability or '?'}{credibility or '?'}" if reliability or credibility else "",
        "summary": " · ".join(summary),
        "chain": " › ".join(name for name, _ in chain or []),
        "chain_weakest": chain_reliability(reliability, [r for _, r in chain], order or [])
        if chain
        else "",
    }


def open_suggestions(article: Article, user: User) -> list[Suggestion]:
    """The user's open suggestions on the article, each with ``proposed``: the labels it
    proposes (imported pre-annotations carry them) as printable tags, like a claim row's."""
    suggestions = list(suggestion_services.suggestions_open(article=article, annotator=user))
    labels = label_maps(article.project.scheme)
    stance_labels = labels.get("stance", {})
    wanted = {
        entry.get("target")
        for s in suggestions
        if isinstance(s.labels, dict)
        for entry in s.labels.get("stances") or []
        if isinstance(entry, dict)
    }
    names: dict[Any, str] = {}
    if wanted:
        ids = [w for w in wanted if isinstance(w, int)]
        names = dict(
            Target.objects.filter(project_id=article.project_id, pk__in=ids).values_list(
                "id", "name"
            )
        )
    for suggestion in suggestions:
        proposed = proposed_labels(suggestion)
        reliability = proposed.get("source_reliability")
        credibility = proposed.get("information_credibility")
        claim_type = proposed.get("claim_type")
        suggestion.proposed = {  # type: ignore[attr-defined]
            "stance_list": [
                {
                    "name": names[stance.target],
                    "short_name": _truncate(names[stance.target], TARGET_CHARS),
                    "value": stance.stance,
                    "label": stance_labels.get(stance.stance, stance.stance),
                }
                for stance in proposed["stances"]
                if stance.target in names and stance.stance
            ],
            "rating": f"{reliability or '?'}{credibility or '?'}"
            if reliability or credibility
            else "",
            "type_label": labels.get("claim_type", {}).get(claim_type, claim_type)
            if claim_type
            else "",
        }
    return suggestions


def claim_rows(article: Article, user: User) -> list[dict[str, Any]]:
    """The rows of the user's claim list on the article, in text order (two queries)."""
    labels = label_maps(article.project.scheme)
    order = reliability_order(article.project.scheme)
    rows = claim_selectors.my_claim_rows(article, user)
    chains = claim_selectors.my_chains(article, user) if rows else {}
    return [
        claim_row(values, stances, labels, chains.get(values["id"]), order)
        for values, stances in rows
    ]


def row_of(claim: Claim) -> dict[str, Any]:
    """The row of one claim whose source and stances (with targets) are loaded."""
    values = {name: getattr(claim, name) for name in claim_selectors.CLAIM_ROW_FIELDS}
    values["source__name"] = claim.source.name if claim.source is not None else None
    values["source__status"] = claim.source.status if claim.source is not None else None
    stances = [(s.target.name, s.stance) for s in claim.stances.all()]
    # .all() uses the claim's prefetch (the services load the chain with its sources).
    links = sorted(claim.chain.all(), key=lambda link: link.position)
    chain = [(link.source.name, link.reliability) for link in links]
    scheme = claim.article.project.scheme
    return claim_row(values, stances, label_maps(scheme), chain, reliability_order(scheme))


def claim_labels(claim: Claim | None) -> dict[str, Any]:
    """A claim's labels as the workspace repeats them ("same as my last claim", ``r``) and
    as an accepted suggestion takes them where it proposes none: the label fields and the
    stances by target id (a string, as in JSON). Empty for no claim."""
    if claim is None:
        return {}
    labels: dict[str, Any] = {name: getattr(claim, name) for name in LABEL_FIELDS}
    labels["stances"] = {str(s.target_id): s.stance for s in claim.stances.all()}
    return labels


def labels_summary(claim: Claim | None) -> str:
    """A claim's labels in words, as its row shows them: "Direct quote · Against: Turkey ·
    B2 · Factual"; empty for no claim. Its stances' targets must be loaded."""
    if claim is None:
        return ""
    maps = label_maps(claim.article.project.scheme)
    parts = []
    if claim.attribution:
        parts.append(maps.get("attribution", {}).get(claim.attribution, claim.attribution))
    for s in claim.stances.all():
        if s.stance:
            label = maps.get("stance", {}).get(s.stance, s.stance)
            parts.append(f"{label}: {_truncate(s.target.name, TARGET_CHARS)}")
    reliability, credibility = claim.source_reliability, claim.information_credibility
    if reliability or credibility:
        parts.append(f"{reliability or '?'}{credibility or '?'}")
    if claim.claim_type:
        parts.append(maps.get("claim_type", {}).get(claim.claim_type, claim.claim_type))
    if claim.checkworthy:
        value = maps.get("checkworthy", {}).get(claim.checkworthy, claim.checkworthy)
        parts.append(f"Check-worthy: {value}")
    return " · ".join(parts)


def last_labels(user: Any, project: Any) -> dict[str, Any]:
    """``claim_labels`` of the user's last saved claim in the project, in words too, and as
    JSON for the page (two queries)."""
    claim = claim_selectors.my_last_claim(user, project)
    labels = claim_labels(claim)
    return {"labels": labels, "summary": labels_summary(claim), "json": json.dumps(labels)}


def saved_event(claim: Claim, *, created: bool) -> dict[str, Any]:
    """The detail of the ``claimdesk:saved`` event: the claim, and its labels (the page's
    "same as my last claim" takes them)."""
    return {
        "id": claim.pk,
        "created": created,
        "labels": claim_labels(claim),
        "summary": labels_summary(claim),
    }


def claim_urls() -> dict[str, str]:
    """The claim endpoints the list's rows use, ``{id}`` standing for the claim: reversed
    once per list instead of per row."""
    return {
        name: reverse(f"annotate:claim-{name}", args=[_URL_ID]).replace(str(_URL_ID), "{id}")
        for name in ("edit", "delete")
    }


def list_context(assignment: Assignment, user: User, **extra: Any) -> dict[str, Any]:
    article = assignment.article
    return {
        "article": article,
        "assignment": assignment,
        "claims": claim_rows(article, user),
        "claim_urls": claim_urls(),
        **extra,
    }


def progress_context(assignment: Assignment, user: User, **extra: Any) -> dict[str, Any]:
    count = Claim.objects.live().for_article(assignment.article).by(user).count()
    return {"article": assignment.article, "assignment": assignment, "claim_count": count, **extra}


# --- the claim form ------------------------------------------------------------------------


def form_context(
    article: Article,
    *,
    values: dict[str, Any],
    claim: Claim | None = None,
    errors: dict[str, list[str]] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    scheme = article.project.scheme
    errors = errors or {}
    byline = source_selectors.byline_source(article) if claim is None else None
    fields = choice_fields(scheme)
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
        **chain_context(article, values),
    }


def chain_context(article: Article, values: dict[str, Any]) -> dict[str, Any]:
    """The chain section of the form: its links (``values["chain"]``: dicts with a loaded
    ``source``, ``mention_start``/``mention_end`` and ``reliability``), each with the text
    of its mention, the scheme's reliability values and the chain's weakest link."""
    scheme = article.project.scheme
    spec = field_spec(scheme, "source_reliability")
    links = [
        {
            **link,
            "mention_quote": mention_quote(article, link["mention_start"], link["mention_end"]),
        }
        for link in values.get("chain") or []
    ]
    return {
        "chain_links": links,
        "reliability_values": [] if spec.get("hidden") else spec.get("values", []),
        "chain_weakest": chain_reliability(
            str(values.get("source_reliability") or ""),
            [str(link["reliability"]) for link in links],
            reliability_order(scheme),
        )
        if links
        else "",
    }


def chain_values(links: Any) -> list[dict[str, Any]]:
    """Stored links (with their sources loaded) as the form's chain values."""
    return [
        {
            "source": link.source,
            "mention_start": link.mention_start,
            "mention_end": link.mention_end,
            "reliability": link.reliability,
        }
        for link in links
    ]


def mention_quote(article: Article, start: Any, end: Any) -> str:
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(article.text):
        return article.text[start:end]
    return ""


def values_from_claim(claim: Claim) -> dict[str, Any]:
    return {
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "version": claim.version,
        "source": claim.source,
        "mention_start": claim.mention_start,
        "mention_end": claim.mention_end,
        "mention_quote": mention_quote(claim.article, claim.mention_start, claim.mention_end),
        "stances": {s.target_id: s.stance for s in claim.stances.all()},
        "chain": chain_values(
            ChainLink.objects.filter(claim=claim).select_related("source").order_by("position")
        ),
        "note": claim.note,
        **{name: getattr(claim, name) for name in LABEL_FIELDS},
    }


def values_from_post(article: Article, data: Any, *, viewer: User) -> dict[str, Any]:
    """The posted values, as they were typed, to show the form again with its errors (a
    source, or chain carrier, ``viewer`` may not cite is left out: not named back)."""
    values: dict[str, Any] = {name: data.get(name, "") for name in LABEL_FIELDS}
    for name in ("start", "end", "version", "mention_start", "mention_end"):
        values[name] = int_or_none(data.get(name, "").strip(), max_value=MAX_INT32)
    values["quote"] = data.get("quote", "")
    values["note"] = data.get("note", "")
    values["mention_quote"] = mention_quote(article, values["mention_start"], values["mention_end"])
    source_id = id_or_none(data.get("source", ""))
    values["source"] = (
        source_selectors.citable_sources([source_id], [article.project], viewer=viewer).first()
        if source_id is not None
        else None
    )
    values["chain"] = _posted_chain(article, data, viewer)
    values["stances"] = {}
    for key in data:
        target_id = id_or_none(key.removeprefix("stance-"))
        if key.startswith("stance-") and target_id is not None:
            values["stances"][target_id] = data.get(key, "")
    return values


def _posted_chain(article: Article, data: Any, viewer: User) -> list[dict[str, Any]]:
    """The chain's rows as posted (those whose source ``viewer`` may cite), to show again."""
    if not hasattr(data, "getlist"):
        return []
    sources, starts, ends, ratings = (data.getlist(name) for name in CHAIN_FIELDS)
    ids = [id_or_none(value) for value in sources]
    found = {
        s.pk: s
        for s in source_selectors.citable_sources(
            [i for i in ids if i is not None], [article.project], viewer=viewer
        )
    }
    rows = []
    for index, source_id in enumerate(ids):
        if source_id not in found:
            continue
        start = (
            int_or_none(starts[index].strip(), max_value=MAX_INT32) if index < len(starts) else None
        )
        end = int_or_none(ends[index].strip(), max_value=MAX_INT32) if index < len(ends) else None
        rows.append(
            {
                "source": found[source_id],
                "mention_start": start if end is not None else None,
                "mention_end": end if start is not None else None,
                "reliability": ratings[index] if index < len(ratings) else "",
            }
        )
    return rows
