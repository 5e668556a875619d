"""The disagreement queue's repeated markup, written here rather than by the template
language (as ``analysis_html``): ``{{ row.disputes|dispute_badges }}``, a badge per kind of
dispute of a queue row. A page of 50 rows has ~400 of them: a third of the page's
rendering (~4.5 of 13 ms of CPU at xlarge scale) went into them as a template loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SPAN_TITLE = (
    ' title="Groups whose claims overlap (so span F1, overlap, counts them as found) but'
    ' whose boundaries differ (so exact F1 does not)"'
)


@register.filter
def dispute_badges(disputes: Mapping[str, int]) -> SafeString:
    """A ``<span>`` badge "kind × n" per kind of dispute (each followed by a space), in
    their order; "nothing" when there is none."""
    if not disputes:
        return mark_safe('<span class="muted">nothing</span>')
    badges = (
        f'<span class="badge badge-dispute"{_SPAN_TITLE if kind == "span boundaries" else ""}>'
        f"{escape(kind)} × {int(n)}</span> "
        for kind, n in disputes.items()
    )
    return mark_safe("".join(badges))  # noqa: S308 (the kinds are escaped, the counts ints)
