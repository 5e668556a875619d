"""The curators' screens' presenters: what the agreement dashboard, the suggesters' scores,
the review screen and the gold form show, shaped for their templates (rows, cells, colours,
readings). No writes and no requests: ``annotate.review.views`` calls them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from annotate.models import Claim, Source, Target
from annotate.review import figures as review
from annotate.review.agreement.help import FIGURE_HELP, alpha_reading
from annotate.review.agreement.records import STANCE_PREFIX
from annotate.review.gold import CHAIN_PREFIX
from annotate.scheme import LABEL_FIELDS, field_spec
from annotate.workspace.context import choice_fields as _choice_fields
from annotate.workspace.context import label_maps as _label_maps
from common.params import id_or_none, int_or_none
from corpus.models import Article, Project

if TYPE_CHECKING:
    from annotate.review.agreement.chains import ChainAgreement


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def heat_colour(value: float | None) -> str:
    """A background colour for a figure in [0, 1] (red → amber → green); grey if None."""
    if value is None:
        return "hsl(0 0% 92%)"
    clamped = max(0.0, min(1.0, value))
    return f"hsl({round(clamped * 120)} 65% {round(88 - clamped * 10)}%)"


# Fewer units than this and a field's α is not read as reliable/tentative/revise: on a handful
# of units one disagreement swings it anywhere.
MIN_UNITS_TO_READ = 5


def reading_of(figure: Any) -> tuple[str, str]:
    """What the "Reading" column says of a field's α, and its CSS class's suffix: the
    conventional reading on enough units; otherwise a neutral note of why there is none."""
    reading = alpha_reading(figure.value)
    if figure.n_units < MIN_UNITS_TO_READ:
        return f"too few (n = {figure.n_units})", "neutral"
    if reading is None:
        if figure.observed_agreement == 1:
            return "all agree (one value used)", "neutral"
        return "not computable", "neutral"
    return reading, reading


def field_label(project: Project, name: str, targets: dict[str, str]) -> str:
    if name.startswith("stance:"):
        return f"Stance · {targets.get(name.removeprefix('stance:'), name)}"
    return str(field_spec(project.scheme, name).get("label", name))


def dashboard_context(project: Project, board: review.Dashboard, heat: str) -> dict[str, Any]:
    data = board.data
    report = data.report
    names = data.annotator_names
    targets = {
        str(pk): name
        for pk, name in Target.objects.filter(project=project).values_list("pk", "name")
    }
    fields = [
        {
            "name": f.field,
            "label": field_label(project, f.field, targets),
            "level": f.level,
            "alpha": fmt(f.alpha.value),
            "observed": fmt(f.alpha.observed_agreement),
            "n_units": f.alpha.n_units,
            "n_values": f.alpha.n_values,
            "reading": reading_of(f.alpha)[0],
            "reading_class": reading_of(f.alpha)[1],
            "why": f.alpha.undefined_reason or "",
            "fleiss": fmt(f.fleiss_kappa.value) if f.fleiss_kappa else "",
            "not_judgeable": (
                f"{f.not_judgeable_share:.0%}" if f.not_judgeable_share is not None else "—"
            ),
            "colour": heat_colour(f.alpha.value),
        }
        for f in report.fields
    ]
    people = list(report.annotator_ids)
    pair_value: dict[tuple[Any, Any], tuple[float | None, int]] = {}
    if heat == "span":
        for s in report.span_pairs:
            pair_value[(s.annotator_a, s.annotator_b)] = (s.overlap.f1, s.overlap.n_claims)
    else:
        chosen = next((f for f in report.fields if f.field == heat), None)
        for p in chosen.pairs if chosen else []:
            pair_value[(p.annotator_a, p.annotator_b)] = (p.alpha.value, p.alpha.n_units)
    matrix = []
    for a in people:
        cells = []
        for b in people:
            value, n = pair_value.get((a, b)) or pair_value.get((b, a)) or (None, 0)
            cells.append(
                {"same": a == b, "value": fmt(value), "n": n, "colour": heat_colour(value)}
            )
        matrix.append({"name": names.get(int(a), str(a)), "cells": cells})
    trend = [
        {
            "week": row.week,
            "n_articles": row.n_articles,
            "n_units": row.n_units,
            "f1": fmt(row.span_f1.f1),
            "colour": heat_colour(row.span_f1.f1),
            "fields": [
                (fmt(row.fields[f["name"]].value), row.fields[f["name"]].n_units)
                if f["name"] in row.fields
                else ("—", 0)
                for f in fields
            ],
        }
        for row in data.trend
    ]
    return {
        "project": project,
        "report": report,
        "spans": report.spans,
        "f1_exact": fmt(report.spans.exact.f1),
        "f1_overlap": fmt(report.spans.overlap.f1),
        "alpha_u": fmt(report.unitizing.alpha_u.value),
        "coverage_alpha": fmt(report.unitizing.coverage_alpha.value),
        "fields": fields,
        "heat": heat,
        "heat_choices": [("span", "Span F1 (overlap)")] + [(f["name"], f["label"]) for f in fields],
        "people": [names.get(int(a), str(a)) for a in people],
        "matrix": matrix,
        "trend": trend,
        "worst": board.worst,
        "help": FIGURE_HELP,
        "chains": chain_context(board.chains),
    }


def chain_context(chains: ChainAgreement | None) -> dict[str, Any] | None:
    """The chain section of the dashboard: equality with its n, α per position."""
    if chains is None:
        return None
    return {
        "n_units": chains.n_units,
        "n_equal": chains.n_equal,
        "n_chained": chains.n_chained,
        "equal": share(chains.n_equal, chains.n_units, chains.equal_share),
        "positions": [
            {
                "position": p.position,
                "alpha": fmt(p.alpha.value),
                "n_units": p.alpha.n_units,
                "n_values": p.alpha.n_values,
                "reading": reading_of(p.alpha)[0],
                "reading_class": reading_of(p.alpha)[1],
                "why": p.alpha.undefined_reason or "",
                "colour": heat_colour(p.alpha.value),
            }
            for p in chains.positions
        ],
    }


def share(part: int, whole: int, value: float | None) -> str:
    """A proportion with its n, "too few" below ``MIN_UNITS_TO_READ``."""
    if whole < MIN_UNITS_TO_READ:
        return f"too few (n = {whole})"
    return f"{fmt(value)} (n = {whole})"


def segments(text: str, units: list[review.ReviewUnit]) -> list[tuple[str, list[int]]]:
    """The text cut where a group starts or ends: (piece, indices of the groups covering it)."""
    cuts = sorted({0, len(text), *(u.start for u in units), *(u.end for u in units)})
    pieces = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        covering = [u.index for u in units if u.start < hi and lo < u.end]
        pieces.append((text[lo:hi], covering))
    return pieces


NO_MENTION = "(not marked)"


def cell_values(claim: Claim | None, labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """What a cell shows for each field; stances one per target (``stance-<target id>``)."""
    if claim is None:
        return {}
    stance_labels = labels.get("stance", {})
    stances = sorted(
        (s.target.name, stance_labels.get(s.stance, s.stance)) for s in claim.stances.all()
    )
    mention = NO_MENTION
    if claim.mention_start is not None and claim.mention_end is not None:
        mention = f"“{claim.article.text[claim.mention_start : claim.mention_end]}”"
    shown = {
        "span": f"“{claim.quote}”",
        "source": claim.source.name if claim.source else "",
        "mention": mention,
        "stances": "; ".join(f"{label} → {name}" for name, label in stances),
    }
    for s in claim.stances.all():
        shown[f"stance-{s.target_id}"] = stance_labels.get(s.stance, s.stance)
    for name in LABEL_FIELDS:
        value = getattr(claim, name)
        shown[name] = labels.get(name, {}).get(value, value)
    shown["chain"] = " › ".join(
        _link_label(link) for link in sorted(claim.chain.all(), key=lambda link: link.position)
    )
    return shown


def field_rows(project: Project, targets: list[Target] | None = None) -> list[tuple[str, str]]:
    """The rows of a group's table: (row name, label). Each stance target has its own row
    (``stance-<id>``), so that stances are compared — and merged — target by target."""
    rows = [
        ("span", "Span"),
        ("source", "Source"),
        ("mention", "Source mention"),
        ("chain", "Carried by (chain)"),
    ]
    if targets is None:
        targets = list(Target.objects.filter(project=project).order_by("name"))
    rows += [(f"stance-{t.pk}", f"Stance · {t.name}") for t in targets]
    for name in LABEL_FIELDS:
        spec = field_spec(project.scheme, name)
        if spec and not spec.get("hidden"):
            rows.append((name, str(spec.get("label", name))))
    return rows


def differs(unit: review.ReviewUnit, name: str) -> bool:
    if name.startswith("stance-"):
        return f"{STANCE_PREFIX}{name.removeprefix('stance-')}" in unit.differing
    return name in unit.differing


def giver_of(unit: review.ReviewUnit, name: str) -> int | None:
    """The claim whose value of the row the group's gold claim took (None: not decided)."""
    if unit.outcome is None or unit.outcome.gold is None:
        return None
    given = unit.outcome.given
    if name.startswith("stance-"):
        target = name.removeprefix("stance-")
        return given.get(f"{STANCE_PREFIX}{target}", given.get("stances"))
    return given.get(name)


