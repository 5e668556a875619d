"""Plain-language help for every figure of the agreement report (for the UI and the docs)."""

from __future__ import annotations

RELIABLE = 0.800
TENTATIVE = 0.667

FIGURE_HELP: dict[str, str] = {
    "n": (
        "The number of units (or values) a figure rests on. Read every figure with its n: an α "
        "of 0.9 on 8 units says little; on 800 it says a lot."
    ),
    "unit": (
        "A group of claims that annotators made at the same place: at most one claim per "
        "annotator, matched by overlapping spans. An annotator with no claim in a unit leaves "
        "that cell empty (missing), never a default value."
    ),
    "span_f1": (
        "How often two annotators mark the same claims: F1 = 2a / (2a + b + c), where a counts "
        "claims both made and b, c claims only one of them made. 1 means every claim was found "
        "by both; 0 means none was. 'Exact' needs identical boundaries; 'overlap' accepts spans "
        "that share at least half their characters (Jaccard ≥ 0.5 by default). Project figures "
        "add up a, b and c over all articles first (micro-average). Equal to positive specific "
        "agreement; it ignores the text nobody marked, so it has no chance correction."
    ),
    "precision_recall": (
        "With the first annotator of the pair as reference: precision is the share of the "
        "second annotator's claims that the first also made, recall the share of the first's "
        "claims that the second found."
    ),
    "coverage_alpha": (
        "Character-level α on claim coverage: every character is a unit and each annotator "
        "says 'inside a claim' or not; Krippendorff's α on those answers. Rewards agreeing on "
        "which text holds claims, whatever the exact boundaries. A common approximation of "
        "α_U; read it as 'how consistently is the same text marked'."
    ),
    "alpha_u": (
        "Krippendorff's unitizing α (α_U): compares whole marked stretches, so a boundary moved "
        "by a few characters costs little and a claim the other annotator missed costs a lot. "
        "1 is perfect agreement on where claims are, 0 is what chance would give."
    ),
    "alpha": (
        "Krippendorff's α for a field, on the units where two or more annotators gave a value: "
        "1 is perfect agreement, 0 is no better than chance, below 0 is systematic "
        "disagreement. Nominal fields count any difference as a disagreement; ordinal fields "
        "(source reliability A–E, information credibility 1–5) count B vs C as smaller than A vs "
        "E. α ≥ 0.800: reliable; 0.667–0.800: tentative conclusions only; below: revise the "
        "guidelines. Always read it next to its n and the span F1: a high α on few matched "
        "units is not a reliable field."
    ),
    "observed_agreement": (
        "The plain share of agreeing pairs of values, without any chance correction. Shown "
        "beside every coefficient: a high observed agreement with a low α means the "
        "annotators mostly used one common value, so agreeing was easy."
    ),
    "cohen_kappa": (
        "Cohen's κ for one pair of annotators on the units both of them coded: agreement beyond "
        "what each annotator's own habits would produce by chance. Unweighted: for ordinal "
        "fields any difference counts fully (the α of the pair does weight by distance). Use it "
        "to find the pair or the annotator who departs from the others."
    ),
    "fleiss_kappa": (
        "Fleiss' κ for three or more annotators, on the units where every annotator of the "
        "article gave a value (units with a missing value are left out, so its n can be much "
        "smaller than α's)."
    ),
    "confusion": (
        "Which value one annotator chose against which value the other chose, on the units "
        "both coded (rows: first annotator, columns: second). Off-diagonal cells are the "
        "disagreements to discuss; 'cannot be judged' values (F, 6) are shown too."
    ),
    "not_judgeable_share": (
        "The share of values given as 'cannot be judged' (source reliability F, information "
        "credibility 6). They count as missing in every coefficient; a high share means the "
        "field is often unanswerable, which α alone would hide."
    ),
    "match_conflicts": (
        "Matched pairs of claims that could not be joined into one unit because that would "
        "have put two claims of the same annotator together (e.g. one annotator split what "
        "another marked as one claim)."
    ),
}


def alpha_reading(value: float | None) -> str | None:
    """Krippendorff's conventional reading of an α: ``reliable``, ``tentative`` or ``revise``."""
    if value is None:
        return None
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative"
    return "revise"
