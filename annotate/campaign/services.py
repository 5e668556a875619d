"""A manager shapes the project: its scheme, checked against the claims it already holds,
and its deletion.

The pure part of the scheme editor (presets, operations, the shape of a scheme) is
``corpus.scheme_edit``; what a change would do to the claims needs the claims, so it is
counted here. A change that would make live claims invalid is refused with what it would
break (``SchemeBreaks``); renaming a value's code is a recorded migration: the code
changes on every claim of the project (live or deleted), each claim gets a new version
and a history row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch

from annotate.claims.services import ENTITY, claim_snapshot
from annotate.clusters.indexing import index_files_delete_on_commit
from annotate.history import HistoryChange, history_record_many
from annotate.models import ChainLink, Claim, ClaimStance, Decision, HistoryAction, Suggestion
from annotate.scheme import LABEL_FIELDS
from corpus.models import Project
from corpus.scheme import validate_scheme
from corpus.scheme_edit import renames_checked

BATCH = 500


class SchemeBreaks(ValidationError):
    """The change would make live claims invalid: ``problems`` says how many, and how
    (“12 claims use Source reliability = F”)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__({"scheme": problems})


def _label(scheme: dict[str, Any], name: str) -> str:
    return str(scheme["fields"][name].get("label") or name)


def _claims(project: Project) -> Any:
    return Claim.objects.live().filter(article__project=project)


def _codes(scheme: dict[str, Any], name: str) -> set[str]:
    return {v["value"] for v in scheme["fields"][name].get("values", [])}


def _newly(before: dict[str, Any], after: dict[str, Any], name: str, flag: str) -> bool:
    return bool(after["fields"][name].get(flag)) and not before["fields"][name].get(flag)


def _plural(n: int) -> str:
    return f"{n} claim{'s' if n != 1 else ''}"