def _link_label(link: Any) -> str:
    return f"{link.source.name} ({link.reliability})" if link.reliability else link.source.name


def chain_positions(unit: review.ReviewUnit, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A group's differing chains position by position, for a merge that takes each
    position's link from one claim (``take-chain-<position>``): per position, each
    column's link (or none), whether the claims agree there (same carrier, mention and
    reliability), and the column chosen — the one the gold claim took it from, else the
    first annotator's (whose whole chain is thus the default)."""
    links = {
        col["n"]: sorted(col["claim"].chain.all(), key=lambda link: link.position)
        for col in columns
        if col["claim"] is not None
    }
    longest = max((len(chain) for chain in links.values()), default=0)
    first = next((col for col in columns if col["claim"] is not None), None)
    positions = []
    for position in range(1, longest + 1):
        at = {
            n: chain[position - 1] if position <= len(chain) else None for n, chain in links.items()
        }
        compared = {
            None if k is None else (k.source_id, k.mention_start, k.mention_end, k.reliability)
            for k in at.values()
        }
        giver = giver_of(unit, f"{CHAIN_PREFIX}{position}")
        chosen = next(
            (col for col in columns if col["claim"] is not None and col["claim"].pk == giver),
            first,
        )
        positions.append(
            {
                "position": position,
                "agrees": len(compared) == 1,
                "cells": [
                    (
                        col,
                        _link_label(at[col["n"]]) if at.get(col["n"]) is not None else "",
                        col is chosen,
                    )
                    for col in columns
                ],
            }
        )
    return positions


