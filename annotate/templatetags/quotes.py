"""``{{ text|quoted }}``: a quotation inside typographic quotation marks, each mark shown
once — a quote whose text itself opens with “ (or ends with ”) gets no second one."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

OPENING = ("“", '"', "„", "«")
CLOSING = ("”", '"', "“", "»")


def marks(text: str) -> tuple[str, str]:
    """The opening and closing marks to put around ``text``: none at an end that has one."""
    opening = "" if text.startswith(OPENING) else "“"
    closing = "" if len(text) > 1 and text.endswith(CLOSING) else "”"
    return opening, closing


@register.filter(is_safe=True, needs_autoescape=True)
def quoted(value: object, autoescape: bool = True) -> SafeString:
    text = "" if value is None else str(value)
    escape = conditional_escape if autoescape else str
    opening, closing = marks(text)
    return mark_safe(f"{opening}{escape(text)}{closing}")  # noqa: S308 (the text is escaped)
