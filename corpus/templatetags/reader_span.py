"""``{% reader_text article.text request.GET %}``: the reader's text with the span of
``?start=…&end=…`` marked (the analysis pages link a claim's span there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from common.params import MAX_INT32, int_or_none

register = template.Library()


@register.simple_tag
def reader_text(text: str, params: Mapping[str, Any]) -> SafeString:
    return text_with_span(text, params)


def _offset(value: Any) -> int | None:
    """An offset from the query string, or None for anything that is not one ("²", 5,000
    digits…: the reader then marks no span)."""
    return int_or_none(value, max_value=MAX_INT32)


_OPEN, _CLOSE = "\ufdd0", "\ufdd1"  # Unicode noncharacters: never in an article's text


def span_of(text: str, params: Mapping[str, Any]) -> tuple[int, int] | None:
    """The valid ``start``/``end`` code-point offsets in ``params``, else None."""
    start, end = _offset(params.get("start")), _offset(params.get("end"))
    if start is None or end is None or not start < end <= len(text):
        return None
    # Line breaks become <p>/<br>: a span starts and ends on visible characters.
    while start < end and text[start] in "\r\n":
        start += 1
    while end > start and text[end - 1] in "\r\n":
        end -= 1
    return (start, end) if start < end else None


def text_with_span(text: str, params: Mapping[str, Any]) -> SafeString:
    """The article text as the reader shows it (escaped, paragraphs and line breaks), with
    the span ``params["start"]``–``params["end"]`` marked: ``<mark id="claim-span">`` on
    its first part (the link's fragment scrolls there), split at paragraph ends."""
    span = span_of(text, params)
    if span is None or _OPEN in text or _CLOSE in text:
        return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - escaped by linebreaks
    start, end = span
    html = linebreaks(text[:start] + _OPEN + text[start:end] + _CLOSE + text[end:], autoescape=True)
    before, rest = html.split(_OPEN, 1)
    inside, after = rest.split(_CLOSE, 1)
    mark = '<mark class="claim-span">'
    inside = inside.replace("</p>", "</mark></p>").replace("<p>", "<p>" + mark)
    marked = f'{before}<mark id="claim-span" class="claim-span">{inside}</mark>{after}'
    return mark_safe(marked)  # noqa: S308 - every piece comes from linebreaks(autoescape)