def unit_context(
    rv: review.ArticleReview,
    unit: review.ReviewUnit,
    labels: dict[str, dict[str, str]],
    fields: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    fields = fields if fields is not None else field_rows(rv.article.project)
    gold = unit.outcome.gold if unit.outcome else None
    gold_values = cell_values(gold, labels)
    columns = []
    for n, (user, claim) in enumerate(zip(rv.annotators, unit.cells, strict=True), start=1):
        columns.append({"n": n, "user": user, "claim": claim, "values": cell_values(claim, labels)})
    first = next((col for col in columns if col["claim"] is not None), None)
    rows = []
    for name, label in fields:
        # Chosen: the version the gold claim took (after a merge), else the first
        # annotator's until the curator picks another.
        giver = giver_of(unit, name)
        chosen = next(
            (col for col in columns if col["claim"] is not None and col["claim"].pk == giver),
            first,
        )
        values = [col["values"].get(name, "") for col in columns if col["claim"] is not None]
        optional_row = name.startswith("stance-") or name == "chain"
        if optional_row and not any(values) and not gold_values.get(name):
            continue  # a target nobody took a stance toward; a chain nobody gave
        row = {
            "name": name,
            "label": label,
            "differs": differs(unit, name),
            "cells": [(col, col["values"].get(name, ""), col is chosen) for col in columns],
            "gold": gold_values.get(name, ""),
        }
        if name == "chain" and row["differs"]:
            row["positions"] = chain_positions(unit, columns)
        rows.append(row)
    return {
        "article": rv.article,
        "unit": unit,
        "columns": columns,
        "rows": rows,
        "gold": gold,
        "field_rows": fields,
    }


def review_context(article: Article) -> dict[str, Any]:
    rv = review.article_review(article)
    labels = _label_maps(article.project.scheme)
    fields = field_rows(article.project)
    return {
        "article": article,
        "project": article.project,
        "rv": rv,
        "units": [unit_context(rv, u, labels, fields) for u in rv.units],
        "added": [(g, cell_values(g, labels)) for g in rv.added],
        "segments": segments(article.text, rv.units),
        "field_rows": fields,
    }


def gold_form_context(
    article: Article,
    *,
    values: dict[str, Any],
    gold: Claim | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    project = article.project
    fields = _choice_fields(project.scheme)
    for item in fields:
        item["value"] = values.get(item["name"], "")
    stances = values.get("stances", {})
    return {
        "article": article,
        "gold": gold,
        "values": values,
        "errors": errors or {},
        "error_list": [m for ms in (errors or {}).values() for m in ms],
        "choice_fields": fields,
        "sources": Source.objects.in_project(project).only("pk", "name"),
        "stance_values": field_spec(project.scheme, "stance").get("values", []),
        "target_rows": [(t, stances.get(t.pk, "")) for t in Target.objects.filter(project=project)],
    }


def gold_form_values(gold: Claim) -> dict[str, Any]:
    return {
        "start": gold.start,
        "end": gold.end,
        "quote": gold.quote,
        "version": gold.version,
        "source": gold.source_id,
        "stances": {s.target_id: s.stance for s in gold.stances.all()},
        "note": gold.note,
        **{name: getattr(gold, name) for name in LABEL_FIELDS},
    }


def posted_form_values(data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: data.get(name, "") for name in LABEL_FIELDS}
    for name in ("start", "end", "version", "source"):
        values[name] = int_or_none(data.get(name, ""))
    values["quote"] = data.get("quote", "")
    values["note"] = data.get("note", "")
    values["stances"] = {
        target: data.get(k)
        for k in data
        if k.startswith("stance-") and (target := id_or_none(k.removeprefix("stance-")))
    }
    return values


def suggester_rows(project: Project, scores: Any) -> list[dict[str, Any]]:
    """The suggesters' scores page's rows: each suggester's figures against the gold layer."""
    targets = {
        str(pk): name
        for pk, name in Target.objects.filter(project=project).values_list("pk", "name")
    }
    rows = []
    for s in scores.suggesters:
        rows.append(
            {
                "score": s,
                "precision": share(s.overlap.matched, s.overlap.proposals, s.overlap.precision),
                "recall": share(s.overlap.matched, s.overlap.gold, s.overlap.recall),
                "f1": share(s.overlap.matched, s.overlap.proposals + s.overlap.gold, s.overlap.f1),
                "exact_f1": share(s.exact.matched, s.exact.proposals + s.exact.gold, s.exact.f1),
                "source": share(s.source_correct, s.overlap.matched, s.source_accuracy),
                "fields": [
                    {
                        "label": field_label(project, f.field, targets),
                        "level": f.level,
                        "alpha": fmt(f.alpha.value),
                        "n_units": f.alpha.n_units,
                        "n_proposed": f.n_proposed,
                        "reading": reading_of(f.alpha)[0],
                        "reading_class": reading_of(f.alpha)[1],
                        "why": f.alpha.undefined_reason or "",
                    }
                    for f in s.fields
                ],
            }
        )
    return rows
