"""Agreement between annotators: matching and coefficients, labels in, numbers out, no ORM.

``project_agreement(claims, articles, config)`` is the entry point; the modules:

* ``records``: the input records (``ClaimRecord``, ``ArticleRecord``) and which fields to
  compare (``FieldSpec``, ``AgreementConfig``, ``config_from_scheme``);
* ``matching``: greedy best-overlap-first one-to-one matching, units from accepted pairs;
* ``coefficients``: Krippendorff's α, Cohen's and Fleiss' κ, span F1;
* ``unitizing``: character-level α on claim coverage and Krippendorff's α_U;
* ``fields``: per-field figures on the units (α, κ, confusion matrices, differences);
* ``report``: the report dataclasses, ``project_agreement`` and
  ``project_agreement_grouped`` (the figures per group of articles too, in the same pass);
* ``help``: ``FIGURE_HELP``, what each figure means and when to trust it;
* ``timing``: a synthetic project of 60,000 claims and the time the report takes on it.

The names below are imported when first used (``__getattr__``): importing the package (as
``annotate.models`` does, for ``spans``) loads neither the modules nor numpy.

Only numpy is needed. Mathet's γ is not offered: its maintained implementation
(pygamma-agreement) brings cvxpy, a pinned cvxopt, numba and pyannote, too much for one figure
beside α_U.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Each name from its module, imported when first asked for (PEP 562): ``annotate.models``
# imports ``spans`` at start-up, and numpy (``coefficients``) must wait for the figures.
_WHERE = {
    "Figure": "coefficients",
    "SpanScore": "coefficients",
    "cohen_kappa": "coefficients",
    "fleiss_kappa": "coefficients",
    "krippendorff_alpha": "coefficients",
    "span_score": "coefficients",
    "Confusion": "fields",
    "FieldAgreement": "fields",
    "FieldPair": "fields",
    "FIGURE_HELP": "help",
    "alpha_reading": "help",
    "Match": "matching",
    "jaccard": "matching",
    "match_spans": "matching",
    "DEFAULT_FIELDS": "records",
    "DEFAULT_STANCE": "records",
    "AgreementConfig": "records",
    "ArticleRecord": "records",
    "ClaimRecord": "records",
    "FieldSpec": "records",
    "config_from_scheme": "records",
    "AgreementReport": "report",
    "ArticleAgreement": "report",
    "GroupFigures": "report",
    "SpanAgreement": "report",
    "Unit": "report",
    "UnitMember": "report",
    "project_agreement": "report",
    "project_agreement_grouped": "report",
    "Unitizing": "unitizing",
}
# ``unitizing()`` itself is not here: the name is its submodule's too, which the import system
# binds on this package once the submodule loads; import it from ``.unitizing``.


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = importlib.import_module(f"{__name__}.{module}")
    for other, where in _WHERE.items():
        if where == module:
            globals()[other] = getattr(loaded, other)
    return globals()[name]


if TYPE_CHECKING:
    from annotate.review.agreement.coefficients import (
        Figure,
        SpanScore,
        cohen_kappa,
        fleiss_kappa,
        krippendorff_alpha,
        span_score,
    )
    from annotate.review.agreement.fields import Confusion, FieldAgreement, FieldPair
    from annotate.review.agreement.help import FIGURE_HELP, alpha_reading
    from annotate.review.agreement.matching import Match, jaccard, match_spans
    from annotate.review.agreement.records import (
        DEFAULT_FIELDS,
        DEFAULT_STANCE,
        AgreementConfig,
        ArticleRecord,
        ClaimRecord,
        FieldSpec,
        config_from_scheme,
    )
    from annotate.review.agreement.report import (
        AgreementReport,
        ArticleAgreement,
        GroupFigures,
        SpanAgreement,
        Unit,
        UnitMember,
        project_agreement,
        project_agreement_grouped,
    )
    from annotate.review.agreement.unitizing import Unitizing

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_STANCE",
    "FIGURE_HELP",
    "AgreementConfig",
    "AgreementReport",
    "ArticleAgreement",
    "ArticleRecord",
    "ClaimRecord",
    "Confusion",
    "FieldAgreement",
    "FieldPair",
    "FieldSpec",
    "Figure",
    "GroupFigures",
    "Match",
    "SpanAgreement",
    "SpanScore",
    "Unit",
    "UnitMember",
    "Unitizing",
    "alpha_reading",
    "cohen_kappa",
    "config_from_scheme",
    "fleiss_kappa",
    "jaccard",
    "krippendorff_alpha",
    "match_spans",
    "project_agreement",
    "project_agreement_grouped",
    "span_score",
]