def scheme_breaks(
    project: Project,
    after: dict[str, Any],
    renames: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """What replacing the project's scheme with ``after`` (its values renamed as
    ``renames`` says) would make invalid among its live claims, gold included: a value in
    use that the new scheme lacks, a field newly required that claims leave empty, a field
    newly hidden that claims fill. One sentence per problem, with its count."""
    before = project.scheme
    renames = renames or {}
    claims = _claims(project)
    problems: list[str] = []
    for name in LABEL_FIELDS:
        label = _label(after, name)
        kept = _codes(after, name)
        used = claims.exclude(**{name: ""}).values_list(name).annotate(n=Count("pk")).order_by(name)
        for value, n in used:
            if (
                value in _codes(before, name)
                and renames.get(name, {}).get(value, value) not in kept
            ):
                problems.append(f"{_plural(n)} use {label} = {value}.")
        if _newly(before, after, name, "hidden"):
            filled = sum(n for _, n in used)
            if filled:
                problems.append(f"{_plural(filled)} have a {label}: it can't be hidden.")
        if _newly(before, after, name, "required") and not after["fields"][name].get("hidden"):
            empty = claims.filter(**{name: ""}).count()
            if empty:
                problems.append(f"{_plural(empty)} have no {label}: it can't be required.")
    stances = ClaimStance.objects.filter(claim__in=claims)
    kept = _codes(after, "stance")
    used_stances = stances.values_list("stance").annotate(n=Count("claim", distinct=True))
    for value, n in used_stances.order_by("stance"):
        if (
            value in _codes(before, "stance")
            and renames.get("stance", {}).get(value, value) not in kept
        ):
            problems.append(f"{_plural(n)} take the stance {value}.")
    # A chain's links are rated on the scale of the source's reliability.
    kept = _codes(after, "source_reliability")
    links = ChainLink.objects.filter(claim__in=claims).exclude(reliability="")
    used_ratings = links.values_list("reliability").annotate(n=Count("claim", distinct=True))
    for value, n in used_ratings.order_by("reliability"):
        if (
            value in _codes(before, "source_reliability")
            and renames.get("source_reliability", {}).get(value, value) not in kept
        ):
            label = _label(after, "source_reliability")
            problems.append(f"{_plural(n)} with a chain link rated {label} = {value}.")
    required = after["fields"]
    if _newly(before, after, "source", "required") and not required["source"].get("hidden"):
        n = claims.filter(source__isnull=True).count()
        if n:
            problems.append(
                f"{_plural(n)} have no {_label(after, 'source')}: it can't be required."
            )
    if _newly(before, after, "stances", "required") and not required["stances"].get("hidden"):
        n = claims.exclude(Exists(ClaimStance.objects.filter(claim=OuterRef("pk")))).count()
        if n:
            problems.append(f"{_plural(n)} take no stance: stances can't be required.")
    return problems


@dataclass(frozen=True)
class SchemeChange:
    project: Project
    migrated: int  # claims whose codes were renamed


def _check_open(project: Project) -> None:
    if project.archived:
        raise ValidationError(
            f"The project “{project}” is archived: unarchive it to change its scheme."
        )


@transaction.atomic
def scheme_apply(
    *,
    project: Project,
    scheme: Any,
    actor: Any,
    renames: Any = None,
) -> SchemeChange:
    """Give the project a new scheme (the editor's every change, a preset, the API's PUT).

    ``scheme`` is checked by ``validate_scheme``; ``renames`` (``{field: {old: new}}``) by
    ``renames_checked``. If the change would make live claims invalid, ``SchemeBreaks``
    says what, and nothing is written. Renamed codes are migrated on every claim of the
    project (live or deleted) and on its suggestions (attribution and proposed labels):
    each claim gets a new version and a history row (``actor``'s update) with its state
    before and after."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    _check_open(project)
    after = validate_scheme(scheme)
    checked = renames_checked(project.scheme, after, renames)
    problems = scheme_breaks(project, after, checked)
    if problems:
        raise SchemeBreaks(problems)
    migrated = _migrate(project, checked, actor) if checked else 0
    project.scheme = after
    project.save(update_fields=["scheme", "updated"])
    return SchemeChange(project=project, migrated=migrated)


def _migrate(project: Project, renames: dict[str, dict[str, str]], actor: Any) -> int:
    """Rename the codes on the project's claims (live or deleted), with history."""
    every = Claim.objects.filter(article__project=project)
    ids: set[int] = set()
    for name, pairs in renames.items():
        if name == "stance":
            ids.update(
                ClaimStance.objects.filter(claim__in=every, stance__in=list(pairs)).values_list(
                    "claim_id", flat=True
                )
            )
        else:
            ids.update(every.filter(**{f"{name}__in": list(pairs)}).values_list("pk", flat=True))
    # A chain's links are rated on the scale of the source's reliability.
    link_renames = renames.get("source_reliability", {})
    if link_renames:
        ids.update(
            ChainLink.objects.filter(
                claim__in=every, reliability__in=list(link_renames)
            ).values_list("claim_id", flat=True)
        )
    if not ids:
        _rename_suggestions(project, renames)
        return 0
    claims = list(
        Claim.objects.filter(pk__in=ids)
        .select_for_update(of=("self",))
        .prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.order_by("target_id")), "chain"
        )
        .order_by("pk")
    )
    befores = {claim.pk: claim_snapshot(claim) for claim in claims}
    stance_renames = renames.get("stance", {})
    new_stances: dict[int, list[dict[str, Any]]] = {}
    new_chains: dict[int, list[dict[str, Any]]] = {}
    for claim in claims:
        for name, pairs in renames.items():
            if name != "stance" and getattr(claim, name) in pairs:
                setattr(claim, name, pairs[getattr(claim, name)])
        claim.version += 1
        new_stances[claim.pk] = [
            {**s, "stance": stance_renames.get(s["stance"], s["stance"])}
            for s in befores[claim.pk]["stances"]
        ]
        new_chains[claim.pk] = [
            {**k, "reliability": link_renames.get(k["reliability"], k["reliability"])}
            for k in befores[claim.pk]["chain"]
        ]
    Claim.objects.bulk_update(claims, [*LABEL_FIELDS, "version"], batch_size=BATCH)
    for old, new in stance_renames.items():
        ClaimStance.objects.filter(claim__in=every, stance=old).update(stance=new)
    for old, new in link_renames.items():
        ChainLink.objects.filter(claim__in=every, reliability=old).update(reliability=new)
    _rename_suggestions(project, renames)
    history_record_many(
        entity=ENTITY,
        action=HistoryAction.UPDATE,
        actor=actor,
        changes=(
            HistoryChange(
                project_id=project.pk,
                object_id=claim.pk,
                before=befores[claim.pk],
                after=claim_snapshot(
                    claim, stances=new_stances[claim.pk], chain=new_chains[claim.pk]
                ),
            )
            for claim in claims
        ),
        batch_size=BATCH,
    )
    return len(claims)


