"""``{% reader_text article.text request.GET %}``: the reader's text with the span of
``?start=…&end=…`` marked (see ``annotate.analysis.text_with_span``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString

from annotate.analysis import text_with_span

register = template.Library()


@register.simple_tag
def reader_text(text: str, params: Mapping[str, Any]) -> SafeString:
    return text_with_span(text, params)