def _rename_suggestions(project: Project, renames: dict[str, dict[str, str]]) -> None:
    """Rename the codes on the project's suggestions: their attribution, and the labels
    they propose (``Suggestion.labels``: stances, reliability, credibility, type,
    check-worthiness), so that accepting one later pre-fills the form with a code the
    scheme still has."""
    for old, new in renames.get("attribution", {}).items():
        Suggestion.objects.filter(article__project=project, attribution=old).update(attribution=new)
    label_renames = {name: pairs for name, pairs in renames.items() if name != "attribution"}
    if not label_renames:
        return
    changed: list[Suggestion] = []
    rows = Suggestion.objects.filter(article__project=project).exclude(labels={})
    for suggestion in rows.only("pk", "labels").iterator(chunk_size=BATCH):
        labels = suggestion.labels
        if not isinstance(labels, dict):
            continue
        renamed = _renamed_labels(labels, label_renames)
        if renamed != labels:
            suggestion.labels = renamed
            changed.append(suggestion)
    Suggestion.objects.bulk_update(changed, ["labels"], batch_size=BATCH)


def _renamed_labels(labels: dict[str, Any], renames: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``labels`` (a suggestion's proposals) with the renamed codes replaced; a malformed
    entry is left as it is (``proposed_labels`` reads them defensively)."""
    out = dict(labels)
    for name, pairs in renames.items():
        if name == "stance":
            stances = out.get("stances")
            if isinstance(stances, list):
                out["stances"] = [
                    {**s, "stance": pairs.get(s["stance"], s["stance"])}
                    if isinstance(s, dict) and isinstance(s.get("stance"), str)
                    else s
                    for s in stances
                ]
        elif isinstance(out.get(name), str) and out[name] in pairs:
            out[name] = pairs[out[name]]
    return out


# --- Deleting a project --------------------------------------------------------------


def gold_count(project: Project) -> int:
    """The project's live gold claims (its adjudicated layer)."""
    return _claims(project).gold().count()


@dataclass(frozen=True)
class Deleted:
    articles: int
    claims: int
    gold: int


@transaction.atomic
def project_destroy(*, project: Project, confirm_name: Any, confirm_gold: bool = False) -> Deleted:
    """Delete a project with everything in it: articles, claims, gold, sources, history.

    ``confirm_name`` must be the project's name, typed. While the project holds gold
    claims, ``confirm_gold`` must be true too (a second, explicit confirmation): nothing
    is lost by one click. Otherwise a ``ValidationError`` says what is missing and
    nothing is deleted."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not isinstance(confirm_name, str) or confirm_name.strip() != project.name:
        raise ValidationError(
            {"confirm_name": f"Type the project's name, “{project.name}”, to delete it."}
        )
    gold = gold_count(project)
    if gold and confirm_gold is not True:
        raise ValidationError(
            {
                "confirm_gold": f"The project has {gold} gold claim{'s' if gold != 1 else ''} "
                "(the adjudicated layer). Confirm a second time that they go too."
            }
        )
    every = Claim.objects.filter(article__project=project)
    counts = Deleted(
        articles=project.articles.count(),
        claims=every.annotations().count(),
        gold=gold,
    )
    # The suggestion index's files are in storage, not the database: they go once the
    # deletion commits.
    index_files_delete_on_commit(project.pk)
    # Decisions, then claims, protect what they point at: delete them first.
    Decision.objects.filter(article__project=project).delete()
    every.delete()
    project.delete()
    return counts
